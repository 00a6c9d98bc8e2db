"""End-to-end tests of ``nugan pretrain``, ``nugan transfer`` and ``nugan train`` through the CLI.

Small Parquet samples (toy events) and a tiny TOML config (widths 16, 20 steps of 64 events) keep each
run below a second. Outputs, printed paths and user-facing errors are checked.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from conftest import TINY
from nugan.cli import app
from nugan.events import EventTable, write_parquet
from nugan.training import load_model
from nugan.training.state import load_state

runner = CliRunner()


def nugan(*args: object):
    """Invoke the CLI; a wide terminal so that rich does not wrap paths and messages."""
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "2000"})


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def files(tmp_path: Path, toy_events) -> dict[str, Path]:
    """tiny.toml, a nu_mu-C12 source sample and a nu_mu-Ar40 target sample (Parquet)."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    return {
        "config": cfg,
        "c12": write_parquet(toy_events(1500), tmp_path / "c12.parquet"),
        "ar40": write_parquet(toy_events(1200, seed=9, target="Ar40"), tmp_path / "ar40.parquet"),
    }


def _pretrain(files: dict[str, Path], out: Path, *extra: object):
    res = nugan("pretrain", "--data", files["c12"], "--config", files["config"], "--out", out, *extra)
    assert res.exit_code == 0, res.output
    return res


def _history(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]


def test_pretrain_writes_run_directory(tmp_path: Path, files) -> None:
    out = tmp_path / "base"
    res = _pretrain(files, out)
    text = flat(res.output)
    assert "read 1500 events of numu-C12" in text
    assert str(out / "model.safetensors") in text and str(out / "history.jsonl") in text
    assert "done: 20 steps" in text
    for name in ("model.safetensors", "model.json", "state.safetensors", "history.jsonl", "summary.json"):
        assert (out / name).is_file(), name
    assert not list(out.glob("*.tmp"))
    info = json.loads((out / "model.json").read_text())
    assert info["format"] == "nugan-cgan-1" and info["role"] == "pretrain" and info["parent"] is None
    assert info["gan"]["gen_width"] == 16 and info["config"]["train"]["steps"] == 20
    assert info["energy_range"] == [0.3, 10.0] and info["domain"]["target"] == "C12"
    assert info["n_events"] == 1500 and info["batch_size"] == 64
    hist = _history(out)
    assert [h["step"] for h in hist] == [10, 20]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps_done"] == 20 and not summary["stopped_early"]
    best = min(hist, key=lambda h: h["mean_map"])
    assert summary["best_step"] == best["step"] == info["best_step"]
    assert summary["best_mean_map"] == pytest.approx(best["mean_map"])
    assert load_model(out).config.gen_width == 16


def test_pretrain_overrides_and_energy_range(tmp_path: Path, files) -> None:
    out = tmp_path / "base"
    _pretrain(files, out, "--steps", 10, "--seed", 8, "--energy-range", "0.2:12", "--device", "cpu")
    info = json.loads((out / "model.json").read_text())
    assert info["energy_range"] == [0.2, 12.0]
    assert info["config"]["train"]["steps"] == 10 and info["seed"] == 8
    assert json.loads((out / "summary.json").read_text())["steps_done"] == 10


FREEZE = {
    "first-block": ["block0"],
    "none": [],
    "2": ["block0", "block1"],
    "block1": ["block1"],
}


