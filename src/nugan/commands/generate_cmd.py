"""``nugan generate``: sample a trained model into Parquet or NuHepMC, flux-folded and streamed."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, err_console, user_errors

__all__ = ["register", "generate"]


@user_errors
def generate(
    model: str = typer.Option(..., "--model", "-m", help="Checkpoint: run directory, model.json or shipped name."),
    events: int = typer.Option(..., "--events", "-n", help="Number of events (> 0)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file: .parquet or .hepmc3 (NuHepMC)."),
    energy: str = typer.Option(
        None, help="One energy E [GeV] (monoenergetic) or ELO:EHI for a flux; default: the model's energy range."
    ),
    flux: str = typer.Option("flat", help="flat, FILE.csv (edge,content or low,high,content) or FILE.root:HIST."),
    seed: int = typer.Option(
        0,
        help="Random seed (>= 0): the same seed, arguments, device, engine and kind of CPU give identical events "
        "(docs/generation.md, Engines and reproducibility).",
    ),
    xsec: Path = typer.Option(None, "--xsec", help="CSV with E_GeV,sigma_cm2 overriding the model's sigma(E)."),
    device: str = typer.Option("auto", help="auto (CUDA if available), cpu, cuda, cuda:N."),
    engine: str = typer.Option(
        "auto",
        help="auto, numpy, torch or compile. auto: NumPy for a GAN on CPU up to 2,000,000 events (no torch "
        "start-up), torch otherwise; flows run on torch. compile: torch with the GAN's network compiled by "
        "torch.compile (a few seconds, then faster; needs a C++ compiler on CPU). On CPU the engines draw the same "
        "latents and agree to float32 rounding (~2e-6).",
    ),
    batch_size: int = typer.Option(None, "--batch-size", help="Events per network call (memory knob)."),
    allow_extrapolation: bool = typer.Option(
        False, "--allow-extrapolation", help="Allow energies outside the model's training range."
    ),
    threads: int = typer.Option(
        0, help="CPU threads for the network (0: OMP_NUM_THREADS if set, else all cores); events do not depend on it."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Generate CC-inclusive events: E_nu from flux x sigma(E), (E_mu, cos_theta) from the model."""
    import os
    import warnings

    # idle OpenMP threads sleep instead of spinning: on a shared machine spinning makes
    # multi-threaded inference many times slower (must be set before torch is imported)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from nugan.commands.simulate_cmd import parse_energy
    from nugan.generation.engines import load_for_generation
    from nugan.generation.generate import generate_to_file, make_plan, output_format

    output_format(output)  # fail fast on a bad suffix, before loading anything
    loaded, choice = load_for_generation(model, engine=engine, device=device, n_events=events, threads=threads)
    m = loaded
    e = parse_energy(energy) if energy is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = make_plan(
            m,
            events,
            seed,
            energy=e,
            flux=flux,
            xsec_file=xsec,
            batch_size=batch_size,
            allow_extrapolation=allow_extrapolation,
        )
    for w in caught:
        err_console.print(f"[bold yellow]warning:[/] {w.message}", highlight=False)
    lo, hi = m.energy_range
    console.print(
        f"model {m.name or model}: {m.domain.get('target', '?')} "
        f"{m.domain.get('interaction_model', '?')}, {lo:g}-{hi:g} GeV, device {m.device}, "
        f"engine {m.engine} ({choice.reason})",
        highlight=False,
    )
    fatx = "unknown" if plan.fatx_cm2 is None else f"{plan.fatx_cm2 / 1e-38:.4f}e-38 cm^2/nucleon"
    console.print(f"beam: {plan.flux.label}; sigma(E) source: {plan.xsec_source}; <sigma> = {fatx}", highlight=False)
    if plan.flux_outside_fraction > 0:
        console.print(
            f"[yellow]note:[/] {plan.flux_outside_fraction:.1%} of the flux lies outside "
            f"{plan.flux.energy_range[0]:g}-{plan.flux.energy_range[1]:g} GeV and is not generated",
            highlight=False,
        )
    res = generate_to_file(m, plan, output, progress=progress)
    style = "green" if not (res.check.n_repaired or res.check.n_rejected) else "bold red"
    console.print(f"physical check: [{style}]{res.check.summary()}[/]", highlight=False)
    console.print(
        f"wrote {res.n_written:,} events to {res.path} ({res.fmt}) in {res.seconds:.1f} s "
        f"({res.events_per_s:,.0f} events/s)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
