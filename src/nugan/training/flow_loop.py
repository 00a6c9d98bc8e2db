"""Maximum-likelihood training of a conditional flow: pre-training, transfer learning and scratch.

One function, :func:`fit_flow`, the flow's counterpart of :func:`nugan.training.loop.fit`: per step, one Adam
step on the batch's mean negative log-likelihood; cosine learning-rate decay; an exponential moving average
(EMA) of the weights, which is what is validated and saved; validation NLL on the held-out split selects the
best checkpoint. Checkpoints are atomic, resume is exact (same data order, optimiser and EMA), DDP and bf16
autocast work as in the GAN loop.

NLL is reported per event in nats for the density of (E_mu [GeV], cos_theta) given E_nu, so that two models
with different variable transforms are comparable; the network learns the density of the transformed
variables, which differs by the transform's log-Jacobian (:meth:`VariableTransform.log_jacobian`).
"""

from __future__ import annotations

import copy
import json
import math
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nugan.atomic import atomic_write_text
from nugan.events.table import EventTable
from nugan.models.checkpoint import FlowBundle, save_model
from nugan.training.config import TrainConfig
from nugan.training.distributed import broadcast_flag
from nugan.training.loop import (
    BatchSampler,
    FitResult,
    _lr_factor,
    _set_train_mode,
    _update_ema,
    energy_balance_weights,
    open_run,
    validation_metric,
)
from nugan.training.rundir import finish_run, run_manifest
from nugan.training.state import load_state, save_state

__all__ = ["fit_flow", "event_nll", "paired_improvement", "weighted_mean_se"]

_STATE_KEYS = frozenset({"flow", "flow_ema", "opt", "rng_cpu", "history", "best", "best_step", "step",
                         "bad_vals"})
_NLL_BATCH = 65_536


@torch.no_grad()
def event_nll(bundle: FlowBundle, table: EventTable, device: torch.device | None = None) -> np.ndarray:
    """Per-event negative log-likelihood [nats] of ``table``'s (E_mu, cos_theta) given E_nu under the flow
    (density per GeV per unit cos_theta); float64, one value per event."""
    t = bundle.transform
    flow = bundle.flow
    device = device or next(flow.parameters()).device
    u = torch.as_tensor(t.encode_muon(table.E_nu, table.E_mu, table.cos_theta), dtype=torch.float32)
    e = torch.as_tensor(t.encode_energy(table.E_nu), dtype=torch.float32).unsqueeze(1)
    was_training = flow.training
    flow.eval()
    out = np.empty(len(table), dtype=np.float64)
    try:
        for a in range(0, len(table), _NLL_BATCH):
            b = min(a + _NLL_BATCH, len(table))
            lp = flow.log_prob(u[a:b].to(device), e[a:b].to(device))
            out[a:b] = -lp.double().cpu().numpy()
    finally:
        flow.train(was_training)
    return out - t.log_jacobian(table.E_nu, table.E_mu, table.cos_theta)


