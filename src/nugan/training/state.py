"""Training state for exact resume, stored without pickle.

A run's resumable state (network and optimiser state dicts, RNG states, history, counters) is a nested
structure of dicts, lists, numbers, strings and tensors. :func:`save_state` splits it into its tensors,
written as one safetensors file, and a JSON skeleton (stored in that file's header metadata) that says
where each tensor goes. :func:`load_state` rebuilds the structure. Nothing in the file is executed: a
safetensors file holds raw tensor bytes and a JSON header, so a planted or corrupted ``state.safetensors``
can only fail to load, with a message that names the file.

Older nugan versions wrote ``state.pt`` (a pickle). It is never loaded: :func:`load_state` refuses it.

:class:`TrainState` is what the training loops keep and save at every validation: networks, their moving average,
optimisers, model selection, history, steps done and the random-number state of every rank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from nugan.atomic import atomic_path
from nugan.training.config import TrainConfig
from nugan.training.distributed import DistInfo, gather_tensors
from nugan.training.ema import EMA
from nugan.training.seeds import resume_seed, torch_seed
from nugan.training.selection import Selector

__all__ = [
    "STATE_FILE",
    "LEGACY_STATE_FILE",
    "STATE_FORMAT",
    "save_state",
    "load_state",
    "has_state",
    "state_path",
    "flatten",
    "unflatten",
    "TrainState",
    "rng_states",
    "restore_rng",
    "seed_rng",
]

STATE_FILE = "state.safetensors"
LEGACY_STATE_FILE = "state.pt"
STATE_FORMAT = "nugan-state-1"

_TENSOR = "__tensor__"
_INTKEYS = "__intkeys__"


def state_path(run_dir: str | Path) -> Path:
    """Path of the resumable training state in ``run_dir``."""
    return Path(run_dir) / STATE_FILE


def has_state(run_dir: str | Path) -> bool:
    """True when ``run_dir`` holds a resumable training state (the safetensors one; a legacy pickle is not)."""
    return state_path(run_dir).is_file()


def flatten(obj: Any, tensors: dict[str, torch.Tensor], prefix: str = "s") -> Any:
    """JSON skeleton of ``obj``; its tensors go into ``tensors`` under unique keys.

    Dicts with integer keys (optimiser states) keep their key type; tuples become lists.
    """
    if isinstance(obj, torch.Tensor):
        key = f"{prefix}"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {_TENSOR: key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            if _TENSOR in obj or _INTKEYS in obj:
                raise ValueError(f"state key {_TENSOR!r}/{_INTKEYS!r} is reserved")
            return {k: flatten(v, tensors, f"{prefix}.{k}") for k, v in obj.items()}
        if all(isinstance(k, int) and not isinstance(k, bool) for k in obj):
            return {_INTKEYS: [[k, flatten(v, tensors, f"{prefix}.{k}")] for k, v in obj.items()]}
        raise TypeError(f"state dict at {prefix!r} mixes key types: {sorted(map(repr, obj))[:4]}")
    if isinstance(obj, (list, tuple)):
        return [flatten(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"state entry at {prefix!r} has type {type(obj).__name__}, which a state file cannot hold")


def unflatten(skel: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """Inverse of :func:`flatten`; ``where`` names the file in errors."""
    if isinstance(skel, dict):
        if _TENSOR in skel:
            key = skel[_TENSOR]
            if key not in tensors:
                raise ValueError(f"{where}: state refers to tensor {key!r}, which the file does not hold")
            return tensors[key]
        if _INTKEYS in skel:
            pairs = skel[_INTKEYS]
            if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], int) for p in pairs
            ):
                raise ValueError(f"{where}: malformed integer-keyed entry in the state")
            return {int(k): unflatten(v, tensors, where) for k, v in pairs}
        return {k: unflatten(v, tensors, where) for k, v in skel.items()}
    if isinstance(skel, list):
        return [unflatten(v, tensors, where) for v in skel]
    return skel


def save_state(state: dict[str, Any], run_dir: str | Path) -> Path:
    """Write ``state`` to ``run_dir/state.safetensors`` atomically (temporary file + rename)."""
    tensors: dict[str, torch.Tensor] = {}
    skel = flatten(state, tensors)
    path = state_path(run_dir)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": STATE_FORMAT, "state": json.dumps(skel)})
    return path


def load_state(
    run_dir: str | Path, device: str | torch.device = "cpu", required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Read the state written by :func:`save_state`; clear errors for a missing, legacy or corrupt file, or one
    that lacks any of the ``required`` entries (a state written by another training loop)."""
    path = state_path(run_dir)
    legacy = Path(run_dir) / LEGACY_STATE_FILE
    if not path.is_file():
        if legacy.exists():
            raise ValueError(
                f"{legacy}: training state from an older nugan, stored as a pickle, which nugan never loads "
                f"(a pickle can run code); start the run again without --resume (use --force to replace it)"
            )
        raise FileNotFoundError(f"{path}: nothing to resume (no training state in {Path(run_dir)})")
    try:
        with safe_open(str(path), framework="pt", device=str(device)) as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path}: corrupt or unreadable training state ({err})") from err
    if meta.get("format") != STATE_FORMAT or "state" not in meta:
        raise ValueError(
            f"{path}: not a nugan training state (format {meta.get('format')!r}, expected {STATE_FORMAT!r})"
        )
    try:
        skel = json.loads(meta["state"])
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: corrupt training state description ({err})") from err
    state = unflatten(skel, tensors, str(path))
    if not isinstance(state, dict):
        raise ValueError(f"{path}: training state is not a mapping")
    missing = sorted(required - set(state))
    if missing:
        raise ValueError(f"{path}: training state lacks {missing}; it was not written by this training loop")
    return state


