"""``nugan pretrain`` under torchrun: two CPU processes (gloo), DDP, one writer of the run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY
from nugan.events import write_parquet
from nugan.training import load_model

# Loaded in every process of the launch (PYTHONPATH): logs, per rank, each file moved into place by
# os.replace, which is how nugan writes model.safetensors / model.json / history.jsonl / summary.json.
SITECUSTOMIZE = """\
import os
_log_dir = os.environ.get("NUGAN_TEST_WRITE_LOG")
_rank = os.environ.get("RANK")
if _log_dir and _rank is not None:
    _replace = os.replace

    def _logged_replace(src, dst, *args, **kwargs):
        _replace(src, dst, *args, **kwargs)
        with open(os.path.join(_log_dir, f"rank{_rank}.log"), "a") as f:
            f.write(os.path.basename(os.fspath(dst)) + "\\n")

    os.replace = _logged_replace
"""


@pytest.mark.slow
def test_torchrun_pretrain_two_cpu_processes(tmp_path: Path, toy_events) -> None:
    data = write_parquet(toy_events(1500), tmp_path / "c12.parquet")
    (tmp_path / "tiny.toml").write_text(TINY)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "run"
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "2000",
        "NUGAN_TEST_WRITE_LOG": str(logs),
        "PYTHONPATH": os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "nugan.cli",
        "pretrain",
        "--data",
        str(data),
        "--config",
        "tiny.toml",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # both ranks ran the command (each reads the data) ...
    assert proc.stdout.count("read 1500 events of numu-C12") == 2, proc.stdout
    assert str(out / "model.safetensors") in proc.stdout
    # ... but only rank 0 wrote the run directory
    assert sorted(p.name for p in logs.iterdir()) == ["rank0.log"]
    written = (logs / "rank0.log").read_text().split()
    assert written.count("summary.json") == 1 and written.count("history.jsonl") == 2
    assert 1 <= written.count("model.safetensors") == written.count("model.json") <= 2
    assert sorted(p.name for p in out.iterdir()) == [
        "history.jsonl",
        "model.json",
        "model.safetensors",
        "run.json",
        "state.safetensors",
        "summary.json",
    ]
    hist = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in hist] == [10, 20]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps_done"] == 20 and summary["best_step"] in (10, 20)
    assert load_model(out).info["best_step"] == summary["best_step"]