def weighted_mean_se(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """(mean, standard error) of per-event values ``x`` under normalised event weights ``w`` (None: uniform)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2:
        return (float(x.mean()) if len(x) else math.nan), math.inf
    if w is None:
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
    w = np.asarray(w, dtype=np.float64) / np.sum(w)
    mean = float(np.sum(w * x))
    return mean, float(np.sqrt(np.sum(w * w * (x - mean) ** 2) * len(x) / (len(x) - 1)))


def paired_improvement(nll_new: np.ndarray, nll_ref: np.ndarray,
                       weights: np.ndarray | None = None) -> tuple[float, float]:
    """(mean, standard error) of the per-event NLL difference new - ref on the same events [nats/event], under
    optional event weights; negative means the new model is better."""
    return weighted_mean_se(np.asarray(nll_new, dtype=np.float64) - np.asarray(nll_ref, dtype=np.float64), weights)


def fit_flow(
    bundle: FlowBundle,
    train: EventTable,
    val: EventTable,
    cfg: TrainConfig,
    out_dir: str | Path,
    *,
    frozen: list[str] | None = None,
    resume: bool = False,
    info: dict[str, Any] | None = None,
    progress: bool = True,
    validate_start: bool = False,
    force: bool = False,
) -> FitResult:
    """Train ``bundle``'s flow on ``train`` by maximum likelihood; select the lowest validation NLL on ``val``.

    With ``cfg.energy_balance`` > 0 the validation NLL that selects is weighted like the training batches
    (``val_nll_balanced`` in the history; events at under-populated E_nu count more), so that selection sees
    the improvements at low E_nu that balancing is for; the plain mean ``val_nll`` is recorded beside it.

    Args:
        bundle: the flow (fresh or pre-trained), transform and description.
        train, val: disjoint samples of the target domain.
        cfg: training settings (``lr_g`` is the flow's learning rate).
        out_dir: run directory: ``model.safetensors/.json`` (best validation NLL), ``state.safetensors``
            (resume), ``history.jsonl``, ``summary.json``.
        frozen: names of blocks already frozen (``requires_grad`` False; kept out of the optimiser).
        resume: continue from ``out_dir/state.safetensors`` exactly.
        info: extra description stored in the checkpoint JSON.
        validate_start: validate the starting point (the unadapted base in transfer learning) as step 0; it
            competes in selection, and with ``cfg.start_margin`` a trained step must beat it by that many
            standard errors of the paired per-event NLL difference.
        force: replace a run already in ``out_dir`` (otherwise refused; see :mod:`nugan.training.rundir`).

    Raises:
        ValueError: ``out_dir`` holds a run and neither ``resume`` nor ``force`` is given; a resume with other
            data or configuration; a non-finite loss or training that ends without a finite validation NLL.
    """
    out = Path(out_dir)
    frozen = frozen or []
    device, dinfo = open_run(out, run_manifest(info or {}, cfg, frozen, bundle.energy_range), cfg,
                             resume=resume, force=force)
    flow = bundle.flow.to(device)
    params = [p for p in flow.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr_g, betas=cfg.betas)
    flow_run: torch.nn.Module = flow
    if dinfo.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        flow_run = DDP(flow, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = BatchSampler(len(train), cfg.batch_size, cfg.seed, energy_balance_weights(train.E_nu, cfg.energy_balance))
    t = bundle.transform
    e_all = torch.as_tensor(t.encode_energy(train.E_nu), dtype=torch.float32).unsqueeze(1).to(device)
    u_all = torch.as_tensor(t.encode_muon(train.E_nu, train.E_mu, train.cos_theta), dtype=torch.float32).to(device)
    flow_ema = copy.deepcopy(flow).eval() if cfg.ema > 0 else flow
    for p in flow_ema.parameters() if cfg.ema > 0 else ():
        p.requires_grad_(False)

    history: list[dict[str, Any]] = []
    best, best_step, start, bad_vals = math.inf, -1, 0, 0
    start_nll: np.ndarray | None = None  # per-event validation NLL of the starting point (start_margin)
    if resume:
        st = load_state(out, required=_STATE_KEYS)  # safetensors + JSON: never unpickles
        try:
            flow.load_state_dict(st["flow"])
            if cfg.ema > 0:
                flow_ema.load_state_dict(st["flow_ema"])
            opt.load_state_dict(st["opt"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"{out}: the training state does not fit this flow's architecture or optimiser "
                             f"(was the run started with another config?): {str(err).splitlines()[0]}") from err
        torch.set_rng_state(st["rng_cpu"])
        history, best, best_step, start, bad_vals = (st["history"], st["best"], st["best_step"], st["step"],
                                                     st["bad_vals"])
        if start > cfg.steps:
            raise ValueError(f"{out}: the training state is at step {start} but train.steps is {cfg.steps}; "
                             "resume with at least as many steps")
        if st.get("start_nll") is not None:
            start_nll = st["start_nll"].double().numpy()
    else:
        torch.manual_seed(cfg.seed * 1000 + 17 + dinfo.rank)

    amp = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.amp else nullcontext()
    local_batch = cfg.batch_size // dinfo.world_size
    val_seed = cfg.seed + 7919
    val_w = energy_balance_weights(val.E_nu, cfg.energy_balance)  # None without energy balancing
    t0, steps_run, stopped_early = time.perf_counter(), 0, False

    def record(done: int, loss: float | None) -> dict[str, Any]:
        """Validate the averaged flow at step ``done``; save it if it is the best so far."""
        nonlocal best, best_step, bad_vals, start_nll
        bundle.flow = flow_ema
        nll = event_nll(bundle, val, device)
        mean, se = weighted_mean_se(nll)
        rec: dict[str, Any] = {"step": done, "loss": loss, "val_nll": mean, "val_nll_se": se,
                               **validation_metric(bundle, val, val_seed, bundle.energy_range, device),
                               "seconds": time.perf_counter() - t0}
        score = mean
        if val_w is not None:  # selection on the energy-balanced validation NLL, the objective training optimises
            score, bse = weighted_mean_se(nll, val_w)
            rec.update(val_nll_balanced=score, val_nll_balanced_se=bse)
        better = score < best
        if done == 0:
            start_nll = nll
        elif better and best_step == 0 and start_nll is not None and cfg.start_margin > 0:
            gain, gse = paired_improvement(nll, start_nll, val_w)
            rec.update(gain_vs_start=gain, gain_vs_start_se=gse)
            better = gain < -cfg.start_margin * gse
        rec = {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in rec.items()}
        history.append(rec)
        if better:
            best, best_step, bad_vals = score, done, 0
            bundle.info.update(info or {})
            bundle.info.update(best_step=done, best_val_nll=best, best_mean_map=rec["mean_map"],
                               best_map3d=rec["map3d"], best_map3d_no_tails=rec["map3d_no_tails"],
                               steps_planned=cfg.steps, batch_size=cfg.batch_size, frozen=frozen, seed=cfg.seed)
            save_model(bundle, out, "model")
        else:
            bad_vals += 1
        return rec

    bar = task = None
    if progress and dinfo.is_main:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("[bold]training flow"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[status]}"), TimeRemainingColumn(), transient=False)
        task = bar.add_task("train", total=cfg.steps, completed=min(start, cfg.steps), status="")
        bar.start()
    if validate_start and start == 0 and dinfo.is_main:
        record(0, None)
    loss = torch.zeros(())
    try:
        for step in range(start, cfg.steps):
            for g in opt.param_groups:
                g["lr"] = cfg.lr_g * _lr_factor(step, cfg)
            idx = sampler.indices(step)[dinfo.rank * local_batch:(dinfo.rank + 1) * local_batch]
            idx_t = torch.as_tensor(idx, device=device)
            _set_train_mode(flow, frozen)
            with amp:
                loss = -flow_run(u_all[idx_t], e_all[idx_t]).float().mean()
            if not torch.isfinite(loss):
                raise ValueError(f"{out}: training loss became {loss.item()} at step {step}; lower lr_g "
                                         f"or set grad_clip (the last good state is in {out})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            if cfg.ema > 0:
                _update_ema(flow_ema, flow, min(cfg.ema, (1.0 + step) / (10.0 + step)))
            steps_run += 1
            done = step + 1
            if done % cfg.val_every == 0 or done == cfg.steps:
                stop = False
                if dinfo.is_main:
                    rec = record(done, loss.item())
                    save_state({"flow": flow.state_dict(), "flow_ema": flow_ema.state_dict(),
                                "opt": opt.state_dict(), "rng_cpu": torch.get_rng_state(), "history": history,
                                "best": best, "best_step": best_step, "step": done, "bad_vals": bad_vals,
                                "start_nll": None if start_nll is None else torch.as_tensor(start_nll)}, out)
                    atomic_write_text(out / "history.jsonl", "".join(json.dumps(r) + "\n" for r in history))
                    if bar is not None and task is not None:
                        bar.update(task, status=f"val NLL {rec['val_nll']:.4f} (best {best:.4f} @ {best_step})")
                    stop = cfg.patience is not None and bad_vals >= cfg.patience
                if broadcast_flag(stop, dinfo, device):
                    stopped_early = True
                    break
            if bar is not None and task is not None:
                bar.update(task, completed=done)
    finally:
        if bar is not None:
            bar.stop()
    bundle.flow = flow_ema
    seconds = time.perf_counter() - t0
    best_map = next((r["mean_map"] for r in history if r["step"] == best_step), math.nan)
    result = FitResult(best_map, best_step, start + steps_run, stopped_early, seconds,
                       steps_run * cfg.batch_size / max(seconds, 1e-9), history, str(out), best_val_nll=best)
    if dinfo.is_main and (not math.isfinite(best) or not (out / "model.json").exists()):
        raise ValueError(f"{out}: training ended without a finite validation NLL (the flow diverged); no model was "
                         "saved: lower lr_g or check the data")
    if dinfo.is_main:
        atomic_write_text(out / "summary.json", json.dumps(result.to_dict(), indent=1))
        finish_run(out)
    return result
