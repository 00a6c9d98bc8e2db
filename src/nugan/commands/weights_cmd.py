"""``nugan weights``: reweight an existing event file from one flow model's domain to another's."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register"]

_WRITERS = (".parquet", ".csv", ".hepmc3")


@user_errors
def weights_cmd(
    model_from: str = typer.Option(..., "--from", help="Flow model of the events' domain (name, run dir or .json)."),
    model_to: str = typer.Option(..., "--to", help="Flow model of the domain to reweight to."),
    events: Path = typer.Option(..., "--events", help="Event file to reweight (any supported format)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output: .parquet, .csv or .hepmc3 with the new weights."),
    clip: float = typer.Option(100.0, help="Weights are clipped to [1/clip, clip] (the fraction clipped is printed)."),
    xsec: bool = typer.Option(
        False, "--xsec/--shape-only", help="Also multiply by sigma_to(E_nu) / sigma_from(E_nu) from the models' tables."
    ),
    allow_extrapolation: bool = typer.Option(
        False, "--allow-extrapolation", help="Allow events outside the models' energy ranges."
    ),
    lenient: bool = typer.Option(False, help="Drop invalid rows (with counts) instead of failing."),
) -> None:
    """Per-event weights p_to / p_from (conditional densities at the event's E_nu) written with the events.

    The output holds every input event with weight = input weight x p_to / p_from; e.g. reweight NuWro carbon
    events to argon with flows trained on each.
    """
    import numpy as np

    import nugan
    from nugan.events.readers import read_events
    from nugan.events.validation import validate
    from nugan.generation.reweight import density_ratio_weights

    if output.suffix not in _WRITERS:
        raise ValueError(f"{output}: output must end in {', '.join(_WRITERS)}")
    if output.resolve() == events.resolve():
        raise ValueError(f"{output}: the output would overwrite the input events; choose another path")
    table = validate(read_events(events), strict=not lenient, source=str(events)).table
    if table is None or len(table) == 0:
        raise ValueError(f"{events}: no events to reweight")
    a, b = nugan.load(model_from, device="cpu"), nugan.load(model_to, device="cpu")
    console.print(
        f"reweighting {len(table):,} events of {events.name} from {a.name or model_from} to {b.name or model_to} ..."
    )
    lp_a = a.log_prob(table, allow_extrapolation)
    lp_b = b.log_prob(table, allow_extrapolation)
    log_xs = None
    if xsec:
        if a.xsec is None or b.xsec is None:
            raise ValueError("--xsec needs a cross-section table in both models (info['xsec']); use --shape-only")
        log_xs = np.log(b.xsec(table.E_nu)) - np.log(a.xsec(table.E_nu))
    res = density_ratio_weights(lp_a, lp_b, clip, log_xs)
    w0 = table.weight if table.weight is not None else np.ones(len(table))
    extra = {
        **table.meta.extra,
        "nugan_reweighted_from": a.name or model_from,
        "nugan_reweighted_to": b.name or model_to,
        "nugan_reweight_clip": f"{clip:g}",
        "nugan_reweight_xsec": str(xsec).lower(),
    }
    out = type(table)(
        table.E_nu,
        table.E_mu,
        table.cos_theta,
        meta=table.meta.replace(extra=extra),
        weight=w0 * res.weights,
        channel=table.channel,
    )
    if output.suffix == ".parquet":
        from nugan.events.parquet_io import write_parquet

        write_parquet(out, output)
    elif output.suffix == ".csv":
        from nugan.events.csv_io import write_csv

        write_csv(out, output)
    else:
        from nugan.events.nuhepmc import write_nuhepmc

        write_nuhepmc(out, output)
    console.print(res.summary())
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("weights")(weights_cmd)
