"""What both training loops do around their steps: open the run (run directory, device, process group), the
learning-rate schedule, the progress bar, history records and checkpoints, the best model, and the summary.

:func:`open_run` returns a :class:`Run`, a context manager: leaving it stops the progress bar.
"""

from __future__ import annotations

import json
import math
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch import nn

from nugan.atomic import atomic_write_text
from nugan.models.checkpoint import Bundle, save_model
from nugan.models.sampler import pick_device
from nugan.training.config import TrainConfig
from nugan.training.distributed import DistInfo, broadcast_flag, join
from nugan.training.rundir import check_run_dir, finish_run, start_run
from nugan.training.selection import Selector
from nugan.training.state import TrainState

__all__ = [
    "FitResult",
    "Run",
    "open_run",
    "lr_factor",
    "set_lr",
    "adam",
    "set_train_mode",
    "finite_or_none",
    "save_best",
]


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


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Learning rate of step ``step`` / initial: cosine from 1 to ``cfg.lr_decay`` over ``cfg.steps``."""
    return cfg.lr_decay + (1 - cfg.lr_decay) * 0.5 * (1 + math.cos(math.pi * min(step / cfg.steps, 1.0)))


def set_lr(opt: torch.optim.Optimizer, lr: float, step: int, cfg: TrainConfig) -> None:
    """Set ``opt``'s learning rate for step ``step``: ``lr`` (initial) x :func:`lr_factor`."""
    f = lr_factor(step, cfg)
    for g in opt.param_groups:
        g["lr"] = lr * f


def adam(net: nn.Module, lr: float, cfg: TrainConfig) -> torch.optim.Adam:
    """Adam over ``net``'s trainable parameters (frozen ones are left out)."""
    return torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr, betas=cfg.betas)


def set_train_mode(net: nn.Module, frozen: list[str]) -> None:
    """Train mode, but the frozen blocks in eval mode (no dropout, no noise)."""
    net.train()
    for name in frozen:
        net.get_submodule(f"blocks.{name}").eval()


def finite_or_none(rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` with non-finite floats replaced by None (JSON has no NaN)."""
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in rec.items()}


def save_best(bundle: Bundle, out: Path, info: dict[str, Any] | None, **selected: Any) -> None:
    """Save ``bundle`` as the run's model, its description updated with ``info`` and the ``selected`` step's
    figures."""
    bundle.info.update(info or {})
    bundle.info.update(selected)
    save_model(bundle, out, "model")


class Run:
    """An open training run: run directory ``out``, settings ``cfg``, this rank's ``device`` and ``dinfo``."""

    def __init__(self, out: Path, cfg: TrainConfig, device: torch.device, dinfo: DistInfo) -> None:
        self.out, self.cfg, self.device, self.dinfo = out, cfg, device, dinfo
        self.t0 = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    @property
    def is_main(self) -> bool:
        return self.dinfo.is_main

    def parallel(self, net: nn.Module) -> nn.Module:
        """``net`` wrapped for DDP (gradients averaged over ranks) under torchrun, else ``net`` itself."""
        if not self.dinfo.enabled:
            return net
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(net, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def autocast(self) -> AbstractContextManager[Any]:
        """bfloat16 autocast with ``cfg.amp``, else a no-op context."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.cfg.amp else nullcontext()

    def start(self, done: int, label: str, progress: bool) -> None:
        """Start the clock and (rank 0, ``progress``) the progress bar at ``done`` steps."""
        self.t0 = time.perf_counter()
        if progress and self.is_main:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._task = self._bar.add_task(
                "train", total=self.cfg.steps, completed=min(done, self.cfg.steps), status=""
            )
            self._bar.start()

    def seconds(self) -> float:
        """Wall-clock seconds since :meth:`start`."""
        return time.perf_counter() - self.t0

    def show(self, name: str, value: float | None, selector: Selector, digits: int) -> None:
        """Progress-bar status: the validation value ``name`` of this step, and the best so far with its step."""
        if self._bar is not None:
            v = math.nan if value is None else value
            self._bar.update(
                self._task, status=f"{name} {v:.{digits}f} (best {selector.best:.{digits}f} @ {selector.best_step})"
            )

    def advance(self, done: int) -> None:
        """Move the progress bar to ``done`` steps."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done)

    def validates(self, done: int) -> bool:
        """True when the step that makes ``done`` steps is followed by a validation (every ``val_every``, and last)."""
        return done % self.cfg.val_every == 0 or done == self.cfg.steps

    def checkpoint(self, ts: TrainState, **extra: Any) -> None:
        """Save the train state (every rank takes part: its RNG state is saved too) and, on rank 0,
        ``history.jsonl``; ``extra``: the loop's own state entries."""
        ts.save(self.out, self.dinfo, self.device, **extra)
        if self.is_main:
            atomic_write_text(self.out / "history.jsonl", "".join(json.dumps(r) + "\n" for r in ts.history))

    def agree(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank."""
        return broadcast_flag(flag, self.dinfo, self.device)

    def finish(
        self, ts: TrainState, start: int, stopped_early: bool, best_mean_map: float, failure: str, **extra: Any
    ) -> FitResult:
        """The run's :class:`FitResult`; on rank 0 refuse a run that selected nothing finite (``failure``: why, for
        the message), write ``summary.json`` and mark ``run.json`` finished."""
        seconds = time.perf_counter() - self.t0
        result = FitResult(
            best_mean_map,
            ts.selector.best_step,
            ts.step,
            stopped_early,
            seconds,
            (ts.step - start) * self.cfg.batch_size / max(seconds, 1e-9),
            ts.history,
            str(self.out),
            **extra,
        )
        if self.is_main and (not math.isfinite(ts.selector.best) or not (self.out / "model.json").exists()):
            raise ValueError(f"{self.out}: training ended without a finite {failure}")
        if self.is_main:
            atomic_write_text(self.out / "summary.json", json.dumps(result.to_dict(), indent=1))
            finish_run(self.out)
        return result

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()


def open_run(out: Path, manifest: dict[str, Any], cfg: TrainConfig, *, resume: bool, force: bool) -> Run:
    """Start (or resume) a run in ``out`` for either training loop: check the run directory on every rank before
    any rank writes, join the process group, write ``run.json`` on rank 0, pick the rank's device and CPU threads."""
    check_run_dir(out, manifest, resume=resume, force=force)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    dinfo = join(device)
    if dinfo.is_main:
        start_run(out, manifest, resume=resume, force=force)
    if dinfo.enabled and device.type == "cuda":
        device = torch.device("cuda", dinfo.local_rank)
    if cfg.threads and device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    return Run(out, cfg, device, dinfo)