@pytest.mark.parametrize("spec", list(FREEZE))
def test_transfer_freeze_options(tmp_path: Path, files, spec: str) -> None:
    _pretrain(files, tmp_path / "base")
    base = load_file(str(tmp_path / "base" / "model.safetensors"))
    out = tmp_path / "tl"
    res = nugan(
        "transfer",
        "--base",
        tmp_path / "base",
        "--data",
        files["ar40"],
        "--config",
        files["config"],
        "--out",
        out,
        "--freeze",
        spec,
    )
    assert res.exit_code == 0, res.output
    assert str(out / "model.safetensors") in flat(res.output)
    info = json.loads((out / "model.json").read_text())
    expected = FREEZE[spec]
    assert info["frozen"] == {"generator": expected, "discriminator": expected}
    assert "selection: " in flat(res.output) and "base model" in flat(res.output)
    assert info["role"] == "transfer" and info["domain"]["target"] == "Ar40"
    assert info["parent"]["domain"]["target"] == "C12" and info["parent"]["run"] == "base"
    st = load_state(out)
    for net in ("generator", "discriminator"):
        for k, v in st[net].items():
            frozen = any(k.startswith(f"blocks.{b}.") for b in expected)
            assert torch.equal(v, base[f"{net}.{k}"]) == frozen, f"{spec}: {net}.{k}"
    n_frozen = sum(1 for k in st["generator"] if any(k.startswith(f"blocks.{b}.") for b in expected))
    assert len(st["opt_g"]["param_groups"][0]["params"]) == len(st["generator"]) - n_frozen


def test_transfer_adds_disc_features_and_resumes(tmp_path: Path, files) -> None:
    _pretrain(files, tmp_path / "base")
    out = tmp_path / "cont"
    args = (
        "transfer",
        "--base",
        tmp_path / "base",
        "--data",
        files["c12"],
        "--config",
        files["config"],
        "--out",
        out,
        "--freeze",
        "none",
        "--add-disc-features",
        "W2,Q2",
    )
    res = nugan(*args, "--steps", 10)
    assert res.exit_code == 0, res.output
    assert json.loads((out / "model.json").read_text())["gan"]["disc_features"] == ["W2", "Q2"]
    assert load_file(str(out / "model.safetensors"))["discriminator.blocks.block0.linear.weight"].shape[1] == 4
    res = nugan(*args, "--resume")  # resuming rebuilds the same widened architecture
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["steps_done"] == 20
    bad = nugan(
        "transfer",
        "--base",
        out,
        "--data",
        files["c12"],
        "--config",
        files["config"],
        "--out",
        tmp_path / "again",
        "--add-disc-features",
        "W2",
    )
    assert bad.exit_code == 2 and "already has features" in flat(bad.output)


def test_transfer_adds_latent_categories_and_resumes(tmp_path: Path, files) -> None:
    _pretrain(files, tmp_path / "base")
    out = tmp_path / "cont"
    args = (
        "transfer",
        "--base",
        tmp_path / "base",
        "--data",
        files["c12"],
        "--config",
        files["config"],
        "--out",
        out,
        "--freeze",
        "none",
        "--add-latent-categories",
        4,
    )
    res = nugan(*args, "--steps", 10)
    assert res.exit_code == 0, res.output
    assert json.loads((out / "model.json").read_text())["gan"]["latent_categories"] == 4
    w = load_file(str(out / "model.safetensors"))["generator.blocks.block0.linear.weight"]
    assert w.shape[1] == json.loads((out / "model.json").read_text())["gan"]["latent_dim"] + 4 + 1
    res = nugan(*args, "--resume")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["steps_done"] == 20
    res = nugan("generate", "--model", out, "--energy", "1.0", "--events", 500, "--output", tmp_path / "g.parquet")
    assert res.exit_code == 0, res.output
    bad = nugan(
        "transfer",
        "--base",
        out,
        "--data",
        files["c12"],
        "--config",
        files["config"],
        "--out",
        tmp_path / "again",
        "--add-latent-categories",
        3,
    )
    assert bad.exit_code == 2 and "already has 4 latent categories" in flat(bad.output)


def test_transfer_unknown_block_name(tmp_path: Path, files) -> None:
    _pretrain(files, tmp_path / "base")
    res = nugan(
        "transfer",
        "--base",
        tmp_path / "base",
        "--data",
        files["ar40"],
        "--config",
        files["config"],
        "--out",
        tmp_path / "tl",
        "--freeze",
        "block7",
    )
    assert res.exit_code == 2
    assert "no block(s) ['block7'] in Generator" in flat(res.output)


