"""Training loop: checkpoints, determinism, exact resume, transfer freezing, scratch budget, DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, load_model, load_run_config, pretrain, scratch, transfer
from nugan.training.runs import selection_note
from nugan.training.state import load_state

SMALL = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)


def _run(steps: int = 20, seed: int = 3, **kw) -> RunConfig:
    return RunConfig(
        SMALL, TrainConfig(steps=steps, batch_size=64, val_every=10, val_fraction=0.2, seed=seed, threads=1, **kw)
    )


def test_pretrain_writes_checkpoint_and_loads(tmp_path: Path, toy_events) -> None:
    res = pretrain(toy_events(1500), _run(), tmp_path, progress=False)
    assert res.steps_done == 20 and len(res.history) == 2
    info = json.loads((tmp_path / "model.json").read_text())
    assert info["role"] == "pretrain" and info["domain"]["target"] == "C12"
    assert info["energy_range"] == [0.3, 10.0] and ":" in info["data_fingerprint"]
    b = load_model(tmp_path)
    assert b.config == SMALL
    assert (tmp_path / "state.safetensors").exists() and (tmp_path / "summary.json").exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_same_seed_bitwise_identical(tmp_path: Path, toy_events) -> None:
    data = toy_events(1500)
    pretrain(data, _run(), tmp_path / "a", progress=False)
    pretrain(data, _run(), tmp_path / "b", progress=False)
    pretrain(data, _run(seed=4), tmp_path / "c", progress=False)
    a, b, c = (load_state(tmp_path / x)["generator"] for x in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resume_is_exact(tmp_path: Path, toy_events) -> None:
    data = toy_events(1500)
    pretrain(data, _run(steps=30), tmp_path / "straight", progress=False)

    from nugan.training import loop

    calls = {"n": 0}
    orig = loop.validation_metric

    def interrupt_after_first(*args, **kw):
        calls["n"] += 1
        out = orig(*args, **kw)
        if calls["n"] == 2:  # state at step 10 already saved; die during the step-20 validation
            raise KeyboardInterrupt
        return out

    loop.validation_metric = interrupt_after_first
    try:
        with pytest.raises(KeyboardInterrupt):
            pretrain(data, _run(steps=30), tmp_path / "resumed", progress=False)
    finally:
        loop.validation_metric = orig
    assert load_state(tmp_path / "resumed")["step"] == 10
    pretrain(data, _run(steps=30), tmp_path / "resumed", resume=True, progress=False)
    a = load_state(tmp_path / "straight")
    b = load_state(tmp_path / "resumed")
    assert a["step"] == b["step"] == 30
    for net in ("generator", "discriminator"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net])


def test_transfer_freezes_first_block(tmp_path: Path, toy_events) -> None:
    pretrain(toy_events(1500), _run(), tmp_path / "base", progress=False)
    before = load_file(str(tmp_path / "base" / "model.safetensors"))
    cfg = TrainConfig(steps=20, batch_size=64, val_every=10, val_fraction=0.2, seed=5, threads=1)
    transfer(tmp_path / "base", toy_events(1200, seed=9, target="Ar40"), tmp_path / "tl", cfg=cfg, progress=False)
    st = load_state(tmp_path / "tl")
    for net in ("generator", "discriminator"):
        for k, v in st[net].items():
            changed = not torch.equal(v, before[f"{net}.{k}"])
            assert changed != k.startswith("blocks.block0."), f"{net}.{k}"
    # frozen parameters are not in the optimiser
    n_frozen_g = sum(1 for k in st["generator"] if k.startswith("blocks.block0."))
    n_total_g = len(st["generator"])
    assert len(st["opt_g"]["param_groups"][0]["params"]) == n_total_g - n_frozen_g
    info = json.loads((tmp_path / "tl" / "model.json").read_text())
    first = json.loads((tmp_path / "tl" / "history.jsonl").read_text().splitlines()[0])
    assert first["step"] == 0 and first["loss_g"] is None  # the unadapted base competes in selection
    assert info["role"] == "transfer" and info["parent"]["domain"]["target"] == "C12"
    assert info["domain"]["target"] == "Ar40" and info["frozen"]["generator"] == ["block0"]


def test_scratch_matches_budget(tmp_path: Path, toy_events) -> None:
    data = toy_events(1200, seed=9, target="Ar40")
    pretrain(toy_events(1500), _run(), tmp_path / "base", progress=False)
    cfg = TrainConfig(steps=40, batch_size=64, val_every=10, val_fraction=0.2, seed=5, patience=1)
    tl = transfer(tmp_path / "base", data, tmp_path / "tl", cfg=cfg, progress=False)
    sc = scratch(data, _run(steps=999), tmp_path / "sc", match_budget=tmp_path / "tl", progress=False)
    assert sc.steps_done == tl.steps_done


def test_checkpoint_errors(tmp_path: Path, toy_events) -> None:
    pretrain(toy_events(1500), _run(), tmp_path, progress=False)
    info = json.loads((tmp_path / "model.json").read_text())
    info["gan"]["gen_width"] = 32
    (tmp_path / "other.json").write_text(json.dumps(info))
    os.link(tmp_path / "model.safetensors", tmp_path / "other.safetensors")
    with pytest.raises(ValueError, match="another architecture"):
        load_model(tmp_path / "other.json")
    (tmp_path / "bad.json").write_text(json.dumps({**info, "gan": SMALL.to_dict()}))
    (tmp_path / "bad.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ValueError, match="corrupt"):
        load_model(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match="no nugan model"):
        load_model(tmp_path / "nothing")


def test_config_files(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[gan]\ngen_width = 32\n[train]\nsteps = 5\nbetas = [0.5, 0.9]\n")
    run = load_run_config(p)
    assert run.gan.gen_width == 32 and run.train.steps == 5 and run.train.betas == (0.5, 0.9)
    y = tmp_path / "c.yaml"
    y.write_text("train:\n  stepz: 5\n")
    with pytest.raises(ValueError, match="stepz"):
        load_run_config(y)


DDP_SCRIPT = """
import sys, torch, torch.distributed as dist
sys.path.insert(0, {tests!r})
from conftest import make_toy_events
from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, pretrain
cfg = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
run = RunConfig(cfg, TrainConfig(steps=6, batch_size=64, val_every=3, val_fraction=0.2, seed=2, threads=1))
from nugan.training import runs
captured = {{}}
orig = runs.fit
def spy(bundle, *a, **k):
    captured["b"] = bundle
    return orig(bundle, *a, **k)
