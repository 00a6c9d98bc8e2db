"""The GAN training loop shared by pre-training, transfer learning and training from scratch.

One function, :func:`fit`, in the spirit of nanoGPT's train.py: per step a batch, one discriminator step and one
generator step (:func:`gan_step`), the moving average of the generator; every ``val_every`` steps validation of
<MAP> on a held-out split, model selection and a checkpoint. The pieces it is built from are shared with the
flow loop: the run (:mod:`~nugan.training.session`), batches (:mod:`~nugan.training.batches`), the train state
(:class:`~nugan.training.state.TrainState`), the selector (:class:`~nugan.training.selection.Selector`), the
EMA (:class:`~nugan.training.ema.EMA`) and the named seed streams (:mod:`~nugan.training.seeds`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nugan.events.table import EventTable
from nugan.models.checkpoint import Bundle, ModelBundle
from nugan.models.losses import discriminator_loss, generator_loss
from nugan.models.networks import Discriminator, Generator
from nugan.models.sampler import sample_muon
from nugan.training.batches import BatchSampler, TrainBatches, batch_indices, energy_balance_weights
from nugan.training.config import TrainConfig
from nugan.training.ema import EMA
from nugan.training.rundir import run_manifest
from nugan.training.seeds import noise_seed, validation_seed
from nugan.training.selection import Selector
from nugan.training.session import (
    FitResult,
    Run,
    adam,
    finite_or_none,
    open_run,
    save_best,
    set_lr,
    set_train_mode,
)
from nugan.training.state import TrainState

__all__ = [
    "FitResult",
    "fit",
    "gan_step",
    "GanNets",
    "validation_metric",
    "validation_noise",
    "NOISE_SEEDS",
    "validation_bins",
    "batch_indices",
    "BatchSampler",
    "energy_balance_weights",
]


def validation_bins(n_val: int) -> int:
    """Bins per axis for validation MAP-3D: 20 (method.md) when the split is large enough, fewer for
    small splits so that bins hold ~5 events on average (a nugan choice for fine-tuning on 10k events)."""
    return int(np.clip(np.floor((n_val / 5.0) ** (1.0 / 3.0)), 6, 20))


#: Generator seeds over which the starting point's validation <MAP> noise is measured (``start_margin``).
NOISE_SEEDS = 5


def validation_noise(
    bundle: ModelBundle,
    val: EventTable,
    seed: int,
    energy_range: tuple[float, float],
    device: torch.device,
    n_seeds: int = NOISE_SEEDS,
) -> float:
    """Standard deviation of the validation <MAP> over ``n_seeds`` generator seeds (the reference fixed): how
    much <MAP> moves from sampling alone, the scale of a real difference between two checkpoints."""
    vals = [
        validation_metric(bundle, val, noise_seed(seed, j + 1), energy_range, device)["mean_map"]
        for j in range(n_seeds)
    ]
    return float(np.std(vals, ddof=1))


def validation_metric(
    bundle: Bundle, val: EventTable, seed: int, energy_range: tuple[float, float], device: torch.device
) -> dict[str, float]:
    """<MAP>, MAP-3D and MAP-3D w/o tails of the generator against the validation split (k = 1)."""
    from nugan.metrics.map3d import map3d_result

    E_mu, cos = sample_muon(bundle.generator, bundle.transform, val.E_nu, seed=seed, device=device)
    gen = EventTable(val.E_nu, E_mu, cos, meta=val.meta)
    r = map3d_result(gen, val, energy_range=energy_range, bins=validation_bins(len(val)))
    mean_map = r.mean_map if math.isfinite(r.mean_map) else r.map3d
    return {"map3d": r.map3d, "map3d_no_tails": r.map3d_no_tails, "mean_map": mean_map}


@dataclass
class GanNets:
    """The two networks (``G``, ``D``; ``G_run``, ``D_run``: the same, DDP-wrapped under torchrun), their
    optimisers and their frozen blocks ({'generator': [...], 'discriminator': [...]})."""

    G: Generator
    D: Discriminator
    G_run: nn.Module
    D_run: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    frozen: dict[str, list[str]]


def gan_step(
    n: GanNets, e: torch.Tensor, u: torch.Tensor, gen_loss: str, amp: AbstractContextManager[Any]
) -> tuple[torch.Tensor, torch.Tensor]:
    """One discriminator step, then one generator step, on the batch (encoded E_nu ``e``, real muon variables
    ``u``), each with fresh latents from torch's global RNG; returns (generator loss, discriminator loss)."""
    set_train_mode(n.G, n.frozen["generator"])
    set_train_mode(n.D, n.frozen["discriminator"])
    with amp:
        z = torch.randn(len(e), n.G.latent_dim, device=e.device)
        fake = n.G_run(z, e).detach()
        loss_d = discriminator_loss(n.D_run(u, e).float(), n.D_run(fake, e).float())
    n.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    n.opt_d.step()
    with amp:
        z = torch.randn(len(e), n.G.latent_dim, device=e.device)
        loss_g = generator_loss(n.D_run(n.G_run(z, e), e).float(), gen_loss)
    n.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    n.opt_g.step()
    return loss_g, loss_d


