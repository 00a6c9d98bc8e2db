"""The parts both training loops are built from: Selector, EMA, TrainState (with every rank's RNG), seed streams,
the process group owned by training."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from nugan.training import TrainConfig
from nugan.training import seeds as S
from nugan.training.distributed import DistInfo, is_main_process, join
from nugan.training.ema import EMA
from nugan.training.selection import NONE, START, Selector
from nugan.training.session import finite_or_none, lr_factor
from nugan.training.state import TrainState, load_state, restore_rng, rng_states

CPU = torch.device("cpu")


# ------------------------------------------------------------------------------------------------- Selector
def test_selector_lower_wins_and_a_tie_keeps_the_earlier_step() -> None:
    sel = Selector()
    assert sel.best_step == NONE and sel.best == math.inf
    assert sel.update(10, 2.0).improved and (sel.best, sel.best_step, sel.bad) == (2.0, 10, 0)
    assert not sel.update(20, 2.0).improved  # a tie is no improvement
    assert (sel.best, sel.best_step, sel.bad) == (2.0, 10, 1)
    assert not sel.update(30, 2.5).improved and sel.bad == 2
    assert sel.update(40, 1.5).improved and (sel.best_step, sel.bad) == (40, 0)


def test_selector_margin_applies_only_against_the_starting_point() -> None:
    sel = Selector(margin=0.1)
    assert sel.update(START, 1.0).improved and sel.holds_start
    assert not sel.update(10, 0.95).improved  # better, but not by the margin
    assert not sel.update(20, 0.9).improved  # exactly the margin is not enough
    assert sel.best_step == START and sel.bad == 2
    assert sel.update(30, 0.85).improved and not sel.holds_start
    assert sel.update(40, 0.8499).improved  # a trained step is beaten by any lower value
    # without a validated starting point the margin never applies
    plain = Selector(margin=100.0)
    assert plain.update(10, 5.0).improved and plain.update(20, 4.9).improved


def test_selector_patience_counts_validations_without_a_new_best() -> None:
    sel = Selector(patience=2)
    assert sel.update(10, 1.0) == (True, False)
    assert sel.update(20, 1.1) == (False, False)
    assert sel.update(30, 0.9) == (True, False)  # a new best resets the count
    assert sel.update(40, 0.9) == (False, False)
    assert sel.update(50, 1.0) == (False, True) and sel.stop
    never = Selector(patience=None)
    for step in range(1, 50):
        assert not never.update(step, 1.0 + step).stop


def test_selector_nan_never_wins_and_the_override_decides() -> None:
    sel = Selector()
    assert not sel.update(10, math.nan).improved and sel.best_step == NONE and sel.bad == 1
    assert sel.update(20, 1.0).improved
    assert not sel.update(30, 0.5, improved=False).improved and sel.best == 1.0  # a family's own test said no
    assert sel.update(40, 3.0, improved=True).improved and (sel.best, sel.best_step) == (3.0, 40)


def test_selector_matches_the_rule_the_shipped_models_were_selected_by() -> None:
    """The loops' former inline rule: ``value < best - (margin if best_step == 0 else 0)``; counts of bad steps."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        margin, patience = float(rng.choice([0.0, 0.05, 0.3])), int(rng.integers(1, 4))
        values = np.round(rng.normal(1.0, 0.2, 12), 2)  # rounding makes ties
        values[rng.random(12) < 0.1] = np.nan
        sel, best, best_step, bad = Selector(patience, margin), math.inf, -1, 0
        first = int(rng.choice([0, 10]))  # 0: the starting point is validated (transfer runs)
        for i, v in enumerate(values.tolist()):
            step = first + 10 * i
            verdict = sel.update(step, v)
            improved = v < best - (margin if best_step == 0 else 0.0)
            if improved:
                best, best_step, bad = v, step, 0
            else:
                bad += 1
            assert verdict.improved == improved
            assert (sel.best, sel.best_step, sel.bad) == (best, best_step, bad)
            assert verdict.stop == (bad >= patience)


