"""``nugan models``: list the built-in simulator models (name, version, description)."""

from __future__ import annotations

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register", "models"]


@user_errors
def models(
    show: str = typer.Option(None, "--show", help="Print every parameter of one model (name or file)."),
) -> None:
    """List the simulator's interaction models."""
    from rich.table import Table

    from nugan.physics.models import get_model, list_models

    if show:
        m = get_model(show)
        tab = Table(title=f"model {m.label}: {m.description}")
        tab.add_column("parameter")
        tab.add_column("value")
        for k, v in m.physics_dict().items():
            tab.add_row(k, str(v))
        console.print(tab)
        return
    tab = Table(title="built-in simulator models")
    for c in ("name", "version", "description"):
        tab.add_column(c)
    for m in list_models():
        tab.add_row(m.name, m.version, m.description)
    console.print(tab)


def register(app: typer.Typer) -> None:
    app.command("models")(models)
