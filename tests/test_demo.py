"""End-to-end test of ``nugan demo --quick`` with the shipped base model, and its resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nugan.cli import app
from nugan.training.checkpoint import shipped_models


def test_shipped_base_model_loads() -> None:
    import numpy as np

    import nugan

    assert "numu-C12" in shipped_models()
    m = nugan.load("numu-C12", device="cpu")
    assert m.energy_range == (0.3, 10.0)
    assert m.info["domain"]["target"] == "C12" and m.info["xsec"]["source"].startswith("simulator")
    t = m.sample(np.full(1000, 1.0), seed=0)
    assert len(t) == 1000 and t.meta.target == "C12"


@pytest.mark.slow
def test_demo_quick_runs_and_resumes(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["demo", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and "MC vs MC floor" in res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    names = [r["name"] for r in summary["rows"]]
    assert names[:4] == ["base on C12", "zero-shot (C12 base)", "transfer learning", "scratch (matched budget)"]
    index = Path(summary["report"])
    assert index.exists() and "W at E_nu" in index.read_text()
    tl = tmp_path / "transfer" / "model.safetensors"
    stamp = tl.stat().st_mtime_ns
    res = runner.invoke(app, ["demo", "--quick", "--out", str(tmp_path)])  # resumes: nothing retrained
    assert res.exit_code == 0, res.output
    assert tl.stat().st_mtime_ns == stamp


def test_nuwro_base_model_is_selectable_by_name() -> None:
    import nugan

    assert {"numu-C12", "nuwro-C12"} <= set(shipped_models())
    m = nugan.load("nuwro-C12", device="cpu")
    assert m.info["domain"]["source"] == "nuwro" and m.info["domain"]["target"] == "C12"
    assert m.energy_range == (0.3, 10.0)


@pytest.mark.slow
def test_demo_quick_with_a_flow_base(tmp_path: Path) -> None:
    """The demo takes a flow base: transfer and scratch are flows, the report has no discriminator plots."""
    from nugan.physics import simulate
    from nugan.training import RunConfig, pretrain

    c12 = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=4000, seed=5)
    run = RunConfig.from_dict(
        {
            "flow": {"transforms": 2, "hidden": 16, "bins": 6},
            "train": {"steps": 20, "batch_size": 256, "val_every": 10, "threads": 1},
        },
        arch="flow",
    )
    pretrain(c12, run, tmp_path / "base", energy_range=(0.3, 10.0), progress=False)
    res = CliRunner().invoke(app, ["demo", "--quick", "--base", str(tmp_path / "base"), "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    for run_dir in ("transfer", "scratch"):
        info = json.loads((tmp_path / "d" / run_dir / "model.json").read_text())
        assert info["format"] == "nugan-flow-1", run_dir
    index = Path(json.loads((tmp_path / "d" / "summary.json").read_text())["report"])
    assert index.exists() and "discriminator output" not in index.read_text()


def test_shipped_flow_models_load_sample_and_score() -> None:
    import numpy as np

    import nugan

    assert {"numu-C12-flow", "nuwro-C12-flow"} <= set(shipped_models())
    for name, source in (("numu-C12-flow", "simulator"), ("nuwro-C12-flow", "nuwro")):
        m = nugan.load(name, device="cpu")
        assert m.arch == "flow" and m.info["domain"]["source"] == source and m.energy_range == (0.3, 10.0)
        t = m.sample(np.full(2000, 1.0), seed=0)
        lp = m.log_prob(t)
        assert len(t) == 2000 and np.isfinite(lp).all()
        assert "reproduce" in m.info and m.info["weights_sha256"]


def test_demo_targets_the_antineutrino_and_says_what_tl_changed() -> None:
    from nugan.workflows.demo import SOURCE, TARGET, describe_transfer

    assert (SOURCE.slug, TARGET.slug) == ("numu-C12", "numubar-C12")
    zs = {"auc": 0.81, "emd": 0.30, "emd_0.5": 0.40, "emd_1": 0.30, "emd_3": 0.20}
    tl = {"auc": 0.56, "floor_auc": 0.51, "emd": 0.06, "emd_0.5": 0.08, "emd_1": 0.06, "emd_3": 0.04}
    tl |= {"floor_emd_0.5": 0.03, "floor_emd_1": 0.02, "floor_emd_3": 0.02}
    text = describe_transfer(zs, tl, "numubar-C12")
    assert "AUC 0.810 before and 0.560 after transfer (MC vs MC floor 0.510)" in text
    assert "0.5 GeV 0.400 -> 0.080 (floor 0.030)" in text and "3 GeV 0.200 -> 0.040" in text
    assert "closer to numubar-C12 (80% lower EMD)" in text
    assert describe_transfer({}, {}, "x") == "no metrics to compare."
