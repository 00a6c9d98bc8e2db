"""Regression tests of issue 21 (reliability and security), items 2-11: every reproducer gives a clear error
(rc 2, a message naming the file or field, no traceback) or the right result.

A tiny model is trained once per module (widths 16, 20 steps); the rest edits copies of it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from conftest import TINY, make_toy_events
from nugan.atomic import WriterBusyError, atomic_write_text
from nugan.cli import app
from nugan.events import EventTable, write_parquet
from nugan.events.csv_io import write_csv
from nugan.events.parquet_io import ParquetEventWriter, read_parquet
from nugan.events.readers import read_events
from nugan.models import GANConfig
from nugan.models.transforms import VariableTransform
from nugan.training import RunConfig, TrainConfig, load_model, pretrain
from nugan.training.checkpoint import shipped_models

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"


def nugan(*args: object):
    """Invoke the CLI in-process with a wide terminal."""
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "2000"})


def flat(text: str) -> str:
    return " ".join(text.split())


def clean_error(res, *needles: str) -> str:
    """Assert rc 2, no traceback, and that the message holds every needle; returns the flat output."""
    text = flat(res.output)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, (AssertionError, TypeError))
    for n in needles:
        assert n in text, text
    return text


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A trained tiny model (run directory), its data, an Ar40 sample and the tiny config."""
    d = tmp_path_factory.mktemp("rel")
    cfg = d / "tiny.toml"
    cfg.write_text(TINY)
    c12 = write_parquet(make_toy_events(1500), d / "c12.parquet")
    ar40 = write_parquet(make_toy_events(1200, seed=9, target="Ar40"), d / "ar40.parquet")
    res = nugan("pretrain", "--data", c12, "--config", cfg, "--out", d / "base")
    assert res.exit_code == 0, res.output
    return {"dir": d, "run": d / "base", "config": cfg, "c12": c12, "ar40": ar40}


