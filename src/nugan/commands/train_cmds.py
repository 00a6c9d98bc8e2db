"""``nugan pretrain``, ``nugan transfer`` and ``nugan train`` (from scratch)."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register"]


def _load_data(files: list[Path], lenient: bool):
    from nugan.events.readers import read_events
    from nugan.events.table import EventTable

    tables = [read_events(f) for f in files]
    data = EventTable.concat(tables) if len(tables) > 1 else tables[0]
    console.print(f"read {len(data)} events of {data.meta.domain} from {len(files)} file(s)")
    return data


def _energy_range(text: str) -> tuple[float, float]:
    """'E_min:E_max' [GeV] -> (E_min, E_max)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise typer.BadParameter(f"give the energy range as E_min:E_max in GeV, got {text!r}")
    return float(parts[0]), float(parts[1])


def _overrides(run, steps: int | None, seed: int | None, device: str | None, amp: bool | None):
    changes = {k: v for k, v in (("steps", steps), ("seed", seed), ("device", device), ("amp", amp)) if v is not None}
    import dataclasses

    return dataclasses.replace(run, train=run.train.replace(**changes)) if changes else run


def _report(result, out: Path) -> bool:
    """Print the outcome (rank 0 only under torchrun); True on rank 0."""
    from nugan.training.distributed import is_main_process

    if not is_main_process():
        return False
    nll = f"validation NLL {result.best_val_nll:.4f} nats/event, " if result.best_val_nll is not None else ""
    console.print(
        f"[bold green]done[/]: {result.steps_done} steps in {result.seconds:.0f} s "
        f"({result.events_per_s:,.0f} events/s); best {nll}<MAP> {result.best_mean_map:.3f} at step "
        f"{result.best_step}{' (early stop)' if result.stopped_early else ''}"
    )
    console.print(f"model: {out / 'model.safetensors'} + model.json; history: {out / 'history.jsonl'}")
    return True


@user_errors
def pretrain_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Training event file(s), any supported format."),
    config: Path = typer.Option(None, "--config", help="TOML/YAML config (arch, [gan] or [flow], [train] tables)."),
    out: Path = typer.Option(..., "--out", help="Run directory for checkpoints and history."),
    arch: str = typer.Option(None, "--arch", help="Model family: gan (default) or flow; overrides the config's."),
    steps: int = typer.Option(None, help="Override train.steps."),
    seed: int = typer.Option(None, help="Override train.seed."),
    device: str = typer.Option(None, help="auto, cpu, cuda, cuda:N."),
    amp: bool = typer.Option(None, "--amp/--no-amp", help="bfloat16 autocast."),
    energy_range: str = typer.Option(None, "--energy-range", help="E_min:E_max [GeV] of the model."),
    resume: bool = typer.Option(False, help="Continue an interrupted run in --out exactly."),
    lenient: bool = typer.Option(False, help="Drop invalid rows (with counts) instead of failing."),
    force: bool = typer.Option(False, "--force", help="Replace a run already in --out (otherwise refused)."),
) -> None:
    """Pre-train a base model (e.g. nu_mu-C12 over 0.3-10 GeV). Works under torchrun (DDP)."""
    from nugan.training.config import load_run_config
    from nugan.training.runs import pretrain

    run = _overrides(load_run_config(config, arch), steps, seed, device, amp)
    er = _energy_range(energy_range) if energy_range else None
    result = pretrain(_load_data(data, lenient), run, out, resume=resume, energy_range=er, lenient=lenient, force=force)
    _report(result, out)


@user_errors
def transfer_cmd(
    base: str = typer.Option(..., "--base", help="Base model: shipped name (numu-C12), run dir or .json."),
    data: list[Path] = typer.Option(..., "--data", help="Target-domain event file(s)."),
    out: Path = typer.Option(..., "--out", help="Run directory."),
    freeze: str = typer.Option("first-block", help="first-block | none | N | block names (comma-separated)."),
    config: Path = typer.Option(None, "--config", help="TOML/YAML with a [train] table for fine-tuning."),
    steps: int = typer.Option(None, help="Override train.steps."),
    seed: int = typer.Option(None, help="Override train.seed."),
    device: str = typer.Option(None, help="auto, cpu, cuda."),
    resume: bool = typer.Option(False, help="Continue an interrupted run."),
    lenient: bool = typer.Option(False, help="Drop invalid rows instead of failing."),
    force: bool = typer.Option(False, "--force", help="Replace a run already in --out (otherwise refused)."),
    add_disc_features: str = typer.Option(
        "", help="Give the base's discriminator physics features first (e.g. W2,Q2; zero-initialised)."
    ),
    add_latent_categories: int = typer.Option(
        0, help="Give the base's generator a K-category latent code first (zero-initialised)."
    ),
) -> None:
    """Fine-tune a pre-trained model (GAN or flow) on a small target sample with the first block(s) frozen."""
    from nugan.models.checkpoint import load_model
    from nugan.training.config import RunConfig, load_run_config
    from nugan.training.runs import transfer, transfer_defaults

    bundle = load_model(base)
    cfg = load_run_config(config, bundle.arch).train if config else transfer_defaults(bundle.arch)
    cfg = _overrides(RunConfig(train=cfg), steps, seed, device, None).train
    result = transfer(
        bundle,
        _load_data(data, lenient),
        out,
        freeze=freeze,
        cfg=cfg,
        resume=resume,
        lenient=lenient,
        add_disc_features=tuple(f for f in add_disc_features.split(",") if f),
        add_latent_categories=add_latent_categories,
        force=force,
    )
    if _report(result, out):
        from nugan.training.runs import selection_note

        console.print(f"selection: {selection_note(out)}", markup=False)


@user_errors
def train_cmd(
    data: list[Path] = typer.Option(..., "--data", help="Target-domain event file(s)."),
    out: Path = typer.Option(..., "--out", help="Run directory."),
    config: Path = typer.Option(None, "--config", help="TOML/YAML config; default: transfer settings."),
    arch: str = typer.Option(None, "--arch", help="Model family: gan (default) or flow; overrides the config's."),
    match_budget: Path = typer.Option(None, "--match-budget", help="Transfer run dir whose steps to match."),
    steps: int = typer.Option(None, help="Override train.steps."),
    seed: int = typer.Option(None, help="Override train.seed."),
    device: str = typer.Option(None, help="auto, cpu, cuda."),
    resume: bool = typer.Option(False, help="Continue an interrupted run."),
    lenient: bool = typer.Option(False, help="Drop invalid rows instead of failing."),
    force: bool = typer.Option(False, "--force", help="Replace a run already in --out (otherwise refused)."),
) -> None:
    """Train the same architecture from scratch (the baseline transfer learning must beat)."""
    import dataclasses

    from nugan.training.config import load_run_config
    from nugan.training.runs import scratch, scratch_settings, transfer_defaults

    run = load_run_config(config, arch)
    if not config:
        run = dataclasses.replace(run, train=scratch_settings(transfer_defaults(run.arch), run.arch))
    run = _overrides(run, steps, seed, device, None)
    result = scratch(
        _load_data(data, lenient), run, out, match_budget=match_budget, resume=resume, lenient=lenient, force=force
    )
    _report(result, out)


def register(app: typer.Typer) -> None:
    app.command("pretrain")(pretrain_cmd)
    app.command("transfer")(transfer_cmd)
    app.command("train")(train_cmd)
