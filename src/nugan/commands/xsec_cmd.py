"""``nugan xsec``: per-channel cross sections of the built-in simulator (table, CSV, sigma/E plot)."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.atomic import atomic_path
from nugan.commands.common import console, user_errors

__all__ = ["register", "xsec"]


@user_errors
def xsec(
    probe: str = typer.Option("numu", help="numu or numubar."),
    target: str = typer.Option("C12", help="C12, O16, Ar40 or Fe56."),
    model: str = typer.Option("default", help="Model name or .toml/.yaml model file."),
    output: Path = typer.Option(None, "--output", "-o", help="Directory for the CSV and PNG (optional)."),
    every: int = typer.Option(4, help="Print every n-th energy node."),
) -> None:
    """Print sigma per channel [1e-38 cm^2/nucleon] vs E_nu; with -o write CSV and a sigma/E plot."""
    import numpy as np
    from rich.table import Table

    from nugan.physics.tables import cross_section_table

    if every <= 0:
        raise ValueError(f"--every must be > 0, got {every}")
    t = cross_section_table(probe, target, model)
    chans = list(t.sigma)
    tab = Table(title=f"{t.target} {probe} model {t.model}: sigma [1e-38 cm^2 / nucleon]")
    for c in ["E_nu [GeV]", *chans, "total", "total/E"]:
        tab.add_column(c, justify="right")
    tot = t.sigma_total
    for i, E in enumerate(t.E_nu):
        if i % every and i != len(t.E_nu) - 1:
            continue
        tab.add_row(
            f"{E:.3f}",
            *[f"{t.sigma[c][i] / 1e-38:.4f}" for c in chans],
            f"{tot[i] / 1e-38:.4f}",
            f"{tot[i] / 1e-38 / E:.4f}",
        )
    console.print(tab)
    if output is None:
        return
    output.mkdir(parents=True, exist_ok=True)
    stem = f"xsec_{t.target}_{probe}_{t.model}"
    data = np.column_stack([t.E_nu, *[t.sigma[c] for c in chans], tot])
    csv = output / f"{stem}.csv"
    with atomic_path(csv) as tmp:
        np.savetxt(
            tmp,
            data,
            delimiter=",",
            fmt="%.6e",
            comments="",
            header="E_nu_GeV," + ",".join(f"sigma_{c}_cm2" for c in chans) + ",sigma_total_cm2",
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nugan.reports.plots import save_figure

    fig, ax = plt.subplots(figsize=(6, 4))
    for c in chans:
        ax.plot(t.E_nu, t.sigma[c] / 1e-38 / t.E_nu, label=c)
    ax.plot(t.E_nu, tot / 1e-38 / t.E_nu, "k-", lw=2, label="total")
    ax.set_xscale("log")
    ax.set_xlabel(r"$E_\nu$ [GeV]")
    ax.set_ylabel(r"$\sigma/E_\nu$ [$10^{-38}$ cm$^2$/GeV/nucleon]")
    ax.set_title(f"{probe} {t.target} ({t.model})")
    ax.legend()
    fig.tight_layout()
    png = output / f"{stem}.png"
    save_figure(fig, png, dpi=120)
    plt.close(fig)
    console.print(f"wrote {csv} and {png}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("xsec")(xsec)
