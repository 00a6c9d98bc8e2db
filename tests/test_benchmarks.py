"""Smoke tests of the benchmark scripts: they run end to end on tiny settings and write their JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
    )


def test_train_benchmark_times_real_fit_steps(tmp_path: Path) -> None:
    out = tmp_path / "train.json"
    proc = _run(
        "train.py",
        "--configs",
        "--batch-sizes",
        "64",
        "--threads",
        "1",
        "--devices",
        "cpu",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--n-train",
        "500",
        "--n-val",
        "200",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 1 and rows[0]["batch_size"] == 64 and rows[0]["steps_timed"] == 2
    assert rows[0]["events_per_s"] > 0 and rows[0]["step_ms_min"] <= rows[0]["step_ms_median"]


def test_generate_benchmark_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "generate.json"
    proc = _run(
        "generate.py",
        "--threads",
        "1",
        "--batches",
        "1000",
        "--devices",
        "cpu",
        "--models",
        "numu-C12",
        "--pipeline-events",
        "parquet:20000,hepmc3:300",
        "--min-seconds",
        "0.1",
        "--simulator-events",
        "2000",
        "--out",
        str(out),
        "--command-runs",
        "1",
        "--command-events",
        "10",
        "--command-models",
        "numu-C12,not-shipped",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["results"]
    assert {"nugan sample", "built-in simulator", "command"} <= {r["what"] for r in rows}
    sample = next(r for r in rows if r["what"] == "nugan sample")
    assert sample["model"] == "numu-C12" and sample["flops_per_event"] > 1e4
    assert {r["engine"] for r in rows if r["what"] == "nugan sample"} == {"torch", "numpy", "compile"}
    assert 0 < sample["fraction_of_bound"] == sample["events_per_s"] / sample["compute_bound_events_per_s"]
    pipes = {r["what"]: r for r in rows if r["what"].startswith("nugan generate")}
    assert (
        {r["what"] for r in rows if r["what"].startswith("nugan generate")}
        == set(pipes)
        == {
            "nugan generate -> parquet",
            "nugan generate -> hepmc3",
        }
    )
    assert all(r["in_process_events_per_s"] > 0 for r in pipes.values())
    # NuHepMC text takes ~700 bytes per event, Parquet tens; the storage bound is their ratio to the write rate
    hep, pq = pipes["nugan generate -> hepmc3"], pipes["nugan generate -> parquet"]
    assert 400 < hep["bytes_per_event"] < 1000 and pq["bytes_per_event"] < 60
    for r in (hep, pq):
        assert r["storage_bound_events_per_s"] == r["storage_write_bytes_per_s"] / r["bytes_per_event"] > 0
    commands = [r["command"] for r in rows if r["what"] == "command"]
    assert commands[:3] == [
        "nugan --help",
        "nugan generate -m numu-C12 -n 10 -o numu-C12-10.parquet --seed 1 --no-progress",
        "nugan generate -m numu-C12 -n 10 -o numu-C12-10.parquet --seed 1 --no-progress --engine compile",
    ]
    assert "nugan inspect numu-C12-10.parquet" in commands and "not shipped, skipped: not-shipped" in proc.stdout


def test_measurements_benchmark_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "measurements.json"
    proc = _run("measurements.py", "--nuwro", "", "--n-events", "5000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())["results"]
    t2k = {r["label"]: r for r in res["t2k-nd280-ccinc-c-2018"]}
    assert abs(t2k["NEUT 5.3.2 (release)"]["chi2"] - 218.7) < 0.1 and "model nuwro-C12" in t2k
    assert "model nuwro-C12-flow" in t2k
    ub = [r["label"] for r in res["microboone-ccinc-ar-2019"]]  # simulator + the four shipped models
    assert ub[0] == "simulator default (Ar40)" and len(ub) == 5 and all("C12 standing in for Ar" in x for x in ub[1:])


def test_sampling_speed_benchmark_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "speed.json"
    proc = _run(
        "sampling_speed.py",
        "--model",
        "numu-C12",
        "--model",
        "numu-C12-flow",
        "--threads",
        "1",
        "--events",
        "20000",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert [(r["model"], r["arch"]) for r in rows] == [("numu-C12", "gan"), ("numu-C12-flow", "flow")]
    assert all(r["events_per_s"] > 0 for r in rows) and out.with_suffix(".md").exists()


def test_tune_benchmark_without_nuwro_data_skips_the_argon_part(tmp_path: Path) -> None:
    out = tmp_path / "tune_t2k.json"
    proc = _run(
        "tune_t2k.py",
        "--nuwro-dir",
        str(tmp_path / "absent"),
        "--out",
        str(tmp_path / "runs"),
        "--lambda",
        "1000",
        "--folds",
        "2",
        "--events",
        "3000",
        "--steps",
        "2",
        "--predict-events",
        "3000",
        "--auc-events",
        "300",
        "--results",
        str(out),
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    for key in ("tuned", "base", "neut", "genie"):
        assert res[key]["heldout_ndf"] == 71 and res[key]["ndf"] == 71
    assert res["argon"] is None and "not found" in res["argon_skipped"] and res["command"].startswith("python")
    assert out.with_suffix(".md").exists() and (tmp_path / "tune_t2k_slices.png").exists()


def test_startup_benchmark_times_commands_and_crossover(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from startup import crossover

    c = crossover((0.5, 4.5), (2.5, 4.0), 1_000_010)  # numpy 250k/s, torch 666k/s: cross at 0.8e6 events
    assert c["numpy"]["events_per_s"] == 250_000 and 790_000 < c["crossover_events"] < 810_000
    assert crossover((0.5, 1.5), (2.5, 4.0), 1_000_010)["crossover_events"] is None  # NumPy never slower
    out = tmp_path / "startup.json"
    proc = _run("startup.py", "--commands-only", "--runs", "1", "--inspect-file", "absent.root", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert list(res["commands"]) == ["nugan --help", "nugan generate -m nuwro-C12 -n 10"]
    assert all(r["ok"] and r["median_s"] > 0 for r in res["commands"].values()) and "provenance" in res


@pytest.mark.skipif(not any(shutil.which(c) for c in ("g++", "c++", "clang++")), reason="torch.compile needs C++")
def test_compile_engine_benchmark_writes_ratios(tmp_path: Path) -> None:
    out = tmp_path / "compile.json"
    proc = _run("compile_engine.py", "--model", "numu-C12", "--events", "20000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["results"]
    assert [(r["engine"], r["threads"]) for r in rows] == [("torch", 1), ("compile", 1), ("torch", 2), ("compile", 2)]
    assert all(r["events_per_s"] > 0 for r in rows)
    assert [r["ratio_to_torch"] for r in rows][0::2] == [1.0, 1.0]


def test_bf16_autocast_benchmark_reports_speed_and_sample_change(tmp_path: Path) -> None:
    out = tmp_path / "bf16.json"
    proc = _run("bf16_autocast.py", "--events", "20000", "--auc-events", "2000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert set(res["events_per_s"]) == {"float32", "bfloat16"} and all(v > 0 for v in res["events_per_s"].values())
    # bf16 changes the events (autocast reaches the flow's matrix products) but keeps them physical and close
    assert 0 < res["event_level"]["dE_mu_median_GeV"] < 0.1
    assert [r["energy"] for r in res["auc"]] == ["flat 0.3-10", 0.5, 1.0]
    assert all(0.3 < r["bf16_vs_fp32"] < 0.7 and 0.3 < r["floor"] < 0.7 for r in res["auc"])
    assert "provenance" in res


def test_qe_shift_diagnostics_reads_nuwro_and_moves_the_auc(tmp_path: Path, nuwro_data_dir: Path) -> None:
    out = tmp_path / "qe.json"
    proc = _run("qe_shift_diagnostics.py", "--nuwro-dir", str(nuwro_data_dir), "--events", "20000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    rows = {(r["probe"], r["E"]): r for r in res["q2_medians"]}
    assert set(rows) == {("numu", 0.5), ("numubar", 0.5), ("numu", 1.0), ("numubar", 1.0)}
    # NuWro's anti-nu QE sits lower than its nu QE in the lowest Q2 bin (the effect the script is about)
    assert rows[("numubar", 0.5)]["nuwro"][0]["median_MeV"] < rows[("numu", 0.5)]["nuwro"][0]["median_MeV"] - 5
    proxy = res["nubar_0.5GeV_proxy"]
    assert [p["shift_MeV"] for p in proxy] == [0.0, 4.0, 8.0, 10.0, 12.0]
    assert all(0.45 < p["auc"] < 0.75 and 0.45 < p["auc_nuwro_composition"] < 0.75 for p in proxy)


def test_simulator_scan_compares_variants_with_nuwro(tmp_path: Path, nuwro_data_dir: Path) -> None:
    """Two models, tiny Monte Carlo: one row per fixed-energy sample each, AUCs and sigma ratios in range."""
    out = tmp_path / "scan.json"
    models = "default,configs/models/simulator_moving_flux.toml"
    proc = _run("simulator_scan.py", "--nuwro-dir", str(nuwro_data_dir), "--models", models, "--trials", "20000",
                "--auc-seeds", "1", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())["models"]
    assert [r["label"] for r in res] == ["default@2.4", "default-moving-flux@2.3+flux"]
    for r in res:
        assert len(r["samples"]) == 9
        for s in r["samples"]:
            assert 0.45 < s["auc"] < 0.9 and 0.7 < s["sigma_ratio"] < 1.4 and s["chi2_per_bin_W"] > 0