def rng_states(dinfo: DistInfo, device: torch.device) -> dict[str, Any]:
    """This rank's torch RNG states (``rng_cpu``, ``rng_cuda``: None off CUDA) and, under DDP, every rank's
    (``rng_ranks``, a list of ``{"cpu", "cuda"}`` in rank order). A collective under DDP: every rank calls it."""
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    out: dict[str, Any] = {"rng_cpu": cpu, "rng_cuda": cuda}
    if dinfo.enabled:
        cpus = gather_tensors(cpu, dinfo, device)
        cudas = gather_tensors(cuda, dinfo, device) if cuda is not None else [None] * dinfo.world_size
        out["rng_ranks"] = [{"cpu": c, "cuda": g} for c, g in zip(cpus, cudas, strict=True)]
    return out


def seed_rng(seed: int, dinfo: DistInfo) -> None:
    """Seed torch's global RNG (all devices) of this rank for a fresh run (:func:`nugan.training.seeds.torch_seed`)."""
    torch.manual_seed(torch_seed(seed, dinfo.rank))


def restore_rng(state: dict[str, Any], seed: int, dinfo: DistInfo, device: torch.device) -> None:
    """Put this rank's RNG back where ``state`` left it: its own saved state; under DDP from a state without
    every rank's (saved before per-rank states were, or by another world size) a reseed from (seed, rank, step)."""
    ranks = state.get("rng_ranks")
    cuda = state.get("rng_cuda")
    if dinfo.enabled and isinstance(ranks, list) and len(ranks) == dinfo.world_size:
        torch.set_rng_state(ranks[dinfo.rank]["cpu"])
        cuda = ranks[dinfo.rank]["cuda"]
    elif dinfo.enabled:
        torch.manual_seed(resume_seed(seed, dinfo.rank, state["step"]))
    else:
        torch.set_rng_state(state["rng_cpu"])
    if device.type == "cuda" and cuda is not None:
        torch.cuda.set_rng_state(cuda, device)


@dataclass
class TrainState:
    """Everything a run needs to continue exactly, saved to ``state.safetensors`` at every validation.

    ``nets`` and ``optimisers`` are saved under their keys (``generator``, ``opt_g``, ...), the moving average of
    ``nets[averaged]`` under ``<averaged>_ema``, then the RNG states, ``history``, the selector's ``best`` and
    ``best_step``, ``step`` (steps done) and the selector's ``bad_vals``. The loop keeps ``history`` and ``step``
    up to date.
    """

    nets: dict[str, nn.Module]
    optimisers: dict[str, torch.optim.Optimizer]
    ema: EMA[Any]
    averaged: str
    selector: Selector
    history: list[dict[str, Any]] = field(default_factory=list)
    step: int = 0

    @property
    def ema_key(self) -> str:
        return f"{self.averaged}_ema"

    @property
    def required(self) -> frozenset[str]:
        """Entries a state file must hold to be resumed by this loop (the EMA may be missing: older files)."""
        return frozenset([*self.nets, *self.optimisers, "rng_cpu", "history", "best", "best_step", "step", "bad_vals"])

    def to_dict(self, rng: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        """The state as stored (``rng`` from :func:`rng_states`; ``extra``: the loop's own entries, stored last)."""
        sel = self.selector
        return {
            **{k: m.state_dict() for k, m in self.nets.items()},
            self.ema_key: self.ema.state_dict(),
            **{k: o.state_dict() for k, o in self.optimisers.items()},
            **rng,
            "history": self.history,
            "best": sel.best,
            "best_step": sel.best_step,
            "step": self.step,
            "bad_vals": sel.bad,
            **extra,
        }

    def save(self, run_dir: Path, dinfo: DistInfo, device: torch.device, **extra: Any) -> None:
        """Write the state on rank 0, with every rank's RNG state: under DDP every rank calls it."""
        rng = rng_states(dinfo, device)
        if dinfo.is_main:
            save_state(self.to_dict(rng, extra), run_dir)

    def restore_or_seed(
        self,
        run_dir: Path,
        cfg: TrainConfig,
        dinfo: DistInfo,
        device: torch.device,
        *,
        resume: bool,
        what: str = "model",
    ) -> dict[str, Any]:
        """Restore the state of ``run_dir`` when resuming (returned, for the loop's own entries), else seed the
        RNG of a fresh run (returns {}). ``what`` names the model in errors ("model", "flow")."""
        if not resume:
            seed_rng(cfg.seed, dinfo)
            return {}
        st = load_state(run_dir, required=self.required)  # safetensors + JSON: never unpickles (cannot run code)
        try:
            for k, net in self.nets.items():
                net.load_state_dict(st[k])
            self.ema.load_state_dict(st.get(self.ema_key, st[self.averaged]))  # no EMA saved: start from the net
            for k, opt in self.optimisers.items():
                opt.load_state_dict(st[k])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(
                f"{run_dir}: the training state does not fit this {what}'s architecture or optimiser "
                f"(was the run started with another config?): {str(err).splitlines()[0]}"
            ) from err
        restore_rng(st, cfg.seed, dinfo, device)
        self.history, self.step = st["history"], st["step"]
        self.selector.best, self.selector.best_step, self.selector.bad = st["best"], st["best_step"], st["bad_vals"]
        if self.step > cfg.steps:
            raise ValueError(
                f"{run_dir}: the training state is at step {self.step} but train.steps is {cfg.steps}; "
                "resume with the run's own config (or more steps)"
            )
        return st
