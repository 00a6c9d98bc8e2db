"""The GAN training loop shared by pre-training, transfer learning and training from scratch.

One function, :func:`fit`, in the spirit of nanoGPT's train.py: a discriminator step and a generator
step per iteration, cosine learning-rate decay, periodic validation of <MAP> on a held-out split,
best-checkpoint selection by <MAP>, atomic checkpoints, exact resume, optional DDP and bf16 autocast.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nugan.atomic import atomic_write_text
from nugan.events.table import EventTable
from nugan.models.checkpoint import Bundle, ModelBundle, save_model
from nugan.models.losses import discriminator_loss, generator_loss
from nugan.models.sampler import pick_device, sample_muon
from nugan.training.config import TrainConfig
from nugan.training.distributed import DistInfo, broadcast_flag, init_distributed
from nugan.training.rundir import check_run_dir, finish_run, run_manifest, start_run
from nugan.training.state import load_state, save_state

__all__ = ["FitResult", "fit", "validation_metric", "validation_noise", "NOISE_SEEDS", "validation_bins",
           "batch_indices", "BatchSampler", "energy_balance_weights"]


@dataclass
class FitResult:
    """Summary of a training run (also written to ``out_dir/summary.json``)."""

    best_mean_map: float
    best_step: int
    steps_done: int
    stopped_early: bool
    seconds: float
    events_per_s: float
    history: list[dict[str, float | None]] = field(default_factory=list)
    out_dir: str = ""
    best_val_nll: float | None = None  # flows: the selected step's validation NLL [nats/event]

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "history"}


def validation_bins(n_val: int) -> int:
    """Bins per axis for validation MAP-3D: 20 (method.md) when the split is large enough, fewer for
    small splits so that bins hold ~5 events on average (a nugan choice for fine-tuning on 10k events)."""
    return int(np.clip(np.floor((n_val / 5.0) ** (1.0 / 3.0)), 6, 20))


#: Generator seeds over which the starting point's validation <MAP> noise is measured (``start_margin``).
NOISE_SEEDS = 5


def validation_noise(bundle: ModelBundle, val: EventTable, seed: int, energy_range: tuple[float, float],
                     device: torch.device, n_seeds: int = NOISE_SEEDS) -> float:
    """Standard deviation of the validation <MAP> over ``n_seeds`` generator seeds (the reference fixed): how
    much <MAP> moves from sampling alone, the scale of a real difference between two checkpoints."""
    vals = [validation_metric(bundle, val, seed + 104_729 * (j + 1), energy_range, device)["mean_map"]
            for j in range(n_seeds)]
    return float(np.std(vals, ddof=1))


def validation_metric(bundle: Bundle, val: EventTable, seed: int, energy_range: tuple[float, float],
                      device: torch.device) -> dict[str, float]:
    """<MAP>, MAP-3D and MAP-3D w/o tails of the generator against the validation split (k = 1)."""
    from nugan.metrics.map3d import map3d_result

    E_mu, cos = sample_muon(bundle.generator, bundle.transform, val.E_nu, seed=seed, device=device)
    gen = EventTable(val.E_nu, E_mu, cos, meta=val.meta)
    r = map3d_result(gen, val, energy_range=energy_range, bins=validation_bins(len(val)))
    mean_map = r.mean_map if math.isfinite(r.mean_map) else r.map3d
    return {"map3d": r.map3d, "map3d_no_tails": r.map3d_no_tails, "mean_map": mean_map}


def energy_balance_weights(E_nu: np.ndarray, alpha: float, bins: int = 40) -> np.ndarray | None:
    """Row sampling probabilities proportional to (density of log E_nu)^-alpha (None for alpha = 0).

    alpha = 1 draws every log-E_nu interval equally often (as MAP-3D weights its log-spaced E_nu bins);
    alpha = 0.5 is a square-root compromise. Only the E_nu marginal seen in training changes: real and
    generated events of a batch share their E_nu values, so the conditional p(E_mu, cos | E_nu) is unchanged.
    """
    if alpha <= 0:
        return None
    logE = np.log(np.asarray(E_nu, dtype=np.float64))
    edges = np.linspace(logE.min(), logE.max() + 1e-12, bins + 1)
    which = np.clip(np.searchsorted(edges, logE, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins).astype(np.float64)
    w = counts[which] ** -alpha
    return w / w.sum()


@functools.lru_cache(maxsize=2)
def _epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """Row order of one epoch (cached: computed once per epoch, not once per step)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


