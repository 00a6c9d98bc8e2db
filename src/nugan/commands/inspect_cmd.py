"""``nugan inspect FILE``: counts, energy ranges, channel fractions and a validation summary."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register", "inspect"]


@user_errors
def inspect(
    file: Path = typer.Argument(..., help="Event file (any supported format)."),
    fmt: str = typer.Option(None, "--format", help="Force a format instead of detecting it."),
) -> None:
    """Summarise an event file: counts, energy ranges, channel fractions, validation."""
    import numpy as np
    from rich.table import Table

    from nugan.events.readers import read_events
    from nugan.events.validation import validate

    t = read_events(file, fmt)
    report = validate(t, strict=False, source=str(file)) if len(t) else None
    tab = Table(title=f"{file}", show_header=True)
    tab.add_column("quantity")
    tab.add_column("value")
    tab.add_row("events", f"{len(t)}")
    tab.add_row("probe / target", f"{t.meta.probe_pdg} / {t.meta.target} (Z={t.meta.target_Z}, A={t.meta.target_A})")
    tab.add_row("model / source", f"{t.meta.model} / {t.meta.source}")
    if len(t):
        for name, unit in (("E_nu", "GeV"), ("E_mu", "GeV"), ("cos_theta", "")):
            col = t.observable(name)
            tab.add_row(f"{name} range", f"[{np.nanmin(col):.4g}, {np.nanmax(col):.4g}] {unit}".rstrip())
        for ch, frac in sorted(t.channel_fractions().items()):
            tab.add_row(f"fraction {ch}", f"{frac:.4f}")
        tab.add_row("validation", report.summary() if report else "")
    console.print(tab)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
