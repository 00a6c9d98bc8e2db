"""Training state for exact resume, stored without pickle.

A run's resumable state (network and optimiser state dicts, RNG states, history, counters) is a nested
structure of dicts, lists, numbers, strings and tensors. :func:`save_state` splits it into its tensors,
written as one safetensors file, and a JSON skeleton (stored in that file's header metadata) that says
where each tensor goes. :func:`load_state` rebuilds the structure. Nothing in the file is executed: a
safetensors file holds raw tensor bytes and a JSON header, so a planted or corrupted ``state.safetensors``
can only fail to load, with a message that names the file.

Older nugan versions wrote ``state.pt`` (a pickle). It is never loaded: :func:`load_state` refuses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from nugan.atomic import atomic_path

__all__ = ["STATE_FILE", "LEGACY_STATE_FILE", "STATE_FORMAT", "save_state", "load_state", "has_state",
           "state_path", "flatten", "unflatten"]

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
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], int)
                                                      for p in pairs):
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


def load_state(run_dir: str | Path, device: str | torch.device = "cpu",
               required: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Read the state written by :func:`save_state`; clear errors for a missing, legacy or corrupt file, or one
    that lacks any of the ``required`` entries (a state written by another training loop)."""
    path = state_path(run_dir)
    legacy = Path(run_dir) / LEGACY_STATE_FILE
    if not path.is_file():
        if legacy.exists():
            raise ValueError(
                f"{legacy}: training state from an older nugan, stored as a pickle, which nugan never loads "
                f"(a pickle can run code); start the run again without --resume (use --force to replace it)")
        raise FileNotFoundError(f"{path}: nothing to resume (no training state in {Path(run_dir)})")
    try:
        with safe_open(str(path), framework="pt", device=str(device)) as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path}: corrupt or unreadable training state ({err})") from err
    if meta.get("format") != STATE_FORMAT or "state" not in meta:
        raise ValueError(f"{path}: not a nugan training state (format {meta.get('format')!r}, "
                         f"expected {STATE_FORMAT!r})")
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
