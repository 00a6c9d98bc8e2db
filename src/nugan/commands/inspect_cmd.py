"""``nugan inspect FILE``: counts, energy ranges, channel fractions and a validation summary."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from nugan.commands.common import console, err_console, user_errors

__all__ = ["register", "inspect"]


@user_errors
def inspect(
    file: Annotated[Path, typer.Argument(help="Event file (any supported format).")],
    fmt: Annotated[str | None, typer.Option("--format", help="Force a format instead of detecting it.")] = None,
    probe: Annotated[
        str | None, typer.Option(help="Only this beam (numu, numubar), for files that mix several.")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Only this nucleus (C12, Ar40, ...), for files that mix several.")
    ] = None,
) -> None:
    """Summarise an event file: counts, energy ranges, channel fractions, validation."""
    import numpy as np
    from rich.table import Table

    from nugan.events.readers import load_events
    from nugan.events.validation import validate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = load_events(file, fmt, probe=probe, target=target)
    for note in caught:
        err_console.print(f"warning: {note.message}", highlight=False)
    t = res.table
    report = validate(t, strict=False, source=str(file)) if len(t) else None
    tab = Table(title=f"{file}", show_header=True)
    tab.add_column("quantity")
    tab.add_column("value")
    tab.add_row("format", res.fmt)
    tab.add_row("events", f"{len(t)}")
    if res.skipped:
        tab.add_row("skipped", f"{res.n_skipped} of {res.n_records}: {res.skipped_summary()}")
    m = t.meta
    tab.add_row("probe / target", f"{m.probe_pdg} / {m.target} (Z={m.target_Z}, A={m.target_A})")
    tab.add_row("model / source", f"{m.model} / {m.source}")
    if m.generator_version:
        tab.add_row("generator version", m.generator_version)
    xs = "unknown" if m.xsec_cm2 is None else f"{m.xsec_cm2:.4g} cm^2 per nucleon"
    tab.add_row("cross section", xs)
    if len(t):
        for name, unit in (("E_nu", "GeV"), ("E_mu", "GeV"), ("cos_theta", "")):
            col = t.observable(name)
            lo, hi = np.nanmin(col), np.nanmax(col)
            tab.add_row(f"{name} range", f"[{lo:.4g}, {hi:.4g}] {unit}".rstrip())
        for ch, frac in sorted(t.channel_fractions().items()):
            tab.add_row(f"fraction {ch}", f"{frac:.4f}")
        tab.add_row("validation", report.summary() if report else "")
    console.print(tab)


def register(app: typer.Typer) -> None:
    """Add ``inspect`` to the app."""
    app.command("inspect")(inspect)
