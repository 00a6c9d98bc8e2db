"""Training state without pickle: round trip, a planted pickle never runs, corrupt files give clear errors."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from conftest import make_toy_events
from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, pretrain
from nugan.training.state import load_state, save_state

SMALL = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)


class _Payload:
    """A pickle whose loading writes a marker file (what an attacker's os.system call would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_round_trip_keeps_types_and_tensors(tmp_path: Path) -> None:
    opt = torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], lr=1e-3, betas=(0.5, 0.9))
    opt.param_groups[0]["params"][0].grad = torch.ones(3)
    opt.step()
    state = {
        "opt": opt.state_dict(),
        "rng": torch.get_rng_state(),
        "history": [{"step": 1, "x": None, "y": 0.5}],
        "best": float("inf"),
        "step": 7,
        "name": "a",
    }
    save_state(state, tmp_path)
    back = load_state(tmp_path)
    assert back["step"] == 7 and back["name"] == "a" and back["best"] == float("inf")
    assert back["history"] == state["history"]
    assert torch.equal(back["rng"], state["rng"])
    assert set(back["opt"]["state"]) == {0}  # integer keys survive
    assert torch.equal(back["opt"]["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    opt2 = torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], lr=1e-3)
    opt2.load_state_dict(back["opt"])  # loadable by torch
    assert opt2.param_groups[0]["betas"][0] == 0.5


def test_planted_pickle_is_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    run = tmp_path / "run"
    run.mkdir()
    (run / "state.pt").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="pickle"):
        load_state(run)
    cfg = RunConfig(SMALL, TrainConfig(steps=4, batch_size=64, val_every=2, val_fraction=0.2, seed=0, threads=1))
    with pytest.raises(ValueError, match="never loads"):
        pretrain(make_toy_events(600, seed=1), cfg, run, resume=True, progress=False)
    assert not marker.exists()


def test_pickle_named_as_state_file_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "state.safetensors").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="state.safetensors"):
        load_state(tmp_path)
    assert not marker.exists()


def test_truncated_state_gives_clear_error(tmp_path: Path) -> None:
    save_state({"w": torch.randn(100), "step": 1}, tmp_path)
    p = tmp_path / "state.safetensors"
    p.write_bytes(p.read_bytes()[:60])
    with pytest.raises(ValueError, match="corrupt or unreadable"):
        load_state(tmp_path)


def test_missing_state_says_nothing_to_resume(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        load_state(tmp_path)


def test_resume_with_another_architecture_is_a_clear_error(tmp_path: Path) -> None:
    events = make_toy_events(600, seed=1)
    tc = TrainConfig(steps=4, batch_size=64, val_every=2, val_fraction=0.2, seed=0, threads=1)
    pretrain(events, RunConfig(SMALL, tc), tmp_path, progress=False)
    wider = GANConfig(latent_dim=8, gen_width=32, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
    run = RunConfig(wider, TrainConfig(steps=6, batch_size=64, val_every=2, val_fraction=0.2, seed=0, threads=1))
    with pytest.raises(ValueError, match=r"another configuration \(gan.gen_width: 16 -> 32\)"):
        pretrain(events, run, tmp_path, resume=True, progress=False)  # the run directory's run.json
    (tmp_path / "run.json").unlink()  # a run of an older nugan: the state itself does not fit
    with pytest.raises(ValueError, match="does not fit"):
        pretrain(events, run, tmp_path, resume=True, progress=False)
