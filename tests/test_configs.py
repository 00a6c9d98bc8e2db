"""The shipped configs load, and the recipes that rebuild the shipped models name files that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nugan.training import load_run_config
from nugan.training.checkpoint import shipped_models

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_loads(path: Path) -> None:
    cfg = load_run_config(path)
    assert cfg.train.steps > 0 and cfg.train.batch_size > 0
    assert 0.0 <= cfg.train.energy_balance <= 1.0


def test_balanced_configs_differ_only_in_energy_balance() -> None:
    half = load_run_config(ROOT / "configs/continue_balanced_cpu.toml").train
    flat = load_run_config(ROOT / "configs/continue_balanced_flat_cpu.toml").train
    assert (half.energy_balance, flat.energy_balance) == (0.5, 1.0)
    assert flat.replace(energy_balance=0.5) == half


def test_recipes_name_existing_files() -> None:
    script = (ROOT / "benchmarks/pretrain_base.sh").read_text()
    named = set(re.findall(r"(configs/[\w.]+\.toml|benchmarks/[\w.]+\.py)", script))
    assert "configs/continue_balanced_flat_cpu.toml" in named
    missing = [n for n in named if not (ROOT / n).exists()]
    assert not missing, f"pretrain_base.sh names missing files: {missing}"
    for name, path in shipped_models().items():
        command = json.loads(path.read_text())["reproduce"]
        script_path = re.search(r"benchmarks/[\w.]+\.(?:sh|py)", command)
        assert script_path and (ROOT / script_path.group(0)).exists(), f"{name}: {command}"
