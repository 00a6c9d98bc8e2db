"""A run directory that knows what it was made from: ``run.json`` (data fingerprint and config hash).

Training writes ``run.json`` when a run starts and marks it finished at the end. It lets the training
commands refuse, with a message, what used to happen silently:

* training into a directory that already holds a run (finished or not) without ``--force`` (which would
  replace its best model, even by a worse one);
* ``--resume`` with other training data (another ``--data``) or another configuration (architecture,
  training settings, frozen blocks, energy range, parent model) than the run was started with.

``--force`` removes the old run's files first (only nugan's own run files; other files are left alone).
Settings that do not change the result (device, CPU threads) may differ on resume, and so may the number
of steps (to continue a run further; fewer steps than already done is refused).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from nugan.atomic import atomic_write_text
from nugan.training.config import TrainConfig
from nugan.training.state import LEGACY_STATE_FILE, STATE_FILE, has_state

__all__ = [
    "RUN_FILE",
    "RUN_FORMAT",
    "RUN_FILES",
    "config_hash",
    "run_manifest",
    "read_manifest",
    "check_run_dir",
    "start_run",
    "finish_run",
]

RUN_FILE = "run.json"
RUN_FORMAT = "nugan-run-1"
#: Files of a run directory that ``--force`` removes.
RUN_FILES = (
    "model.safetensors",
    "model.json",
    STATE_FILE,
    LEGACY_STATE_FILE,
    "history.jsonl",
    "summary.json",
    RUN_FILE,
)
#: Training settings free to differ on resume: those that do not change the result (device, threads) and
#: ``steps`` (a run may be continued for more steps; fewer than done is refused by the training loop).
_FREE = ("device", "threads", "steps")


def config_hash(config: dict[str, Any]) -> str:
    """sha256 (first 16 hex digits) of a configuration in canonical JSON."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_manifest(
    info: dict[str, Any], cfg: TrainConfig, frozen: dict[str, list[str]] | list[str], energy_range: tuple[float, float]
) -> dict[str, Any]:
    """What a run is made from: data fingerprint, and the configuration with its hash."""
    parent = info.get("parent")
    arch = (info.get("config") or {}).get("arch", "gan")
    config = {
        "role": info.get("role"),
        arch: (info.get("config") or {}).get(arch),
        "train": {k: v for k, v in dataclasses.asdict(cfg).items() if k not in _FREE},
        "frozen": frozen,
        "energy_range": [float(energy_range[0]), float(energy_range[1])],
        "parent": {k: v for k, v in parent.items() if k != "run"} if isinstance(parent, dict) else parent,
    }
    return {
        "format": RUN_FORMAT,
        "data_fingerprint": info.get("data_fingerprint"),
        "config_hash": config_hash(config),
        "config": config,
        "finished": False,
    }


def read_manifest(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's ``run.json``, or None when absent (a run of an older nugan)."""
    p = Path(run_dir) / RUN_FILE
    if not p.is_file():
        return None
    try:
        rec = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{p}: unreadable run description ({err}); use --force to start the run again") from None
    if not isinstance(rec, dict) or rec.get("format") != RUN_FORMAT:
        raise ValueError(f"{p}: not a nugan run description; use --force to start the run again")
    return rec


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """'key: old -> new' for each leaf that differs."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            out += _differences(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    if json.dumps(old, sort_keys=True, default=str) != json.dumps(new, sort_keys=True, default=str):
        return [f"{prefix[:-1]}: {old!r} -> {new!r}"]
    return []


def _check_resume(out: Path, manifest: dict[str, Any]) -> None:
    rec = read_manifest(out)
    if rec is None:  # a run of an older nugan: its model.json (if any) still tells the training data
        js = out / "model.json"
        old_fp = json.loads(js.read_text()).get("data_fingerprint") if js.is_file() else None
        rec = {"data_fingerprint": old_fp or manifest["data_fingerprint"], "config_hash": manifest["config_hash"]}
    problems = []
    if rec.get("data_fingerprint") != manifest["data_fingerprint"]:
        problems.append(
            f"other training data (fingerprint {rec.get('data_fingerprint')}, now "
            f"{manifest['data_fingerprint']}: give the same --data files)"
        )
    if rec.get("config_hash") != manifest["config_hash"]:
        diffs = _differences(rec.get("config", {}), manifest["config"])
        problems.append(f"another configuration ({'; '.join(diffs[:6]) or 'config hash differs'})")
    if problems:
        raise ValueError(
            f"{out}: cannot resume: the run was started with {' and with '.join(problems)}; resume "
            "with the run's own data and config, or start it again with --force"
        )


def check_run_dir(run_dir: str | Path, manifest: dict[str, Any], *, resume: bool, force: bool) -> None:
    """Refuse (ValueError) a resume that does not fit the run, or replacing a run without ``force``; reads only."""
    out = Path(run_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; --out must be a run directory")
    if resume and force:
        raise ValueError("--resume continues a run and --force replaces it: give one of them")
    if resume:
        if not (out / STATE_FILE).is_file() and not (out / LEGACY_STATE_FILE).is_file():
            # before anything is written: a failed resume leaves the directory as it was
            raise ValueError(f"{out}: nothing to resume (no training state in {out}); start the run without --resume")
        _check_resume(out, manifest)
        return
    present = [f for f in RUN_FILES if (out / f).exists()]
    if present and not force:
        finished = (out / "summary.json").exists()
        hint = "--resume to continue it, " if has_state(out) and not finished else ""
        raise ValueError(
            f"{out} already holds {'a finished' if finished else 'an unfinished'} run "
            f"({', '.join(present)}); pass {hint}--force to replace it, or choose another --out"
        )


def start_run(run_dir: str | Path, manifest: dict[str, Any], *, resume: bool, force: bool) -> None:
    """Prepare the directory (``force``: remove the old run's files) and write ``run.json``."""
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    if force and not resume:
        for f in RUN_FILES:
            (out / f).unlink(missing_ok=True)
    if not (resume and (out / RUN_FILE).exists()):
        atomic_write_text(out / RUN_FILE, json.dumps(manifest, indent=1, sort_keys=True, default=str))


def finish_run(run_dir: str | Path) -> None:
    """Mark the run finished in ``run.json``."""
    p = Path(run_dir) / RUN_FILE
    rec = read_manifest(run_dir)
    if rec is not None:
        rec["finished"] = True
        atomic_write_text(p, json.dumps(rec, indent=1, sort_keys=True, default=str))
