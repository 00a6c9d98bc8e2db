"""``nugan measurements`` (list the shipped published measurements) and ``nugan predict`` (compare generators)."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, err_console, user_errors

__all__ = ["register", "measurements", "predict"]


@user_errors
def measurements() -> None:
    """List the published measurements shipped with nugan (IDs for ``nugan predict --measurement``)."""
    from rich.table import Table

    from nugan.measurements import data_dir, get_measurement, list_measurements

    t = Table(title=f"published measurements ({data_dir()})")
    for col in ("ID", "measurement", "target / normalisation", "bins", "flux", "stored predictions"):
        t.add_column(col)
    for mid in list_measurements():
        m = get_measurement(mid)
        fold = " (forward-folded)" if m.smearing is not None else ""
        t.add_row(
            m.id, m.title, f"{m.target}, per {m.per}", f"{m.n_bins}{fold}", m.flux_label, ", ".join(m.stored) or "-"
        )
    console.print(t)


@user_errors
def predict(
    measurement: str = typer.Option(..., "--measurement", help="Measurement ID (see `nugan measurements`)."),
    model: list[str] = typer.Option(
        None, "--model", "-m", help="nugan model (shipped name, run dir or model.json); repeat for several."
    ),
    events: list[Path] = typer.Option(
        None,
        "--events",
        help="Flat-flux event file with metadata (energy range, total cross section), e.g. NuWro parquet; repeatable.",
    ),
    simulator: list[str] = typer.Option(
        None, "--simulator", help="Built-in simulator model (e.g. default); repeatable."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (prediction.json/.md, slices.png, index.html)."),
    target_composition: str = typer.Option(
        None,
        "--target-composition",
        help="NUCLEUS=NUCLEONS list, e.g. C12=12,H1=1 (H1 counts as zero); "
        "default: the measurement's (T2K: C12=1, MicroBooNE: Ar40=1).",
    ),
    n_events: int = typer.Option(1_000_000, "--n-events", "-n", help="Events per model / simulator prediction."),
    seed: int = typer.Option(0, help="Random seed (>= 0)."),
    allow_extrapolation: bool = typer.Option(
        False,
        "--allow-extrapolation",
        help="Predict even if the flux reaches outside a generator's energy "
        "range (that flux then contributes nothing).",
    ),
    device: str = typer.Option("cpu", help="Device for nugan models: cpu, auto, cuda, cuda:N."),
    label: list[str] = typer.Option(
        None, "--label", help="Row labels for the --model, then --events, then --simulator sources, in order."
    ),
) -> None:
    """Predict a published measurement (flux-folded) with models / event files / the simulator, chi2 against data."""
    import os
    import time
    import warnings

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from nugan.measurements import get_measurement, parse_composition
    from nugan.workflows import predict as wf

    t0 = time.perf_counter()
    m = get_measurement(measurement)
    models, files, sims = list(model or []), list(events or []), list(simulator or [])
    if not (models or files or sims):
        raise ValueError("give at least one prediction source: --model, --events or --simulator")
    if n_events <= 0 or seed < 0:
        raise ValueError(f"--n-events must be > 0 and --seed >= 0, got {n_events}, {seed}")
    labels = list(label or [])
    if len(labels) > len(models) + len(files) + len(sims):
        raise ValueError(f"{len(labels)} labels for {len(models) + len(files) + len(sims)} sources")
    comp = parse_composition(target_composition) if target_composition else dict(m.composition)
    for f in files:
        if not Path(f).exists():
            raise FileNotFoundError(f"{f}: no such event file")
    console.print(
        f"measurement {m.id}: {m.title}; {m.n_bins} bins, per {m.per}; flux {m.flux_label}; target composition {comp}",
        highlight=False,
    )
    for n in m.notes:
        console.print(f"[dim]note: {n}[/]", highlight=False)
    rows = wf.stored_rows(m)
    sources = [("model", s) for s in models] + [("events", s) for s in files] + [("simulator", s) for s in sims]
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err_console, transient=True
    ) as bar:
        task = bar.add_task("predicting", total=len(sources))
        for k, (kind, spec) in enumerate(sources):
            name = labels[k] if k < len(labels) else None
            bar.update(task, description=f"{kind} {spec}")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                row = _one_row(wf, m, kind, str(spec), name, comp, n_events, seed, allow_extrapolation, device)
            for w in caught:
                err_console.print(f"[yellow]warning:[/] {w.message}", highlight=False)
            if row.flux_outside_fraction:
                console.print(
                    f"[yellow]note:[/] {row.label}: {row.flux_outside_fraction:.2%} of the flux above the "
                    "CC threshold lies outside its energy range and contributes nothing",
                    highlight=False,
                )
            rows.append(row)
            bar.advance(task)
    notes = list(m.notes) + [f"target composition {comp}"]
    paths = wf.write_outputs(out, m, rows, notes)
    from nugan.reports.measurements import markdown_table

    console.print(markdown_table(m.id, [r.__dict__ for r in rows]), highlight=False)
    console.print(
        f"wrote {paths['json']}, {paths['markdown']}, {paths['plot']} and {paths['html']} "
        f"in {time.perf_counter() - t0:.1f} s",
        highlight=False,
    )


def _one_row(
    wf,
    m,
    kind: str,
    spec: str,
    name: str | None,
    comp,
    n_events: int,
    seed: int,
    allow_extrapolation: bool,
    device: str,
):
    """One prediction row of source ``kind`` ('model', 'events', 'simulator')."""
    if kind == "model":
        from nugan.generation.api import load_generator

        return wf.model_row(m, load_generator(spec, device=device), comp, n_events, seed, allow_extrapolation, name)
    if kind == "events":
        from nugan.events.readers import read_events
        from nugan.physics.xsec import is_flat_flux_sample

        table = read_events(spec)
        return wf.events_row(m, table, comp, name or Path(spec).stem, allow_extrapolation, is_flat_flux_sample)
    targets = [k for k in comp if k != "H1"]
    row = wf.simulator_row(m, comp, targets[0] if targets else "", spec, n_events, seed, allow_extrapolation)
    if name:
        row.label = name
    return row


def register(app: typer.Typer) -> None:
    app.command("measurements")(measurements)
    app.command("predict")(predict)