class BatchSampler:
    """Global batches of row indices, reproducible from (seed, step): a fresh permutation per epoch, or with
    ``weights`` a fresh weighted draw (with replacement) of n rows per epoch."""

    def __init__(self, n: int, batch: int, seed: int, weights: np.ndarray | None = None) -> None:
        self.n, self.batch, self.seed, self.weights = n, batch, seed, weights
        self._epoch, self._order = -1, np.empty(0, dtype=np.int64)

    def _epoch_rows(self, epoch: int) -> np.ndarray:
        if self.weights is None:
            return _epoch_permutation(self.n, self.seed, epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch, 1])
            self._epoch, self._order = epoch, rng.choice(self.n, size=self.n, p=self.weights)
        return self._order

    def indices(self, step: int) -> np.ndarray:
        per_epoch = max(self.n // self.batch, 1)
        epoch, k = divmod(step, per_epoch)
        rows = self._epoch_rows(epoch)
        return rows[k * self.batch:(k + 1) * self.batch] if self.n >= self.batch else rows


def batch_indices(step: int, n: int, batch: int, seed: int) -> np.ndarray:
    """Global batch of row indices for ``step``: a fresh permutation per epoch, reproducible."""
    return BatchSampler(n, batch, seed).indices(step)


#: Entries every resumable GAN training state holds.
_STATE_KEYS = frozenset({"generator", "discriminator", "opt_g", "opt_d", "rng_cpu", "history", "best", "best_step",
                         "step", "bad_vals"})


def open_run(out: Path, manifest: dict[str, Any], cfg: TrainConfig, *, resume: bool,
             force: bool) -> tuple[torch.device, DistInfo]:
    """Start (or resume) a run in ``out`` for either training loop: check the run directory on every rank before
    any rank writes, join the process group, write ``run.json`` on rank 0, pick the rank's device and CPU threads."""
    check_run_dir(out, manifest, resume=resume, force=force)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    dinfo = init_distributed(device)
    if dinfo.is_main:
        start_run(out, manifest, resume=resume, force=force)
    if dinfo.enabled and device.type == "cuda":
        device = torch.device("cuda", dinfo.local_rank)
    if cfg.threads and device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    return device, dinfo


def _lr_factor(step: int, cfg: TrainConfig) -> float:
    return cfg.lr_decay + (1 - cfg.lr_decay) * 0.5 * (1 + math.cos(math.pi * min(step / cfg.steps, 1.0)))


@torch.no_grad()
def _update_ema(ema: nn.Module, net: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * net, parameter by parameter (frozen ones stay bitwise equal)."""
    for pe, p in zip(ema.parameters(), net.parameters(), strict=True):
        pe.lerp_(p, 1.0 - decay)


def _set_train_mode(net: nn.Module, frozen: list[str]) -> None:
    net.train()
    for name in frozen:
        net.get_submodule(f"blocks.{name}").eval()


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
    out = Path(out_dir)
    frozen = frozen or {"generator": [], "discriminator": []}
    device, dinfo = open_run(out, run_manifest(info or {}, cfg, frozen, bundle.energy_range), cfg,
                             resume=resume, force=force)
    G, D = bundle.generator.to(device), bundle.discriminator.to(device)
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam([p for p in D.parameters() if p.requires_grad], lr=cfg.lr_d, betas=cfg.betas)
    G_run: nn.Module = G
    D_run: nn.Module = D
    if dinfo.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        G_run, D_run = DDP(G, device_ids=ids), DDP(D, device_ids=ids)

    sampler = BatchSampler(len(train), cfg.batch_size, cfg.seed,
                           energy_balance_weights(train.E_nu, cfg.energy_balance))
    e_all = torch.as_tensor(bundle.transform.encode_energy(train.E_nu), dtype=torch.float32).unsqueeze(1)
    u_all = torch.as_tensor(bundle.transform.encode_muon(train.E_nu, train.E_mu, train.cos_theta),
                            dtype=torch.float32)
    e_all, u_all = e_all.to(device), u_all.to(device)
    energy_range = bundle.energy_range
    val_seed = cfg.seed + 7919

    G_ema = copy.deepcopy(G).eval() if cfg.ema > 0 else G
    for p in G_ema.parameters() if cfg.ema > 0 else ():
        p.requires_grad_(False)
    history: list[dict[str, float | None]] = []
    best, best_step, start, bad_vals = math.inf, -1, 0, 0
    start_margin = 0.0  # <MAP> by which a trained step must beat the starting point (cfg.start_margin x noise)
    if resume:
        st = load_state(out, required=_STATE_KEYS)  # safetensors + JSON: never unpickles (cannot run code)
        try:
            G.load_state_dict(st["generator"])
            D.load_state_dict(st["discriminator"])
            if cfg.ema > 0:  # a state written without EMA starts the average from the current weights
                G_ema.load_state_dict(st.get("generator_ema", st["generator"]))
            opt_g.load_state_dict(st["opt_g"])
            opt_d.load_state_dict(st["opt_d"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"{out}: the training state does not fit this model's architecture or optimiser "
                             f"(was the run started with another config?): {str(err).splitlines()[0]}") from err
        if dinfo.enabled:  # other ranks' RNG states are not saved: reseed them from (seed, rank, step)
            torch.manual_seed(cfg.seed * 1000 + 17 + dinfo.rank + 7919 * st["step"])
        else:
            torch.set_rng_state(st["rng_cpu"])
        if device.type == "cuda" and st.get("rng_cuda") is not None:
            torch.cuda.set_rng_state(st["rng_cuda"], device)
        history, best, best_step, start, bad_vals = (
            st["history"], st["best"], st["best_step"], st["step"], st["bad_vals"])
        if start > cfg.steps:
            raise ValueError(f"{out}: the training state is at step {start} but train.steps is {cfg.steps}; "
                             "resume with the run's own config (or more steps)")
        start_margin = st.get("start_margin", 0.0)
    else:
        torch.manual_seed(cfg.seed * 1000 + 17 + dinfo.rank)

    amp = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.amp else nullcontext()
    local_batch = cfg.batch_size // dinfo.world_size
    t0, steps_run, stopped_early = time.perf_counter(), 0, False
    bar = None
    if progress and dinfo.is_main:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[status]}"), TimeRemainingColumn(), transient=False)
        task = bar.add_task("train", total=cfg.steps, completed=start, status="")
        bar.start()
    loss_g = loss_d = torch.zeros(())

    def record(done: int, lg: float | None, ld: float | None) -> dict[str, Any]:
        """Validate the averaged generator at step ``done``; save it if it is the best so far."""
        nonlocal best, best_step, bad_vals
        bundle.generator = G_ema
        m = validation_metric(bundle, val, val_seed, energy_range, device)
        rec = {"step": done, "loss_g": lg, "loss_d": ld, **m, "seconds": time.perf_counter() - t0}
        rec = {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in rec.items()}
        history.append(rec)
        if m["mean_map"] < best - (start_margin if best_step == 0 else 0.0):
            best, best_step, bad_vals = m["mean_map"], done, 0
            bundle.info.update(info or {})
            bundle.info.update(best_step=done, best_mean_map=best, best_map3d=rec["map3d"],
                               best_map3d_no_tails=rec["map3d_no_tails"], steps_planned=cfg.steps,
                               batch_size=cfg.batch_size, gen_loss=cfg.gen_loss, frozen=frozen, seed=cfg.seed)
            save_model(bundle, out, "model")
        else:
            bad_vals += 1
        return rec

    if validate_start and start == 0 and dinfo.is_main:
        # the starting point (e.g. the unadapted base model) competes in model selection: best_step 0
        # means no fine-tuned checkpoint beat it on the validation split
        record(0, None, None)
        if cfg.start_margin > 0:
            noise = validation_noise(bundle, val, val_seed, energy_range, device)
            start_margin = cfg.start_margin * noise
            history[-1].update(noise_mean_map=noise, start_margin=start_margin)
    try:
        for step in range(start, cfg.steps):
            f = _lr_factor(step, cfg)
            for opt, lr in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
                for g in opt.param_groups:
                    g["lr"] = lr * f
            idx = sampler.indices(step)
            idx = idx[dinfo.rank * local_batch:(dinfo.rank + 1) * local_batch]
            idx_t = torch.as_tensor(idx, device=device)
            e, u = e_all[idx_t], u_all[idx_t]
            _set_train_mode(G, frozen["generator"])
            _set_train_mode(D, frozen["discriminator"])
            with amp:
                z = torch.randn(len(idx), G.latent_dim, device=device)
                fake = G_run(z, e).detach()
                loss_d = discriminator_loss(D_run(u, e).float(), D_run(fake, e).float())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            with amp:
                z = torch.randn(len(idx), G.latent_dim, device=device)
                loss_g = generator_loss(D_run(G_run(z, e), e).float(), cfg.gen_loss)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            if cfg.ema > 0:
                _update_ema(G_ema, G, min(cfg.ema, (1.0 + step) / (10.0 + step)))
            steps_run += 1
            done = step + 1
            if done % cfg.val_every == 0 or done == cfg.steps:
                stop = False
                if dinfo.is_main:
                    rec = record(done, loss_g.item(), loss_d.item())
                    save_state({
                        "generator": G.state_dict(), "discriminator": D.state_dict(),
                        "generator_ema": G_ema.state_dict(),
                        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                        "rng_cpu": torch.get_rng_state(),
                        "rng_cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                        "history": history, "best": best, "best_step": best_step, "step": done,
                        "bad_vals": bad_vals, "start_margin": start_margin,
                    }, out)
                    atomic_write_text(out / "history.jsonl", "".join(json.dumps(r) + "\n" for r in history))
                    if on_validate:
                        on_validate(rec)
                    if bar is not None:
                        bar.update(task, status=f"<MAP> {rec['mean_map']:.3f} (best {best:.3f} @ {best_step})")
                    stop = cfg.patience is not None and bad_vals >= cfg.patience
                if broadcast_flag(stop, dinfo, device):
                    stopped_early = True
                    break
            if bar is not None:
                bar.update(task, completed=done)
    finally:
        if bar is not None:
            bar.stop()
    bundle.generator = G_ema  # every rank ends with the averaged generator (identical across ranks)
    seconds = time.perf_counter() - t0
    result = FitResult(best, best_step, start + steps_run, stopped_early, seconds,
                       steps_run * cfg.batch_size / max(seconds, 1e-9), history, str(out))
    if dinfo.is_main and (not math.isfinite(best) or not (out / "model.json").exists()):
        raise ValueError(f"{out}: training ended without a finite validation <MAP> (the networks diverged to NaN "
                         "or infinity); no model was saved: lower the learning rates or check the data")
    if dinfo.is_main:
        atomic_write_text(out / "summary.json", json.dumps(result.to_dict(), indent=1))
        finish_run(out)
    return result
