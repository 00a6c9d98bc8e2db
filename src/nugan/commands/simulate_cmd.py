"""``nugan simulate``: generate CC-inclusive events with the built-in simulator into a Parquet file."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register", "simulate", "parse_energy"]


def parse_energy(text: str) -> float | tuple[float, float]:
    """'0.3:10' -> (0.3, 10.0) [GeV]; '1.0' -> 1.0 (monoenergetic)."""
    try:
        if ":" in text:
            lo, hi = text.split(":")
            return (float(lo), float(hi))
        return float(text)
    except ValueError:
        raise ValueError(f"--energy must be 'E' or 'ELO:EHI' in GeV (e.g. 1.0 or 0.3:10), got {text!r}") from None


@user_errors
def simulate(
    output: Path = typer.Option(..., "--output", "-o", help="Output Parquet file (.parquet or .pq)."),
    probe: str = typer.Option("numu", help="numu or numubar (or PDG 14 / -14)."),
    target: str = typer.Option("C12", help="C12, O16, Ar40 or Fe56."),
    model: str = typer.Option("default", help="Model name (see `nugan models`) or a .toml/.yaml model file."),
    energy: str = typer.Option("0.3:10", help="Beam energy range ELO:EHI [GeV], or one energy E (monoenergetic)."),
    flux: str = typer.Option("flat", help="flat, FILE.csv (edge,content or low,high,content) or FILE.root:HIST."),
    events: int = typer.Option(100_000, "--events", "-n", help="Number of events (1 to 1e10)."),
    seed: int = typer.Option(0, help="Random seed (>= 0); same seed gives identical events."),
    chunk_size: int = typer.Option(
        1_000_000,
        help="Events per Parquet write (row group); changes neither "
        "the events nor the memory bound (draws of 1e6 events).",
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Simulate unweighted nu_mu / anti-nu_mu CC-inclusive events (E_nu, E_mu, cos_theta, channel)."""
    import time

    from nugan.events.outputs import check_output
    from nugan.physics.simulate import make_config, simulate_to_file

    check_output(output, "parquet")  # before any work: never replace a config or write Parquet as .hepmc3
    e = parse_energy(energy)
    make_config(probe, target, model, e, flux, events, seed)  # fail fast on bad arguments
    if chunk_size <= 0:
        raise ValueError(f"--chunk-size must be > 0, got {chunk_size}")
    t0 = time.perf_counter()
    path = simulate_to_file(
        output,
        probe=probe,
        target=target,
        model=model,
        energy=e,
        flux=flux,
        n_events=events,
        seed=seed,
        chunk_size=chunk_size,
        progress=progress,
    )
    dt = time.perf_counter() - t0
    from nugan.events.parquet_io import read_meta

    meta = read_meta(path)  # the schema only: the events are not read back
    console.print(
        f"wrote {events:,} events to {path} in {dt:.1f} s; {meta.domain}, flux {meta.extra.get('flux')}, "
        f"<sigma> = {(meta.xsec_cm2 or math.nan) / 1e-38:.4f}e-38 cm^2/nucleon",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