def test_train_match_budget(tmp_path: Path, files) -> None:
    _pretrain(files, tmp_path / "base")
    tl = tmp_path / "tl"
    res = nugan(
        "transfer",
        "--base",
        tmp_path / "base",
        "--data",
        files["ar40"],
        "--config",
        files["config"],
        "--out",
        tl,
        "--steps",
        10,
    )
    assert res.exit_code == 0, res.output
    scratch_cfg = tmp_path / "scratch.toml"  # different steps and batch size: both must be replaced
    scratch_cfg.write_text(TINY.replace("steps = 20", "steps = 50").replace("batch_size = 64", "batch_size = 32"))
    sc = tmp_path / "sc"
    res = nugan("train", "--data", files["ar40"], "--config", scratch_cfg, "--match-budget", tl, "--out", sc)
    assert res.exit_code == 0, res.output
    assert "done: 10 steps" in flat(res.output) and str(sc / "history.jsonl") in flat(res.output)
    info = json.loads((sc / "model.json").read_text())
    assert info["role"] == "scratch" and info["matched_budget_of"] == "tl" and info["batch_size"] == 64
    assert json.loads((sc / "summary.json").read_text())["steps_done"] == 10
    assert [h["step"] for h in _history(sc)] == [10]


def test_train_match_budget_needs_finished_run(tmp_path: Path, files) -> None:
    res = nugan(
        "train",
        "--data",
        files["ar40"],
        "--config",
        files["config"],
        "--match-budget",
        tmp_path,
        "--out",
        tmp_path / "sc",
    )
    assert res.exit_code == 2
    assert "no summary of a finished run" in flat(res.output)


def test_resume_continues_exactly(tmp_path: Path, files, monkeypatch: pytest.MonkeyPatch) -> None:
    _pretrain(files, tmp_path / "straight")

    from nugan.training import loop

    orig, calls = loop.validation_metric, {"n": 0}

    def die_at_second_validation(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:  # the state of step 10 is saved; the run dies during the step-20 validation
            raise KeyboardInterrupt
        return orig(*args, **kw)

    out = tmp_path / "resumed"
    monkeypatch.setattr(loop, "validation_metric", die_at_second_validation)
    res = nugan("pretrain", "--data", files["c12"], "--config", files["config"], "--out", out)
    assert res.exit_code != 0 and calls["n"] == 2
    assert load_state(out)["step"] == 10
    assert not (out / "summary.json").exists()
    monkeypatch.setattr(loop, "validation_metric", orig)

    res = _pretrain(files, out, "--resume")
    assert "done: 20 steps" in flat(res.output)
    a = load_state(tmp_path / "straight")
    b = load_state(out)
    assert a["step"] == b["step"] == 20
    for net in ("generator", "discriminator"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net
    assert [h["step"] for h in _history(out)] == [10, 20]
    assert [h["mean_map"] for h in _history(out)] == [h["mean_map"] for h in _history(tmp_path / "straight")]


def test_resume_without_state(tmp_path: Path, files) -> None:
    res = nugan(
        "pretrain", "--data", files["c12"], "--config", files["config"], "--out", tmp_path / "empty", "--resume"
    )
    assert res.exit_code == 2
    assert "nothing to resume" in flat(res.output)
    assert not (tmp_path / "empty" / "run.json").exists()  # refused before writing: a plain start is not blocked


# ----------------------------------------------------------------------------------------------- errors
def test_missing_data_file(tmp_path: Path, files) -> None:
    missing = tmp_path / "nope.parquet"
    res = nugan("pretrain", "--data", missing, "--config", files["config"], "--out", tmp_path / "run")
    assert res.exit_code == 2
    assert f"{missing}: no such file" in flat(res.output)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TINY.replace("steps = 20", "stepz = 20"), "unknown train config field(s) ['stepz']"),
        (TINY.replace("gen_width = 16", "gen_widht = 16"), "unknown GAN config field(s) ['gen_widht']"),
        (TINY + "\n[optimizer]\nlr = 1\n", "unknown config section(s) ['optimizer']"),
        (TINY.replace("steps = 20", "steps = "), "cannot parse config"),
        (TINY.replace("seed = 3", 'gen_loss = "wasserstein"'), "gen_loss must be one of"),
    ],
    ids=["train-key", "gan-key", "section", "syntax", "value"],
)
def test_malformed_config(tmp_path: Path, files, text: str, message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    res = nugan("pretrain", "--data", files["c12"], "--config", bad, "--out", tmp_path / "run")
    assert res.exit_code == 2, res.output
    assert message in flat(res.output)


def test_base_is_not_a_model(tmp_path: Path, files) -> None:
    _pretrain(files, tmp_path / "base")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (empty, f"{empty}: no nugan model there"),
        (tmp_path / "base" / "summary.json", "not a nugan model checkpoint (format None"),
        (tmp_path / "base" / "history.jsonl", "not a nugan model description (not valid JSON"),
    ]
    for base, message in cases:
        res = nugan(
            "transfer", "--base", base, "--data", files["ar40"], "--config", files["config"], "--out", tmp_path / "tl"
        )
        assert res.exit_code == 2, res.output
        assert message in flat(res.output), base
    assert not (tmp_path / "tl").exists()