class _Validation:
    """Validation of the averaged generator, model selection on <MAP> (lower wins) and the best model's files."""

    def __init__(
        self,
        bundle: ModelBundle,
        val: EventTable,
        cfg: TrainConfig,
        ts: TrainState,
        run: Run,
        info: dict[str, Any] | None,
        frozen: dict[str, list[str]],
    ) -> None:
        self.bundle, self.val, self.ts, self.run, self.info = bundle, val, ts, run, info
        self.seed = validation_seed(cfg.seed)
        self.described = {
            "steps_planned": cfg.steps,
            "batch_size": cfg.batch_size,
            "gen_loss": cfg.gen_loss,
            "frozen": frozen,
            "seed": cfg.seed,
        }

    def __call__(self, done: int, loss_g: float | None, loss_d: float | None) -> dict[str, Any]:
        """Validate after ``done`` steps: a history record; the generator saved as the model if it is the best."""
        self.bundle.generator = self.ts.ema.module
        m = validation_metric(self.bundle, self.val, self.seed, self.bundle.energy_range, self.run.device)
        rec = finite_or_none({"step": done, "loss_g": loss_g, "loss_d": loss_d, **m, "seconds": self.run.seconds()})
        self.ts.history.append(rec)
        if self.ts.selector.update(done, m["mean_map"]).improved:
            save_best(
                self.bundle,
                self.run.out,
                self.info,
                best_step=done,
                best_mean_map=m["mean_map"],
                best_map3d=rec["map3d"],
                best_map3d_no_tails=rec["map3d_no_tails"],
                **self.described,
            )
        return rec

    def starting_point(self, start_margin: float) -> None:
        """Validate the networks before the first step (step 0: e.g. the unadapted base, which competes in
        selection); with ``start_margin`` > 0 a trained step must beat it by that many x its <MAP> noise."""
        self(0, None, None)
        if start_margin > 0:
            noise = validation_noise(self.bundle, self.val, self.seed, self.bundle.energy_range, self.run.device)
            self.ts.selector.margin = start_margin * noise
            self.ts.history[-1].update(noise_mean_map=noise, start_margin=self.ts.selector.margin)


def fit(
    bundle: ModelBundle,
    train: EventTable,
    val: EventTable,
    cfg: TrainConfig,
    out_dir: str | Path,
    *,
    frozen: dict[str, list[str]] | None = None,
    resume: bool = False,
    info: dict[str, Any] | None = None,
    progress: bool = True,
    on_validate: Callable[[dict[str, float]], None] | None = None,
    validate_start: bool = False,
    force: bool = False,
) -> FitResult:
    """Train ``bundle``'s networks on ``train``; select the best <MAP> on ``val``.

    Args:
        bundle: networks (fresh or pre-trained), transform and description.
        train, val: disjoint samples of the target domain.
        cfg: training settings.
        out_dir: run directory: ``model.safetensors/.json`` (best <MAP>), ``state.safetensors`` (resume),
            ``history.jsonl``, ``summary.json``.
        frozen: {'generator': [...], 'discriminator': [...]} block names already frozen (kept in eval mode).
        resume: continue from ``out_dir/state.safetensors`` exactly (same data order, RNG state, optimisers).
        info: extra description stored in the checkpoint JSON (domain, parent, data fingerprint...).
        validate_start: also validate (and possibly select) the networks before the first step.
        force: replace a run already in ``out_dir`` (otherwise refused; see :mod:`nugan.training.rundir`).

    Raises:
        ValueError: ``out_dir`` holds a run and neither ``resume`` nor ``force`` is given; a resume with
            other data or configuration; training that ends without a finite validation <MAP> (diverged).
    """
    out, frozen = Path(out_dir), frozen or {"generator": [], "discriminator": []}
    with open_run(
        out, run_manifest(info or {}, cfg, frozen, bundle.energy_range), cfg, resume=resume, force=force
    ) as run:
        G, D = bundle.generator.to(run.device), bundle.discriminator.to(run.device)
        nets = GanNets(G, D, run.parallel(G), run.parallel(D), adam(G, cfg.lr_g, cfg), adam(D, cfg.lr_d, cfg), frozen)
        batches = TrainBatches(train, bundle.transform, cfg, run.dinfo, run.device)
        ts = TrainState(
            {"generator": G, "discriminator": D},
            {"opt_g": nets.opt_g, "opt_d": nets.opt_d},
            EMA(G, cfg.ema),
            "generator",
            Selector(cfg.patience),
        )
        st = ts.restore_or_seed(out, cfg, run.dinfo, run.device, resume=resume, what="model")
        ts.selector.margin = st.get("start_margin", 0.0)  # <MAP> by which a step must beat the starting point
        start, amp, validate = ts.step, run.autocast(), _Validation(bundle, val, cfg, ts, run, info, frozen)
        run.start(start, "training", progress)
        if validate_start and start == 0 and run.is_main:
            validate.starting_point(cfg.start_margin)
        stopped_early = False
        for step in range(start, cfg.steps):
            set_lr(nets.opt_g, cfg.lr_g, step, cfg)
            set_lr(nets.opt_d, cfg.lr_d, step, cfg)
            e, u = batches.at(step)
            loss_g, loss_d = gan_step(nets, e, u, cfg.gen_loss, amp)
            ts.ema.update(G, step)
            ts.step = done = step + 1
            if run.validates(done):  # validate and select on rank 0, checkpoint (every rank's RNG), stop?
                rec = validate(done, loss_g.item(), loss_d.item()) if run.is_main else None
                run.checkpoint(ts, start_margin=ts.selector.margin)
                if rec is not None:
                    if on_validate:
                        on_validate(rec)
                    run.show("<MAP>", rec["mean_map"], ts.selector, 3)
                if run.agree(rec is not None and ts.selector.stop):
                    stopped_early = True
                    break
            run.advance(done)
        bundle.generator = ts.ema.module  # every rank ends with the averaged generator (identical across ranks)
        return run.finish(
            ts,
            start,
            stopped_early,
            ts.selector.best,
            "validation <MAP> (the networks diverged to NaN "
            "or infinity); no model was saved: lower the learning rates or check the data",
        )