runs.fit = spy
pretrain(make_toy_events(1000), run, {out!r}, progress=False)
b = captured["b"]
flat = torch.cat([p.detach().flatten() for p in list(b.generator.parameters()) + list(b.discriminator.parameters())])
torch.save(flat, {out!r} + f"/rank{{dist.get_rank()}}.pt")
"""


@pytest.mark.slow
def test_ddp_two_cpu_processes_agree(tmp_path: Path) -> None:
    script = tmp_path / "ddp.py"
    out = tmp_path / "run"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent), out=str(out)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = torch.load(out / "rank0.pt"), torch.load(out / "rank1.pt")
    assert torch.equal(r0, r1)
    assert (out / "model.safetensors").exists()


def test_checkpoint_stores_simulator_xsec(tmp_path: Path) -> None:
    from nugan.physics import simulate

    data = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=1500, seed=3)
    pretrain(data, _run(), tmp_path, progress=False)
    xs = json.loads((tmp_path / "model.json").read_text())["xsec"]
    assert xs["source"].startswith("simulator") and len(xs["E"]) == len(xs["sigma_cm2"]) > 10


def test_saved_generator_is_the_ema(tmp_path: Path, toy_events) -> None:
    # one validation, at the last step: the saved (best) generator is the final EMA by construction
    run = RunConfig(SMALL, TrainConfig(steps=20, batch_size=64, val_every=20, val_fraction=0.2, seed=3, threads=1))
    pretrain(toy_events(1500), run, tmp_path, progress=False)
    st = load_state(tmp_path)
    saved = load_file(str(tmp_path / "model.safetensors"))
    assert json.loads((tmp_path / "model.json").read_text())["best_step"] == 20
    assert all(torch.equal(saved[f"generator.{k}"], v) for k, v in st["generator_ema"].items())
    assert not all(torch.equal(st["generator_ema"][k], v) for k, v in st["generator"].items())
    with pytest.raises(ValueError, match="ema"):
        TrainConfig(ema=1.0)


def test_bf16_autocast_trains_on_cpu(tmp_path: Path, toy_events) -> None:
    """``amp = true`` runs the steps under bfloat16 autocast (here on the CPU): the result differs from float32
    training with the same seed, the weights stay float32 and finite, and samples are physical."""
    data = toy_events(1500)
    pretrain(data, _run(), tmp_path / "fp32", progress=False)
    pretrain(data, _run(amp=True), tmp_path / "bf16", progress=False)
    a, b = (load_state(tmp_path / x)["generator"] for x in ("fp32", "bf16"))
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in b.values())
    assert not all(torch.equal(a[k], b[k]) for k in a)

    import numpy as np

    import nugan

    gen = nugan.load(str(tmp_path / "bf16")).sample(np.full(2000, 2.0), seed=1)
    assert np.all((gen.E_mu <= gen.E_nu) & (np.abs(gen.cos_theta) <= 1.0))


def test_start_margin_keeps_the_base_unless_clearly_better(tmp_path: Path, toy_events) -> None:
    """With ``start_margin`` a fine-tuned step must beat the unadapted base by that many noise units of the
    validation <MAP>; an unreachable margin returns the base itself, stopped early by ``patience``."""
    pretrain(toy_events(1500), _run(), tmp_path / "base", progress=False)
    data = toy_events(1200, seed=9, target="Ar40")
    cfg = TrainConfig(steps=60, batch_size=64, val_every=10, val_fraction=0.2, seed=5, threads=1, patience=2)
    res = transfer(tmp_path / "base", data, tmp_path / "keep", cfg=cfg.replace(start_margin=1e6), progress=False)
    assert res.best_step == 0 and res.steps_done == 20 and res.stopped_early
    base = load_file(str(tmp_path / "base" / "model.safetensors"))
    kept = load_file(str(tmp_path / "keep" / "model.safetensors"))
    assert all(torch.equal(base[k], kept[k]) for k in base)
    first = json.loads((tmp_path / "keep" / "history.jsonl").read_text().splitlines()[0])
    assert first["step"] == 0 and 0 < first["noise_mean_map"] < 1
    assert first["start_margin"] == pytest.approx(1e6 * first["noise_mean_map"])
    st = load_state(tmp_path / "keep")
    assert st["start_margin"] == pytest.approx(first["start_margin"])  # kept for --resume
    note = selection_note(tmp_path / "keep")
    assert "returns the base model" in note and "1e+06 x its noise" in note

    transfer(tmp_path / "base", data, tmp_path / "plain", cfg=cfg, progress=False)
    first = json.loads((tmp_path / "plain" / "history.jsonl").read_text().splitlines()[0])
    assert "noise_mean_map" not in first and "noise" not in selection_note(tmp_path / "plain")
    with pytest.raises(ValueError, match="start_margin"):
        TrainConfig(start_margin=-1.0)