# ------------------------------------------------------------------------------------------------------ EMA
def _net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_ema_off_is_the_network_itself() -> None:
    net = _net()
    before = copy.deepcopy(net.state_dict())
    ema = EMA(net, 0.0)
    assert ema.module is net and not ema.enabled
    with torch.no_grad():
        net[0].weight.add_(1.0)
    ema.update(net, 0)
    ema.load_state_dict(before)  # nothing to restore: the network is its own average
    assert torch.equal(net[0].weight, before["0.weight"] + 1.0)


def test_ema_is_a_frozen_copy_that_follows_with_warm_up() -> None:
    net = _net()
    ema = EMA(net, 0.999)
    assert ema.module is not net and not ema.module.training
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert all(p.requires_grad for p in net.parameters())
    assert ema.rate(0) == pytest.approx(0.1) and ema.rate(90) == pytest.approx(0.91) and ema.rate(10**6) == 0.999
    old = {k: v.clone() for k, v in ema.state_dict().items()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    ema.update(net, 0)  # d = 0.1: ema <- 0.1 ema + 0.9 net
    for (k, v), p in zip(ema.state_dict().items(), net.parameters(), strict=True):
        assert torch.allclose(v, 0.1 * old[k] + 0.9 * p)
        assert torch.equal(v, old[k].lerp(p, 1.0 - 0.1))  # bitwise the former update


def test_ema_leaves_frozen_parameters_bitwise_equal_and_round_trips() -> None:
    net = _net()
    net[0].weight.requires_grad_(False)
    ema = EMA(net, 0.9)
    with torch.no_grad():
        net[2].weight.mul_(3.0)
    for step in range(5):
        ema.update(net, step)
    assert torch.equal(ema.module[0].weight, net[0].weight)
    assert not torch.equal(ema.module[2].weight, net[2].weight)
    other = EMA(_net(1), 0.9)
    other.load_state_dict(ema.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), ema.state_dict().values(), strict=True))