def test_base_is_a_data_file(tmp_path: Path, files) -> None:
    res = nugan(
        "transfer",
        "--base",
        files["c12"],
        "--data",
        files["ar40"],
        "--config",
        files["config"],
        "--out",
        tmp_path / "tl",
    )
    assert res.exit_code == 2
    assert str(files["c12"]) in flat(res.output)


def test_target_outside_base_energy_range(tmp_path: Path, files, toy_events) -> None:
    _pretrain(files, tmp_path / "base")
    t = toy_events(1200, seed=9, target="Ar40")
    wide = EventTable(
        2.0 * t.E_nu, 2.0 * t.E_mu, t.cos_theta, meta=dataclasses.replace(t.meta, energy_range=(0.6, 20.0))
    )
    n_out = int((wide.E_nu > 10.0 * (1 + 1e-6)).sum())
    assert 0 < n_out < len(wide)
    path = write_parquet(wide, tmp_path / "wide.parquet")
    res = nugan(
        "transfer", "--base", tmp_path / "base", "--data", path, "--config", files["config"], "--out", tmp_path / "tl"
    )
    assert res.exit_code == 2
    assert f"{n_out} target events lie outside the base model's energy range (0.3, 10.0) GeV" in flat(res.output)
    assert not (tmp_path / "tl" / "model.json").exists()


def _with_nan(t: EventTable, n: int) -> EventTable:
    E = t.E_nu.copy()
    cos = t.cos_theta.copy()
    E[:n] = np.nan
    cos[n : n + 2] = np.inf
    return EventTable(E, t.E_mu, cos, meta=t.meta)


@pytest.mark.parametrize("command", ["pretrain", "transfer", "train"])
def test_nan_rows_need_lenient(tmp_path: Path, files, toy_events, command: str) -> None:
    path = write_parquet(_with_nan(toy_events(1300, seed=4), 5), tmp_path / "nan.parquet")
    args: list[object] = [command, "--data", path, "--config", files["config"]]
    if command == "transfer":
        _pretrain(files, tmp_path / "base")
        args += ["--base", tmp_path / "base"]
    out = tmp_path / "run"
    res = nugan(*args, "--out", out)
    assert res.exit_code == 2
    text = flat(res.output)
    assert "7 of 1300 rows invalid: non-finite value (NaN/inf) (7)" in text and "lenient" in text
    assert not (out / "model.json").exists()

    with pytest.warns(UserWarning, match=r"dropped 7 of 1300 rows invalid: non-finite value \(NaN/inf\) \(7\)"):
        res = nugan(*args, "--out", out, "--lenient")
    assert res.exit_code == 0, res.output
    assert str(out / "model.safetensors") in flat(res.output)
    assert json.loads((out / "model.json").read_text())["n_events"] == 1293
    assert json.loads((out / "summary.json").read_text())["steps_done"] == 20
