"""The three ways to train: pre-training, transfer learning (fine-tuning with frozen blocks) and
training from scratch with a matched compute budget. Each writes a run directory (see :func:`fit`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch

from nugan import __version__
from nugan.events.table import EventTable
from nugan.events.validation import validate
from nugan.models.checkpoint import Bundle, FlowBundle, ModelBundle, data_fingerprint, load_model
from nugan.models.config import GANConfig
from nugan.models.flow import ConditionalFlow, FlowConfig, freeze_flow_blocks
from nugan.models.networks import Discriminator, Generator, freeze_blocks, with_disc_features, with_latent_categories
from nugan.models.transforms import VariableTransform
from nugan.training.config import RunConfig, TrainConfig
from nugan.training.flow_loop import fit_flow
from nugan.training.loop import FitResult, fit
from nugan.training.seeds import init_seed, split_seed

__all__ = [
    "split_train_val",
    "new_bundle",
    "new_flow_bundle",
    "FLOW_TRANSFER_DEFAULTS",
    "transfer_defaults",
    "scratch_run",
    "domain_info",
    "pretrain",
    "transfer",
    "scratch",
    "parse_freeze",
    "TRANSFER_DEFAULTS",
    "selection_note",
    "scratch_settings",
    "converged_scratch_settings",
    "epoch_capped",
    "pretraining_length",
    "budget_of",
]

#: Fine-tuning defaults (a nugan choice): shorter, lower learning rate, early stopping, and the unadapted base
#: kept unless a fine-tuned step beats it by twice the validation noise (docs/training.md, "Model selection").
TRANSFER_DEFAULTS = TrainConfig(
    steps=1500,
    batch_size=1024,
    lr_g=1e-4,
    lr_d=1e-4,
    lr_decay=0.2,
    val_every=100,
    val_fraction=0.2,
    patience=6,
    start_margin=2.0,
)


#: Fine-tuning defaults of a flow (a nugan choice): Adam 2e-4 with standard betas, a short EMA, validation NLL
#: every 100 steps with early stopping, and the unadapted base kept unless a fine-tuned step beats it by two
#: standard errors of the paired per-event NLL difference.
FLOW_TRANSFER_DEFAULTS = TrainConfig(
    steps=3000,
    batch_size=1024,
    lr_g=2e-4,
    betas=(0.9, 0.999),
    lr_decay=0.1,
    val_every=100,
    val_fraction=0.2,
    patience=8,
    start_margin=2.0,
    ema=0.99,
    grad_clip=5.0,
)


def transfer_defaults(arch: str) -> TrainConfig:
    """Fine-tuning defaults of a model family ('gan' or 'flow')."""
    return FLOW_TRANSFER_DEFAULTS if arch == "flow" else TRANSFER_DEFAULTS


def scratch_settings(transfer_cfg: TrainConfig, arch: str = "gan") -> TrainConfig:
    """Settings of the scratch baseline compared with a transfer run: the same data split, validation and
    budget, but the pre-training learning rate (random initialisation needs it; a fairer baseline)."""
    from nugan.training.config import FLOW_TRAIN_DEFAULTS

    base = FLOW_TRAIN_DEFAULTS if arch == "flow" else TrainConfig()
    return transfer_cfg.replace(lr_g=base.lr_g, lr_d=base.lr_d)


def epoch_capped(cfg: TrainConfig, n_events: int, min_every: int = 10) -> TrainConfig:
    """``cfg`` validating at least once per epoch of its ``n_events`` training sample (but not more often than
    every ``min_every`` steps): with 10k events and batch 1024 an epoch is 8 steps, so the default ``val_every``
    of 100 would see only every 12th epoch and a model that over-fits within a few epochs could not be caught."""
    n_train = max(1, int(round(n_events * (1.0 - cfg.val_fraction))))
    epoch = -(-n_train // cfg.batch_size)
    return cfg.replace(val_every=max(min_every, min(cfg.val_every, epoch)))


def converged_scratch_settings(
    transfer_cfg: TrainConfig,
    steps: int,
    arch: str = "gan",
    patience: int = 20,
    validations: int = 200,
    n_events: int | None = None,
) -> TrainConfig:
    """Settings of a scratch baseline trained to convergence: the transfer run's data split and batch size, the
    pre-training learning rates and final decay of the family, ``steps`` (e.g. the base model's pre-training
    length, :func:`pretraining_length`), about ``validations`` validations over that budget (never more often
    than the transfer run's), at least once per epoch of ``n_events`` when given (:func:`epoch_capped`), and early
    stopping after ``patience`` validations without improvement."""
    from nugan.training.config import FLOW_TRAIN_DEFAULTS

    base = FLOW_TRAIN_DEFAULTS if arch == "flow" else TrainConfig()
    every = max(transfer_cfg.val_every, steps // max(validations, 1))
    out = transfer_cfg.replace(
        lr_g=base.lr_g,
        lr_d=base.lr_d,
        lr_decay=base.lr_decay,
        steps=steps,
        val_every=every,
        patience=patience,
        start_margin=0.0,
    )
    return out if n_events is None else epoch_capped(out, n_events)


def _phase_steps(run_dir: Path) -> int:
    """Steps of one training phase: ``steps_done`` of its summary.json, else ``steps_planned`` of its model.json."""
    summary = run_dir / "summary.json"
    if summary.exists():
        return int(json.loads(summary.read_text())["steps_done"])
    return int(json.loads((run_dir / "model.json").read_text()).get("steps_planned") or 0)


def pretraining_length(base: str | Path | Bundle) -> tuple[int, list[str]]:
    """Optimiser steps that made a base model: the sum over its phases, (steps, phase folders newest first).

    A phase's steps are its summary.json ``steps_done`` (a run folder) or, without one, its model.json
    ``steps_planned``; earlier phases are found through model.json ``parent.run``, a sibling folder of that name
    (benchmarks/paper_reproduction.py writes base-phase1..3 beside base). Shipped models carry no earlier
    phases: only their last phase is counted, so pass the length explicitly (``scratch_steps``) for them.
    """
    bundle = base if isinstance(base, (ModelBundle, FlowBundle)) else load_model(base)
    run_dir = Path(bundle.info["path"]).parent
    total, phases = 0, []
    while (run_dir / "model.json").exists() and run_dir.name not in phases:
        total += _phase_steps(run_dir)
        phases.append(run_dir.name)
        parent = (json.loads((run_dir / "model.json").read_text()).get("parent") or {}).get("run")
        if not parent:
            break
        run_dir = run_dir.parent / parent
    return total, phases


def scratch_run(base: Bundle, transfer_cfg: TrainConfig) -> RunConfig:
    """Run configuration of the scratch baseline of a transfer run from ``base``: the base's architecture
    (either family) with :func:`scratch_settings` (pass :func:`converged_scratch_settings` through
    ``RunConfig.train`` for a converged baseline)."""
    if isinstance(base, FlowBundle):
        return RunConfig(train=scratch_settings(transfer_cfg, "flow"), arch="flow", flow=base.config)
    return RunConfig(base.config, scratch_settings(transfer_cfg))


def split_train_val(data: EventTable, cfg: TrainConfig) -> tuple[EventTable, EventTable]:
    """Disjoint random train/validation split (validation capped at ``cfg.val_max_events``)."""
    n_val = int(min(round(cfg.val_fraction * len(data)), cfg.val_max_events))
    if n_val < 100 or len(data) - n_val < cfg.batch_size // 4:
        raise ValueError(
            f"training sample too small: {len(data)} events give {n_val} for validation and "
            f"{len(data) - n_val} for training (batch size {cfg.batch_size})"
        )
    val, train = data.split(n_val / len(data), seed=split_seed(cfg.seed))
    return train, val


def domain_info(t: EventTable) -> dict[str, Any]:
    """Domain of a sample for checkpoint descriptions."""
    m = t.meta
    return {
        "probe_pdg": m.probe_pdg,
        "target_Z": m.target_Z,
        "target_A": m.target_A,
        "target": m.target,
        "interaction_model": m.model,
        "source": m.source,
    }


def _data_info(t: EventTable) -> dict[str, Any]:
    """Checkpoint description of the training data: domain, fingerprint, size and sigma(E) when known."""
    from nugan.physics.xsec import xsec_for_training_data

    return {
        "domain": domain_info(t),
        "data_fingerprint": data_fingerprint(t.E_nu, t.E_mu, t.cos_theta),
        "n_events": len(t),
        "nugan_version": __version__,
        "xsec": xsec_for_training_data(t),
    }


def new_bundle(gan: GANConfig, train: EventTable, energy_range: tuple[float, float] | None, seed: int) -> ModelBundle:
    """Freshly initialised networks (seeded) and a transform fitted on ``train``."""
    torch.manual_seed(init_seed(seed))
    transform = VariableTransform.fit(train.E_nu, train.E_mu, train.cos_theta, energy_range)
    return ModelBundle(Generator(gan), Discriminator(gan, transform), gan, transform, {})


def new_flow_bundle(
    cfg: FlowConfig, train: EventTable, energy_range: tuple[float, float] | None, seed: int
) -> FlowBundle:
    """A freshly initialised flow (seeded) and a transform fitted on ``train``."""
    torch.manual_seed(init_seed(seed))
    transform = VariableTransform.fit(train.E_nu, train.E_mu, train.cos_theta, energy_range)
    return FlowBundle(ConditionalFlow(cfg), cfg, transform, {})


def _train_new(
    run: RunConfig,
    cfg: TrainConfig,
    train: EventTable,
    val: EventTable,
    energy_range: tuple[float, float],
    out_dir: str | Path,
    info: dict[str, Any],
    resume: bool,
    progress: bool,
    force: bool,
) -> FitResult:
    """Train a freshly initialised model of ``run.arch`` (pre-training or scratch)."""
    if run.arch == "flow":
        fb = new_flow_bundle(run.flow, train, energy_range, cfg.seed)
        return fit_flow(fb, train, val, cfg, out_dir, resume=resume, info=info, progress=progress, force=force)
    bundle = new_bundle(run.gan, train, energy_range, cfg.seed)
    return fit(bundle, train, val, cfg, out_dir, resume=resume, info=info, progress=progress, force=force)


def _checked(data: EventTable, lenient: bool) -> EventTable:
    return validate(data, strict=not lenient, source=data.meta.source).table


def _energy_range(data: EventTable, energy_range: tuple[float, float] | None) -> tuple[float, float]:
    if energy_range:
        return energy_range
    if data.meta.energy_range and data.meta.energy_range[0] < data.meta.energy_range[1]:
        return data.meta.energy_range
    return float(data.E_nu.min()), float(data.E_nu.max())


def pretrain(
    data: EventTable,
    run: RunConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    energy_range: tuple[float, float] | None = None,
    lenient: bool = False,
    progress: bool = True,
    force: bool = False,
) -> FitResult:
    """Pre-train a base model on ``data`` (e.g. nu_mu-C12 over 0.3-10 GeV)."""
    data = _checked(data, lenient)
    train, val = split_train_val(data, run.train)
    info = {"role": "pretrain", "arch": run.arch, "config": run.to_dict(), **_data_info(data), "parent": None}
    return _train_new(
        run, run.train, train, val, _energy_range(data, energy_range), out_dir, info, resume, progress, force
    )


def parse_freeze(spec: str | int | None) -> int | list[str]:
    """'first-block' -> 1, 'none' -> 0, '2' -> 2, 'block0,block1' -> names."""
    if spec is None or spec == "first-block":
        return 1
    if isinstance(spec, int):
        return spec
    s = str(spec).strip()
    if s in ("none", "0"):
        return 0
    if s.isdigit():
        return int(s)
    return [x.strip() for x in s.split(",") if x.strip()]


def transfer(
    base: str | Path | Bundle,
    data: EventTable,
    out_dir: str | Path,
    *,
    freeze: str | int | list[str] | None = "first-block",
    cfg: TrainConfig | None = None,
    resume: bool = False,
    lenient: bool = False,
    progress: bool = True,
    allow_extrapolation: bool = False,
    add_disc_features: tuple[str, ...] = (),
    add_latent_categories: int = 0,
    force: bool = False,
) -> FitResult:
    """Fine-tune a pre-trained model on a target sample with the first block(s) of both networks frozen.

    Frozen parameters have ``requires_grad = False`` and are not given to the optimisers.
    ``add_disc_features`` gives the base's discriminator physics features first
    (:func:`nugan.models.networks.with_disc_features`: zero-initialised, same function at step 0);
    ``add_latent_categories`` K gives its generator a K-category latent code the same way
    (:func:`nugan.models.networks.with_latent_categories`). ``cfg`` None takes the base family's defaults
    (:func:`transfer_defaults`). A flow base is fine-tuned by maximum likelihood with its first block (in
    sampling order, nearest the noise) frozen and selected on validation NLL (:func:`_transfer_flow`).
    """
    bundle = base if isinstance(base, (ModelBundle, FlowBundle)) else load_model(base)
    cfg = cfg or transfer_defaults(bundle.arch)
    if isinstance(bundle, FlowBundle):
        if add_disc_features or add_latent_categories:
            raise ValueError("--add-disc-features / --add-latent-categories apply to GAN models; the base is a flow")
        return _transfer_flow(
            bundle,
            data,
            out_dir,
            freeze=freeze,
            cfg=cfg,
            resume=resume,
            lenient=lenient,
            progress=progress,
            allow_extrapolation=allow_extrapolation,
            force=force,
        )
    if add_disc_features:
        disc, gan = with_disc_features(bundle.discriminator, bundle.config, bundle.transform, add_disc_features)
        bundle = dataclasses.replace(bundle, discriminator=disc, config=gan)
    if add_latent_categories:
        gen, gan = with_latent_categories(bundle.generator, bundle.config, add_latent_categories)
        bundle = dataclasses.replace(bundle, generator=gen, config=gan)
    data = _checked(data, lenient)
    _check_range(bundle, data, allow_extrapolation)
    spec = freeze if isinstance(freeze, list) else parse_freeze(freeze)
    frozen = {
        "generator": freeze_blocks(bundle.generator, spec),
        "discriminator": freeze_blocks(bundle.discriminator, spec),
    }
    train, val = split_train_val(data, cfg)
    parent = _parent_info(bundle)
    info = {
        "role": "transfer",
        "config": {"gan": bundle.config.to_dict(), "train": dataclasses.asdict(cfg)},
        **_data_info(data),
        "parent": parent,
    }
    bundle.info = {}
    return fit(
        bundle,
        train,
        val,
        cfg,
        out_dir,
        frozen=frozen,
        resume=resume,
        info=info,
        progress=progress,
        validate_start=True,
        force=force,
    )


def _check_range(bundle: Bundle, data: EventTable, allow_extrapolation: bool) -> None:
    inside = bundle.transform.in_range(data.E_nu)
    if not inside.all() and not allow_extrapolation:
        raise ValueError(
            f"{(~inside).sum()} target events lie outside the base model's energy range "
            f"{bundle.energy_range} GeV; keep only target events inside that range (or fine-tune a base model "
            "whose range covers them)"
        )


def _parent_info(bundle: Bundle) -> dict[str, Any]:
    parent = {
        k: bundle.info.get(k)
        for k in ("domain", "data_fingerprint", "best_mean_map", "best_val_nll", "role", "weights_sha256")
    }
    parent["run"] = Path(bundle.info["path"]).parent.name if "path" in bundle.info else None
    return parent


def _transfer_flow(
    bundle: FlowBundle,
    data: EventTable,
    out_dir: str | Path,
    *,
    freeze: str | int | list[str] | None,
    cfg: TrainConfig,
    resume: bool,
    lenient: bool,
    progress: bool,
    allow_extrapolation: bool,
    force: bool,
) -> FitResult:
    """Fine-tune a flow: freeze its first block(s) in sampling order, train the rest by maximum likelihood,
    the unadapted base validated as step 0 (selection on validation NLL, ``cfg.start_margin``)."""
    data = _checked(data, lenient)
    _check_range(bundle, data, allow_extrapolation)
    spec = freeze if isinstance(freeze, list) else parse_freeze(freeze)
    frozen = freeze_flow_blocks(bundle.flow, spec)
    train, val = split_train_val(data, cfg)
    info = {
        "role": "transfer",
        "arch": "flow",
        "config": {"arch": "flow", "flow": bundle.config.to_dict(), "train": dataclasses.asdict(cfg)},
        **_data_info(data),
        "parent": _parent_info(bundle),
    }
    bundle.info = {}
    return fit_flow(
        bundle,
        train,
        val,
        cfg,
        out_dir,
        frozen=frozen,
        resume=resume,
        info=info,
        progress=progress,
        validate_start=True,
        force=force,
    )


def selection_note(run_dir: str | Path) -> str:
    """One line on what model selection of a transfer run returned: a fine-tuned step, or the unadapted base
    (``best_step`` 0), with the margin it had to beat when ``start_margin`` was set."""
    d = Path(run_dir)
    best = json.loads((d / "summary.json").read_text())["best_step"]
    lines = (d / "history.jsonl").read_text().splitlines() if (d / "history.jsonl").exists() else []
    first = json.loads(lines[0]) if lines else {}
    if first.get("step") != 0:
        return f"selected step {best}"
    margin = first.get("start_margin")
    bar = (
        f" by the margin {margin:.3f} in validation <MAP> ({margin / first['noise_mean_map']:g} x its noise "
        f"{first['noise_mean_map']:.3f})"
        if margin
        else ""
    )
    if best == 0:
        return (
            f"no fine-tuned step beat the unadapted base model{bar}: this run returns the base model "
            "(the target sample does not show that adaptation helps)"
        )
    return f"selected fine-tuned step {best} (it beat the unadapted base model{bar})"


def budget_of(run_dir: str | Path) -> dict[str, Any]:
    """Compute budget (steps done x batch size) of a finished run directory."""
    p = Path(run_dir) / "summary.json"
    if not p.exists():
        raise FileNotFoundError(f"{p}: no summary of a finished run to match the budget of")
    s = json.loads(p.read_text())
    m = json.loads((Path(run_dir) / "model.json").read_text())
    return {"steps": int(s["steps_done"]), "batch_size": int(m.get("batch_size", 0)) or None}


def scratch(
    data: EventTable,
    run: RunConfig,
    out_dir: str | Path,
    *,
    match_budget: str | Path | None = None,
    resume: bool = False,
    lenient: bool = False,
    progress: bool = True,
    energy_range: tuple[float, float] | None = None,
    force: bool = False,
) -> FitResult:
    """Train the same architecture from random initialisation on ``data``.

    With ``match_budget`` (a transfer run directory) it uses the same number of steps and batch size.
    """
    cfg = run.train
    if match_budget is not None:
        b = budget_of(match_budget)
        cfg = cfg.replace(steps=b["steps"], batch_size=b["batch_size"] or cfg.batch_size, patience=None)
    data = _checked(data, lenient)
    train, val = split_train_val(data, cfg)
    info = {
        "role": "scratch",
        "arch": run.arch,
        "config": dataclasses.replace(run, train=cfg).to_dict(),
        **_data_info(data),
        "parent": None,
        "matched_budget_of": str(Path(match_budget).name) if match_budget else None,
    }
    return _train_new(run, cfg, train, val, _energy_range(data, energy_range), out_dir, info, resume, progress, force)