# ----------------------------------------------------------------------------------------------- TrainState
def _train_state(seed: int) -> TrainState:
    net = _net(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    return TrainState({"net": net}, {"opt": opt}, EMA(net, 0.9), "net", Selector(patience=3))


def _train(ts: TrainState, steps: int) -> None:
    net, opt = ts.nets["net"], ts.optimisers["opt"]
    for step in range(ts.step, ts.step + steps):
        loss = net(torch.randn(8, 3)).square().mean()  # draws from torch's global RNG, like the GAN's latents
        opt.zero_grad()
        loss.backward()
        opt.step()
        ts.ema.update(net, step)
        ts.step = step + 1


def test_train_state_round_trip_continues_exactly(tmp_path: Path) -> None:
    cfg = TrainConfig(steps=20, seed=4)
    a = _train_state(0)
    a.restore_or_seed(tmp_path, cfg, DistInfo(), CPU, resume=False)
    _train(a, 6)
    a.selector.update(3, 0.7)
    a.selector.update(6, 0.9)
    a.history = [{"step": 3, "v": 0.7}, {"step": 6, "v": None}]
    a.save(tmp_path, DistInfo(), CPU, extra_entry=1.5)
    _train(a, 4)  # the uninterrupted run
    rng_a = torch.get_rng_state()

    b = _train_state(1)  # other initial weights: everything must come from the file
    st = b.restore_or_seed(tmp_path, cfg, DistInfo(), CPU, resume=True, what="model")
    assert st["extra_entry"] == 1.5 and st["rng_cuda"] is None and "rng_ranks" not in st
    assert (b.step, b.history) == (6, [{"step": 3, "v": 0.7}, {"step": 6, "v": None}])
    assert (b.selector.best, b.selector.best_step, b.selector.bad) == (0.7, 3, 1)
    _train(b, 4)  # the resumed run: same RNG draws, same optimiser moments, same average
    for x, y in ((a.nets["net"], b.nets["net"]), (a.ema.module, b.ema.module)):
        assert all(torch.equal(p, q) for p, q in zip(x.state_dict().values(), y.state_dict().values(), strict=True))
    assert torch.equal(torch.get_rng_state(), rng_a)


def test_train_state_resume_restores_the_rng_and_a_fresh_run_seeds_it(tmp_path: Path) -> None:
    cfg = TrainConfig(steps=20, seed=4)
    ts = _train_state(0)
    assert ts.restore_or_seed(tmp_path, cfg, DistInfo(), CPU, resume=False) == {}
    first = torch.randn(4)
    torch.manual_seed(4 * 1000 + 17)
    assert torch.equal(first, torch.randn(4))  # a fresh run starts torch's stream at the named seed
    ts.save(tmp_path, DistInfo(), CPU)
    expected = torch.randn(5)
    torch.manual_seed(123)  # disturb
    _train_state(0).restore_or_seed(tmp_path, cfg, DistInfo(), CPU, resume=True)
    assert torch.equal(torch.randn(5), expected)


def test_train_state_file_order_and_required_entries(tmp_path: Path) -> None:
    ts = _train_state(0)
    ts.save(tmp_path, DistInfo(), CPU, start_margin=0.0)
    assert list(load_state(tmp_path)) == [
        "net",
        "net_ema",
        "opt",
        "rng_cpu",
        "rng_cuda",
        "history",
        "best",
        "best_step",
        "step",
        "bad_vals",
        "start_margin",
    ]
    assert ts.required == {"net", "opt", "rng_cpu", "history", "best", "best_step", "step", "bad_vals"}


def test_train_state_without_ema_starts_the_average_from_the_network(tmp_path: Path) -> None:
    """States written before the EMA existed: the average restarts from the saved network."""
    src = _train_state(0)
    st = src.to_dict(rng_states(DistInfo(), CPU), {})
    del st["net_ema"]
    from nugan.training.state import save_state

    save_state(st, tmp_path)
    ts = _train_state(1)
    ts.restore_or_seed(tmp_path, TrainConfig(steps=5), DistInfo(), CPU, resume=True)
    assert all(
        torch.equal(a, b)
        for a, b in zip(ts.ema.state_dict().values(), src.nets["net"].state_dict().values(), strict=True)
    )


def test_train_state_errors_name_the_run(tmp_path: Path) -> None:
    ts = _train_state(0)
    ts.step = 30
    ts.save(tmp_path, DistInfo(), CPU)
    with pytest.raises(ValueError, match="at step 30 but train.steps is 20"):
        _train_state(0).restore_or_seed(tmp_path, TrainConfig(steps=20), DistInfo(), CPU, resume=True)
    wide = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    other = TrainState({"net": wide}, {"opt": torch.optim.Adam(wide.parameters())}, EMA(wide, 0.9), "net", Selector())
    with pytest.raises(ValueError, match="does not fit this flow's architecture"):
        other.restore_or_seed(tmp_path, TrainConfig(steps=50), DistInfo(), CPU, resume=True, what="flow")


def test_restore_rng_takes_each_ranks_own_state_or_reseeds() -> None:
    states = []
    for s in (11, 12):
        torch.manual_seed(s)
        states.append(torch.get_rng_state())
    st = {
        "rng_cpu": states[0],
        "rng_cuda": None,
        "step": 40,
        "rng_ranks": [{"cpu": states[0], "cuda": None}, {"cpu": states[1], "cuda": None}],
    }
    two = DistInfo(rank=1, world_size=2)
    restore_rng(st, 3, two, CPU)
    assert torch.equal(torch.get_rng_state(), states[1])  # rank 1 continues its own stream
    restore_rng(st, 3, DistInfo(), CPU)
    assert torch.equal(torch.get_rng_state(), states[0])  # one process: rank 0's
    for old in ({k: v for k, v in st.items() if k != "rng_ranks"}, {**st, "rng_ranks": st["rng_ranks"][:1]}):
        restore_rng(old, 3, two, CPU)  # no state of this rank: reseeded from (seed, rank, step)
        got = torch.randn(3)
        torch.manual_seed(3 * 1000 + 17 + 1 + 7919 * 40)
        assert torch.equal(got, torch.randn(3))


# ------------------------------------------------------------------------------------------- seeds, session
def test_seed_streams_keep_the_offsets_the_shipped_models_were_trained_with() -> None:
    for seed in (0, 1, 3, 1000):
        assert S.init_seed(seed) == seed and S.split_seed(seed) == seed + 101
        assert [S.torch_seed(seed, r) for r in (0, 1)] == [seed * 1000 + 17, seed * 1000 + 18]
        assert S.resume_seed(seed, 1, 30) == seed * 1000 + 17 + 1 + 7919 * 30
        assert S.validation_seed(seed) == seed + 7919
        assert [S.noise_seed(S.validation_seed(seed), j) for j in (1, 2)] == [seed + 7919 + 104_729 * j for j in (1, 2)]
        assert S.epoch_stream(seed, 2) == [seed, 2] and S.epoch_stream(seed, 2, balanced=True) == [seed, 2, 1]
    # the streams of one seed are all different
    s = 3
    assert (
        len(
            {
                S.init_seed(s),
                S.split_seed(s),
                S.torch_seed(s),
                S.validation_seed(s),
                S.noise_seed(S.validation_seed(s), 1),
            }
        )
        == 5
    )


def test_lr_schedule_and_records() -> None:
    cfg = TrainConfig(steps=100, lr_decay=0.1)
    assert lr_factor(0, cfg) == 1.0 and lr_factor(100, cfg) == pytest.approx(0.1)
    assert lr_factor(50, cfg) == pytest.approx(0.55) and lr_factor(200, cfg) == pytest.approx(0.1)
    assert finite_or_none({"a": math.nan, "b": math.inf, "c": 1.5, "d": None, "e": 3}) == {
        "a": None,
        "b": None,
        "c": 1.5,
        "d": None,
        "e": 3,
    }


def test_without_torchrun_training_joins_no_process_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert join(CPU) == DistInfo() and not torch.distributed.is_initialized()
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()
    monkeypatch.setenv("RANK", "0")
    assert is_main_process()


# ---------------------------------------------------------------------------------------- DDP resume (slow)
DDP_RESUME = """
import os, sys, torch, torch.distributed as dist
sys.path.insert(0, {tests!r})
from conftest import make_toy_events
from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, pretrain, loop
cfg = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
run = RunConfig(cfg, TrainConfig(steps=9, batch_size=64, val_every=3, val_fraction=0.2, seed=2, threads=1))
data = make_toy_events(1000)
pretrain(data, run, {out!r} + "/straight", progress=False)
orig, calls = loop.validation_metric, [0]
def dies(*a, **k):
    calls[0] += 1
    if calls[0] == 2:  # rank 0 dies in the step-6 validation; the state of step 3 is saved
        raise KeyboardInterrupt
    return orig(*a, **k)
loop.validation_metric = dies
try:
    pretrain(data, run, {out!r} + "/resumed", progress=False)
except KeyboardInterrupt:
    os._exit(3)
"""


@pytest.mark.slow
def test_ddp_resume_continues_every_ranks_rng_exactly(tmp_path: Path) -> None:
    """Two CPU processes: a run interrupted after its first checkpoint and resumed ends bitwise equal to an
    uninterrupted one (each rank's dropout and latent draws continue its own stream)."""
    script = tmp_path / "ddp.py"
    script.write_text(DDP_RESUME.format(tests=str(Path(__file__).parent), out=str(tmp_path)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    first = subprocess.run([*launch, str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert (tmp_path / "resumed" / "state.safetensors").is_file(), first.stderr[:4000]
    assert load_state(tmp_path / "resumed")["step"] == 3
    assert len(load_state(tmp_path / "resumed")["rng_ranks"]) == 2
    resume = tmp_path / "resume.py"
    resume.write_text(
        DDP_RESUME.split("orig, calls")[0]
        .replace('"/straight", progress=False)', '"/resumed", progress=False, resume=True)')
        .format(tests=str(Path(__file__).parent), out=str(tmp_path))
    )
    proc = subprocess.run([*launch, str(resume)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = load_state(tmp_path / "straight"), load_state(tmp_path / "resumed")
    assert a["step"] == b["step"] == 9
    for net in ("generator", "discriminator", "generator_ema"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net
    for ra, rb in zip(a["rng_ranks"], b["rng_ranks"], strict=True):
        assert torch.equal(ra["cpu"], rb["cpu"])