def copy_model(base: dict[str, Path], dst: Path) -> Path:
    """A copy of the base model's model.json/.safetensors in ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in ("model.json", "model.safetensors"):
        shutil.copy(base["run"] / f, dst / f)
    return dst


def edit_json(run: Path, change) -> None:
    info = json.loads((run / "model.json").read_text())
    change(info)
    (run / "model.json").write_text(json.dumps(info))


# ----------------------------------------------------------------------------------------------- item 2
def test_item2_finished_run_not_overwritten_without_force(base: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(base["run"], run)
    before = (run / "model.safetensors").read_bytes()
    short = tmp_path / "short.toml"
    short.write_text(TINY.replace("steps = 20", "steps = 10"))
    res = nugan("pretrain", "--data", base["c12"], "--config", short, "--out", run)
    clean_error(res, "already holds a finished run", "--force")
    assert (run / "model.safetensors").read_bytes() == before
    res = nugan("pretrain", "--data", base["c12"], "--config", short, "--out", run, "--force")
    assert res.exit_code == 0, res.output
    assert json.loads((run / "run.json").read_text())["finished"] is True
    assert json.loads((run / "summary.json").read_text())["steps_done"] == 10


def test_item2_resume_with_other_data_or_fewer_steps(base: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(base["run"], run)
    res = nugan("pretrain", "--data", base["ar40"], "--config", base["config"], "--out", run, "--resume")
    clean_error(res, "cannot resume", "other training data")
    res = nugan("pretrain", "--data", base["c12"], "--config", base["config"], "--out", run, "--resume", "--seed", 7)
    clean_error(res, "another configuration", "train.seed: 3 -> 7")
    res = nugan("pretrain", "--data", base["c12"], "--config", base["config"], "--out", run, "--resume", "--steps", 10)
    clean_error(res, "at step 20 but train.steps is 10")
    res = nugan("pretrain", "--data", base["c12"], "--config", base["config"], "--out", run, "--resume", "--force")
    clean_error(res, "give one of them")


# ----------------------------------------------------------------------------------------------- item 3
def _plain_nuwro_like(path: Path) -> Path:
    """A Parquet file with NuWro dyn codes in 'channel' and no nugan metadata (sidecar JSON not copied)."""
    t = make_toy_events(600, seed=2)
    dyn = np.resize(np.array([0, 2, 4, 4, 8, 10, 1, 3], dtype=np.int64), len(t))
    pq.write_table(pa.table({"E_nu": t.E_nu, "E_mu": t.E_mu, "cos_theta": t.cos_theta, "channel": dyn}), path)
    return path


def test_item3_channel_codes_without_sidecar_are_not_guessed(tmp_path: Path) -> None:
    src = _plain_nuwro_like(tmp_path / "numu_C12.parquet")
    res = nugan("inspect", src)
    assert res.exit_code == 0, res.output
    assert "fraction COH" not in res.output and "column 'channel' ignored" in flat(res.output)
    with pytest.warns(UserWarning, match="column 'channel' ignored.*sidecar numu_C12.json"):
        assert read_events(src).channel is None
    for out in ("c.csv", "c.hepmc3", "c.parquet"):
        res = nugan("convert", src, tmp_path / out, "--xsec", "1e-38")
        assert res.exit_code == 0, res.output
    assert read_parquet(tmp_path / "c.parquet").channel is None
    (tmp_path / "numu_C12.json").write_text(
        json.dumps({"generator": "NuWro", "beam_pdg": 14, "target_Z": 6, "target_A": 12})
    )
    fr = read_events(src).channel_fractions()
    assert fr["DIS"] == pytest.approx(2 / 8) and "COH" not in fr


def test_item3_event_table_refuses_foreign_channel_codes() -> None:
    t = make_toy_events(10)
    with pytest.raises(ValueError, match=r"channel codes \[8\] are not nugan codes"):
        EventTable(t.E_nu, t.E_mu, t.cos_theta, channel=np.full(10, 8))


def test_item3_real_nuwro_file_without_sidecar(nuwro_data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "copy.parquet"
    shutil.copy(nuwro_data_dir / "numu_C12_base.parquet", src)
    res = nugan("inspect", src)
    assert res.exit_code == 0 and "fraction COH" not in res.output, res.output


# ----------------------------------------------------------------------------------------------- item 4
def _nan_weights(run: Path) -> None:
    tensors = load_file(str(run / "model.safetensors"))
    name = next(k for k in tensors if k.startswith("generator.") and tensors[k].is_floating_point())
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    save_file(tensors, str(run / "model.safetensors"), metadata={"format": "nugan-cgan-1"})
    edit_json(run, lambda i: i.pop("weights_sha256"))  # as an older model.json: the finite check alone


def test_item4_nan_model_is_refused(base: dict[str, Path], tmp_path: Path) -> None:
    nan = copy_model(base, tmp_path / "nan")
    _nan_weights(nan)
    res = nugan("generate", "--model", nan, "-n", 100, "--energy", "1.0", "-o", tmp_path / "g.parquet")
    clean_error(res, "model.safetensors", "NaN or infinite")
    assert not (tmp_path / "g.parquet").exists()
    res = nugan("transfer", "--base", nan, "--data", base["ar40"], "--config", base["config"], "--out", tmp_path / "tl")
    clean_error(res, "NaN or infinite")
    std = copy_model(base, tmp_path / "std")
    edit_json(std, lambda i: i["transform"].update(std=[float("nan"), 1.0]))
    res = nugan("generate", "--model", std, "-n", 100, "--energy", "1.0", "-o", tmp_path / "g.parquet")
    clean_error(res, "model.json", "transform.std must be two finite numbers > 0")


def test_item4_training_that_diverges_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nugan.training.loop as loop

    monkeypatch.setattr(
        loop,
        "validation_metric",
        lambda *a, **k: {"map3d": float("nan"), "map3d_no_tails": float("nan"), "mean_map": float("nan")},
    )
    small = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
    tc = TrainConfig(steps=4, batch_size=64, val_every=2, val_fraction=0.2, seed=0, threads=1)
    with pytest.raises(ValueError, match="without a finite validation <MAP>"):
        pretrain(make_toy_events(600), RunConfig(small, tc), tmp_path, progress=False)
    assert not (tmp_path / "model.json").exists() and not (tmp_path / "summary.json").exists()


# ----------------------------------------------------------------------------------------------- item 5
def test_item5_simulate_streams_without_spawning_or_rereading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nugan.events.parquet_io as pio

    def no(*a, **k):
        raise AssertionError("must not be called")

    class NoSpawn(np.random.SeedSequence):
        spawn = no

    monkeypatch.setattr(np.random, "SeedSequence", NoSpawn)
    monkeypatch.setattr(pio, "read_parquet", no)
    res = nugan("simulate", "-o", tmp_path / "s.parquet", "-n", 3000, "--no-progress")
    assert res.exit_code == 0, res.output
    assert "wrote 3,000 events" in res.output


def test_item5_event_count_is_bounded(tmp_path: Path) -> None:
    res = nugan("simulate", "-o", tmp_path / "s.parquet", "-n", 10**23, "--no-progress")
    clean_error(res, "at most 1e+10")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------------------------- item 6
def test_item6_simulate_refuses_wrong_extension(tmp_path: Path) -> None:
    cfg = tmp_path / "mycfg.toml"
    cfg.write_text(TINY)
    clean_error(nugan("simulate", "-o", cfg, "-n", 100, "--no-progress"), "mycfg.toml", ".parquet")
    assert cfg.read_text() == TINY
    clean_error(nugan("simulate", "-o", tmp_path / "out.hepmc3", "-n", 100, "--no-progress"), "out.hepmc3")
    assert not (tmp_path / "out.hepmc3").exists()


def test_item6_every_writer_checks_its_extension(tmp_path: Path) -> None:
    t = make_toy_events(20)
    with pytest.raises(ValueError, match="parquet writer needs"):
        write_parquet(t, tmp_path / "x.csv")
    with pytest.raises(ValueError, match="csv writer needs"):
        write_csv(t, tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="parquet writer needs"):
        ParquetEventWriter(tmp_path / "x.toml", t.meta)
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------------------------- item 7
def test_item7_directory_as_input(base: dict[str, Path], tmp_path: Path) -> None:
    d = tmp_path / "folder"
    d.mkdir()
    clean_error(nugan("inspect", d), "is a directory")
    clean_error(nugan("convert", d, tmp_path / "o.parquet"), "is a directory")
    clean_error(nugan("evaluate", "--model", base["run"], "--reference", d, "--no-auc"), "is a directory")
    clean_error(nugan("compare", base["run"], "--reference", d, "--no-auc"), "is a directory")
    clean_error(nugan("transfer", "--base", base["run"], "--data", d, "--out", tmp_path / "tl"), "is a directory")


def test_item7_bad_flux_file(tmp_path: Path) -> None:
    bad = tmp_path / "random.root"
    bad.write_bytes(np.random.default_rng(0).bytes(300))
    res = nugan("simulate", "-o", tmp_path / "s.parquet", "-n", 100, "--flux", f"{bad}:h", "--no-progress")
    clean_error(res, "random.root", "cannot read the flux histogram 'h'")


@pytest.mark.parametrize(
    "value, needle",
    [("96", "'gen_width' must be int"), (1e9, "'gen_width' must be int"), (10**9, "'gen_width' must be <= 8192")],
)
def test_item7_bad_architecture_in_model_json(
    base: dict[str, Path], tmp_path: Path, value: object, needle: str
) -> None:
    run = copy_model(base, tmp_path / "m")
    edit_json(run, lambda i: i["gan"].update(gen_width=value))
    clean_error(
        nugan("generate", "--model", run, "-n", 10, "--energy", "1", "-o", tmp_path / "g.parquet"), "model.json", needle
    )


def test_item7_bad_value_types_in_config(base: dict[str, Path], tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text('gan:\n  latent_dim: "eight"\n')
    clean_error(
        nugan("pretrain", "--data", base["c12"], "--config", cfg, "--out", tmp_path / "r"),
        "c.yaml",
        "'latent_dim' must be int",
        "'eight'",
    )
    cfg.write_text("train:\n  steps: 1.5\n")
    clean_error(
        nugan("pretrain", "--data", base["c12"], "--config", cfg, "--out", tmp_path / "r"), "'steps' must be int"
    )


def test_item7_evaluate_out_is_a_file(base: dict[str, Path], tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    clean_error(
        nugan("evaluate", "--model", base["run"], "--reference", base["c12"], "--out", notes, "--no-auc"),
        "notes.txt is a file",
    )
    assert notes.read_text() == "mine"


# ----------------------------------------------------------------------------------------------- item 8
def test_item8_wrong_column_type_names_file_and_column(tmp_path: Path) -> None:
    t = make_toy_events(50)
    p = tmp_path / "strings.parquet"
    pq.write_table(pa.table({"E_nu": t.E_nu, "E_mu": [str(x) for x in t.E_mu], "cos_theta": t.cos_theta}), p)
    clean_error(nugan("inspect", p), "strings.parquet", "column 'E_mu' has type string")


def test_item8_missing_model_keys(base: dict[str, Path], tmp_path: Path) -> None:
    run = copy_model(base, tmp_path / "m")
    edit_json(run, lambda i: i.pop("gan"))
    clean_error(
        nugan("generate", "--model", run, "-n", 10, "--energy", "1", "-o", tmp_path / "g.parquet"),
        "model.json",
        "lacks the 'gan'",
    )


def test_item8_messages_quote_the_models_range(base: dict[str, Path], tmp_path: Path) -> None:
    ref = write_parquet(make_toy_events(2000, seed=5), tmp_path / "ref.parquet")
    text = clean_error(
        nugan("evaluate", "--model", base["run"], "--reference", ref, "--energies", "50", "--no-auc"),
        "--energies 50 GeV outside model",
        "range 0.3-10 GeV",
    )
    assert "allow" not in text
    t = make_toy_events(2000, seed=5)
    wide = write_parquet(EventTable(2 * t.E_nu, 2 * t.E_mu, t.cos_theta, meta=t.meta), tmp_path / "wide.parquet")
    fixed = tmp_path / "fixed.parquet"
    assert nugan("simulate", "-o", fixed, "--energy", "1", "-n", 500, "--no-progress").exit_code == 0
    text = clean_error(
        nugan("evaluate", "--model", base["run"], "--reference", wide, "--fixed", fixed, "--no-auc"),
        "reference events have E_nu outside model",
    )
    assert "allow" not in text
    res = nugan("transfer", "--base", base["run"], "--data", wide, "--config", base["config"], "--out", tmp_path / "t")
    assert "allow" not in clean_error(res, "outside the base model's energy range")
    res = nugan("generate", "--model", base["run"], "-n", 10, "--energy", "0.1:5", "-o", tmp_path / "g.parquet")
    assert "muon mass" not in clean_error(res, "energy range 0.1-5 GeV is outside the model's range 0.3-10 GeV")


# ----------------------------------------------------------------------------------------------- item 9
def test_item9_flipped_bytes_detected(base: dict[str, Path], tmp_path: Path) -> None:
    run = copy_model(base, tmp_path / "m")
    st = run / "model.safetensors"
    raw = bytearray(st.read_bytes())
    header = 8 + int.from_bytes(raw[:8], "little")
    idx = np.random.default_rng(0).choice(np.arange(header, len(raw)), size=min(1000, len(raw) - header), replace=False)
    for i in idx:
        raw[i] ^= 0x10
    st.write_bytes(bytes(raw))
    clean_error(
        nugan("generate", "--model", run, "-n", 10, "--energy", "1", "-o", tmp_path / "g.parquet"),
        "model.safetensors",
        "do not match the sha256",
    )
    old = copy_model(base, tmp_path / "old")
    edit_json(old, lambda i: i.pop("weights_sha256"))  # a model.json of an older nugan still loads
    assert load_model(old).info.get("weights_sha256") is None


def test_item9_zero_scale_refused(base: dict[str, Path], tmp_path: Path) -> None:
    run = copy_model(base, tmp_path / "m")
    edit_json(run, lambda i: i["transform"].update(std=[0.0, 0.0]))
    clean_error(
        nugan("generate", "--model", run, "-n", 10, "--energy", "1", "-o", tmp_path / "g.parquet"), "transform.std"
    )
    with pytest.raises(ValueError, match="std"):
        VariableTransform(0.3, 10.0, (0.0, 0.0), (1.0, 0.0))


def test_item9_shipped_models_carry_a_hash() -> None:
    for name, js in shipped_models().items():
        assert len(json.loads(js.read_text()).get("weights_sha256", "")) == 64, name
        load_model(js)


# ---------------------------------------------------------------------------------------------- item 10
def test_item10_stale_tmp_cleaned_and_live_writer_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out.with_name(f"{out.name}.{dead.pid}.tmp")
    stale.write_bytes(b"x" * 1000)
    write_parquet(make_toy_events(10), out)
    assert not stale.exists() and not list(tmp_path.glob("*.lock"))
    # a live process (this test's parent) holds the lock: a second writer is refused, nothing is lost
    out.with_name("out.parquet.lock").write_text(str(os.getppid()))
    with pytest.raises(WriterBusyError, match=f"another nugan process \\(pid {os.getppid()}\\)"):
        write_parquet(make_toy_events(10), out)
    res = nugan("simulate", "-o", out, "-n", 100, "--no-progress")
    clean_error(res, "is writing this file")
    # a lock left by a killed process is taken over
    out.with_name("out.parquet.lock").write_text(str(dead.pid))
    atomic_write_text(tmp_path / "x.txt", "ok")
    write_parquet(make_toy_events(10), out)
    assert not list(tmp_path.glob("*.lock")) and not list(tmp_path.glob("*.tmp"))


def test_item10_sigterm_removes_the_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "big.parquet"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nugan.cli", "simulate", "-o", str(out), "-n", "50000000", "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while not list(tmp_path.glob("*.tmp")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert list(tmp_path.glob("*.tmp")), "the writer never started"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not list(tmp_path.iterdir())


def test_item10_interrupt_while_opening_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGTERM (here KeyboardInterrupt) after the Parquet writer created its file but before it returned."""

    def opened_then_interrupted(where: Path, *args: object, **kwargs: object) -> None:
        Path(where).write_bytes(b"PAR1")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "ParquetWriter", opened_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        ParquetEventWriter(tmp_path / "x.parquet", make_toy_events(1).meta)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------- item 11
def test_item11_freeze_beyond_the_blocks(base: dict[str, Path], tmp_path: Path) -> None:
    res = nugan(
        "transfer",
        "--base",
        base["run"],
        "--data",
        base["ar40"],
        "--config",
        base["config"],
        "--out",
        tmp_path / "tl",
        "--freeze",
        99,
    )
    clean_error(res, "cannot freeze 99 blocks", "has only 2")


def test_item11_weights_have_the_usual_permissions(base: dict[str, Path]) -> None:
    mask = os.umask(0)
    os.umask(mask)
    for f in ("model.safetensors", "model.json", "state.safetensors", "run.json"):
        assert (base["run"] / f).stat().st_mode & 0o777 == 0o666 & ~mask, f


def test_item11_chunk_size_does_not_change_the_events(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for p, chunk in ((a, 1_000_000), (b, 7_000)):
        res = nugan("simulate", "-o", p, "-n", 20_000, "--seed", 4, "--chunk-size", chunk, "--no-progress")
        assert res.exit_code == 0, res.output
    ta, tb = read_parquet(a), read_parquet(b)
    assert np.array_equal(ta.E_mu, tb.E_mu) and np.array_equal(ta.channel, tb.channel)
