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

import math
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nugan.events.table import EventTable
from nugan.models.checkpoint import FlowBundle
from nugan.training.batches import TrainBatches, energy_balance_weights
from nugan.training.config import TrainConfig
from nugan.training.ema import EMA
from nugan.training.loop import validation_metric
from nugan.training.rundir import run_manifest
from nugan.training.seeds import validation_seed
from nugan.training.selection import Selector
from nugan.training.session import FitResult, Run, adam, finite_or_none, open_run, save_best, set_lr, set_train_mode
from nugan.training.state import TrainState

__all__ = ["fit_flow", "flow_step", "event_nll", "paired_improvement", "weighted_mean_se"]

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


def paired_improvement(
    nll_new: np.ndarray, nll_ref: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """(mean, standard error) of the per-event NLL difference new - ref on the same events [nats/event], under
    optional event weights; negative means the new model is better."""
    return weighted_mean_se(np.asarray(nll_new, dtype=np.float64) - np.asarray(nll_ref, dtype=np.float64), weights)


def flow_step(
    flow_run: torch.nn.Module,
    opt: torch.optim.Optimizer,
    e: torch.Tensor,
    u: torch.Tensor,
    cfg: TrainConfig,
    amp: AbstractContextManager[Any],
    step: int,
    out: Path,
) -> torch.Tensor:
    """Step ``step``: one Adam step on the batch's mean negative log-likelihood of the network variables (gradient
    norm clipped to ``cfg.grad_clip``); returns the loss. A non-finite loss stops training (``out`` is named)."""
    with amp:
        loss = -flow_run(u, e).float().mean()
    if not torch.isfinite(loss):
        raise ValueError(
            f"{out}: training loss became {loss.item()} at step {step}; lower lr_g "
            f"or set grad_clip (the last good state is in {out})"
        )
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if cfg.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], cfg.grad_clip)
    opt.step()
    return loss


class _Validation:
    """Validation NLL of the averaged flow (and its sampled <MAP>), model selection on it and the best model's
    files; against the starting point (step 0) a step must win by ``cfg.start_margin`` standard errors of the
    paired per-event difference."""

    def __init__(
        self,
        bundle: FlowBundle,
        val: EventTable,
        cfg: TrainConfig,
        ts: TrainState,
        run: Run,
        info: dict[str, Any] | None,
        frozen: list[str],
        start_nll: torch.Tensor | None,
    ) -> None:
        self.bundle, self.val, self.ts, self.run, self.info = bundle, val, ts, run, info
        self.seed, self.margin = validation_seed(cfg.seed), cfg.start_margin
        self.weights = energy_balance_weights(val.E_nu, cfg.energy_balance)  # None without energy balancing
        self.start_nll = None if start_nll is None else start_nll.double().numpy()  # per event, of step 0
        self.described = {"steps_planned": cfg.steps, "batch_size": cfg.batch_size, "frozen": frozen, "seed": cfg.seed}

    def __call__(self, done: int, loss: float | None) -> dict[str, Any]:
        """Validate after ``done`` steps: a history record; the flow saved as the model if it is the best."""
        self.bundle.flow = self.ts.ema.module
        nll = event_nll(self.bundle, self.val, self.run.device)
        mean, se = weighted_mean_se(nll)
        rec: dict[str, Any] = {
            "step": done,
            "loss": loss,
            "val_nll": mean,
            "val_nll_se": se,
            **validation_metric(self.bundle, self.val, self.seed, self.bundle.energy_range, self.run.device),
            "seconds": self.run.seconds(),
        }
        score = mean
        if self.weights is not None:  # selection on the energy-balanced validation NLL, the objective trained
            score, bse = weighted_mean_se(nll, self.weights)
            rec.update(val_nll_balanced=score, val_nll_balanced_se=bse)
        improved = self.improves(done, nll, score, rec)
        rec = finite_or_none(rec)
        self.ts.history.append(rec)
        if self.ts.selector.update(done, score, improved).improved:
            save_best(
                self.bundle,
                self.run.out,
                self.info,
                best_step=done,
                best_val_nll=score,
                best_mean_map=rec["mean_map"],
                best_map3d=rec["map3d"],
                best_map3d_no_tails=rec["map3d_no_tails"],
                **self.described,
            )
        return rec

    def improves(self, done: int, nll: np.ndarray, score: float, rec: dict[str, Any]) -> bool:
        """Whether ``score`` is the new best; against the starting point, by the paired test (its gain and
        standard error go into ``rec``). Step 0 keeps its per-event NLL for that test."""
        better = self.ts.selector.beats(score)
        if done == 0:
            self.start_nll = nll
        elif better and self.ts.selector.holds_start and self.start_nll is not None and self.margin > 0:
            gain, gse = paired_improvement(nll, self.start_nll, self.weights)
            rec.update(gain_vs_start=gain, gain_vs_start_se=gse)
            better = gain < -self.margin * gse
        return better

    def state(self) -> dict[str, Any]:
        """The loop's own entry of the train state: the starting point's per-event NLL."""
        return {"start_nll": None if self.start_nll is None else torch.as_tensor(self.start_nll)}


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
    out, frozen = Path(out_dir), frozen or []
    with open_run(
        out, run_manifest(info or {}, cfg, frozen, bundle.energy_range), cfg, resume=resume, force=force
    ) as run:
        flow = bundle.flow.to(run.device)
        opt = adam(flow, cfg.lr_g, cfg)
        flow_run = run.parallel(flow)
        batches = TrainBatches(train, bundle.transform, cfg, run.dinfo, run.device)
        ts = TrainState({"flow": flow}, {"opt": opt}, EMA(flow, cfg.ema), "flow", Selector(cfg.patience))
        st = ts.restore_or_seed(out, cfg, run.dinfo, run.device, resume=resume, what="flow")
        validate = _Validation(bundle, val, cfg, ts, run, info, frozen, st.get("start_nll"))
        start, amp = ts.step, run.autocast()
        run.start(start, "training flow", progress)
        if validate_start and start == 0 and run.is_main:
            validate(0, None)  # the starting point competes in selection
        stopped_early = False
        for step in range(start, cfg.steps):
            set_lr(opt, cfg.lr_g, step, cfg)
            e, u = batches.at(step)
            set_train_mode(flow, frozen)
            loss = flow_step(flow_run, opt, e, u, cfg, amp, step, out)
            ts.ema.update(flow, step)
            ts.step = done = step + 1
            if run.validates(done):  # validate and select on rank 0, checkpoint (every rank's RNG), stop?
                rec = validate(done, loss.item()) if run.is_main else None
                run.checkpoint(ts, **validate.state())
                if rec is not None:
                    run.show("val NLL", rec["val_nll"], ts.selector, 4)
                if run.agree(rec is not None and ts.selector.stop):
                    stopped_early = True
                    break
            run.advance(done)
        bundle.flow = ts.ema.module
        best_map = next((r["mean_map"] for r in ts.history if r["step"] == ts.selector.best_step), math.nan)
        return run.finish(
            ts,
            start,
            stopped_early,
            best_map,
            "validation NLL (the flow diverged); no model was saved: lower lr_g or check the data",
            best_val_nll=ts.selector.best,
        )
