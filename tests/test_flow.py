"""The conditional flow family: densities, sampling, checkpoints, training, resume, transfer, reweighting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from conftest import make_toy_events
from nugan.cli import app
from nugan.constants import M_MU
from nugan.events import EventTable, read_parquet, write_parquet
from nugan.generation.api import NuganModel
from nugan.generation.reweight import density_ratio_weights, effective_sample_size
from nugan.models.flow import ConditionalFlow, FlowConfig, freeze_flow_blocks
from nugan.models.transforms import VariableTransform
from nugan.training import RunConfig, load_model, pretrain, transfer
from nugan.training.checkpoint import FlowBundle
from nugan.training.flow_loop import event_nll, paired_improvement
from nugan.training.runs import new_flow_bundle
from nugan.training.state import load_state

TINY_FLOW = FlowConfig(transforms=2, hidden=16, bins=6)
runner = CliRunner()


def _run(steps: int = 20, seed: int = 3, **kw) -> RunConfig:
    return RunConfig.from_dict(
        {
            "flow": TINY_FLOW.to_dict(),
            "train": {
                "steps": steps,
                "batch_size": 128,
                "val_every": 10,
                "val_fraction": 0.2,
                "seed": seed,
                "threads": 1,
                **kw,
            },
        },
        arch="flow",
    )


def nugan(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "2000"})


# ------------------------------------------------------------------------------------------------ model
def test_config_rejects_bad_fields() -> None:
    with pytest.raises(ValueError, match="transforms"):
        FlowConfig(transforms=0)
    with pytest.raises(ValueError, match="hidden"):
        FlowConfig(hidden="96")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="activation"):
        FlowConfig(activation="tanh")
    with pytest.raises(ValueError, match="unknown flow config"):
        FlowConfig.from_dict({"width": 3})


def test_sampling_inverts_the_density_map() -> None:
    torch.manual_seed(0)
    flow = ConditionalFlow(FlowConfig(transforms=4, hidden=32, bins=8)).eval()
    with torch.no_grad():  # random weights away from the identity
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    z = torch.randn(500, 2) * 2  # some beyond the splines' bound (identity there)
    e = torch.rand(500, 1) * 2 - 1
    with torch.no_grad():
        u = flow.sample_from_noise(z, e)
        z_back, _ = flow._density_transform(e).call_and_ladj(u)
        u_zuko = flow._density_transform(e).inv(z)
    assert not torch.allclose(u, z, atol=1e-2)
    assert torch.allclose(z_back, z, atol=5e-3)  # float32 round trip through steep random splines
    assert torch.equal(u, u_zuko)  # the fused sampling path is zuko's inverse, bitwise


def test_density_integrates_to_one_in_network_space() -> None:
    torch.manual_seed(1)
    flow = ConditionalFlow(FlowConfig(transforms=4, hidden=32, bins=8)).eval()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.1 * torch.randn_like(p))
    g = torch.linspace(-8, 8, 401)
    du = float(g[1] - g[0])
    u = torch.cartesian_prod(g, g)
    for ev in (-0.7, 0.4):
        with torch.no_grad():
            p = flow.log_prob(u, torch.full((len(u), 1), ev)).exp()
        assert float(p.sum()) * du * du == pytest.approx(1.0, abs=3e-3)


def test_physical_density_integrates_to_one(tmp_path: Path) -> None:
    """log_jacobian turns the network-space density into one over (E_mu, cos_theta)."""
    ev = make_toy_events(4000, seed=2)
    r = pretrain(ev, _run(steps=30), tmp_path, progress=False)
    assert r.steps_done == 30
    m = NuganModel(load_model(tmp_path), torch.device("cpu"))
    E = 1.7
    e_mu = np.linspace(M_MU, E, 402)[1:-1]
    cos = np.linspace(-1, 1, 402)[1:-1]
    EM, C = np.meshgrid(e_mu, cos, indexing="ij")
    t = EventTable(np.full(EM.size, E), EM.ravel(), C.ravel())
    p = np.exp(m.log_prob(t))
    integral = p.sum() * (e_mu[1] - e_mu[0]) * (cos[1] - cos[0])
    assert integral == pytest.approx(1.0, abs=0.02)


def test_freeze_counts_and_names() -> None:
    flow = ConditionalFlow(FlowConfig(transforms=3, hidden=8, bins=4))
    assert freeze_flow_blocks(flow, 1) == ["block0"]
    assert not any(p.requires_grad for p in flow.blocks["block0"].parameters())
    assert all(p.requires_grad for p in flow.blocks["block1"].parameters())
    with pytest.raises(ValueError, match="at least one block must stay trainable"):
        freeze_flow_blocks(ConditionalFlow(FlowConfig(transforms=3, hidden=8, bins=4)), 3)
    with pytest.raises(ValueError, match="no block"):
        freeze_flow_blocks(flow, ["block7"])


def test_log_jacobian_matches_finite_differences() -> None:
    t = VariableTransform(0.3, 10.0, (0.2, -0.1), (1.3, 0.7))
    E, mu, c = np.array([2.0]), np.array([1.1]), np.array([0.35])
    h = 1e-6
    u = t.encode_muon(E, mu, c)[0]
    du_dmu = (t.encode_muon(E, mu + h, c)[0] - u) / h
    du_dc = (t.encode_muon(E, mu, c + h)[0] - u) / h
    det = abs(du_dmu[0] * du_dc[1] - du_dmu[1] * du_dc[0])
    assert t.log_jacobian(E, mu, c)[0] == pytest.approx(np.log(det), rel=1e-5)


# --------------------------------------------------------------------------------------------- training
def test_pretrain_checkpoint_round_trip(tmp_path: Path) -> None:
    ev = make_toy_events(3000, seed=1)
    r = pretrain(ev, _run(), tmp_path, progress=False)
    info = json.loads((tmp_path / "model.json").read_text())
    assert info["format"] == "nugan-flow-1" and info["arch"] == "flow" and info["flow"] == TINY_FLOW.to_dict()
    assert r.best_val_nll == pytest.approx(info["best_val_nll"])
    b = load_model(tmp_path)
    assert isinstance(b, FlowBundle)
    m = NuganModel(b, torch.device("cpu"))
    s1, s2 = m.sample(np.full(2000, 2.0), seed=5), m.sample(np.full(2000, 2.0), seed=5)
    assert np.array_equal(s1.E_mu, s2.E_mu) and np.array_equal(s1.cos_theta, s2.cos_theta)
    assert (s1.E_mu >= M_MU).all() and (s1.E_mu <= 2.0).all() and (np.abs(s1.cos_theta) <= 1).all()
    hist = [json.loads(x) for x in (tmp_path / "history.jsonl").read_text().splitlines()]
    best = min(hist, key=lambda h: h["val_nll"])
    assert best["step"] == r.best_step
    # the saved model's validation NLL is the one recorded for its step
    val_nll = event_nll(b, ev[:10]).mean()
    assert np.isfinite(val_nll)


def test_training_lowers_the_nll(tmp_path: Path) -> None:
    ev = make_toy_events(6000, seed=4)
    untrained = new_flow_bundle(TINY_FLOW, ev, (0.3, 10.0), seed=3)
    nll0 = event_nll(untrained, ev).mean()
    r = pretrain(ev, _run(steps=150, val_every=50, ema=0.9), tmp_path, progress=False)
    assert event_nll(load_model(tmp_path), ev).mean() < nll0 - 0.2
    hist = [json.loads(x) for x in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert r.best_val_nll == min(h["val_nll"] for h in hist)


def test_resume_is_bitwise_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nugan.training import flow_loop

    ev = make_toy_events(3000, seed=1)
    pretrain(ev, _run(steps=30), tmp_path / "straight", progress=False)
    calls = {"n": 0}
    real = flow_loop.event_nll

    def dies_at_second_validation(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:  # the state of step 10 is saved; the run dies during the step-20 validation
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(flow_loop, "event_nll", dies_at_second_validation)
    with pytest.raises(KeyboardInterrupt):
        pretrain(ev, _run(steps=30), tmp_path / "resumed", progress=False)
    monkeypatch.setattr(flow_loop, "event_nll", real)
    assert load_state(tmp_path / "resumed")["step"] == 10
    pretrain(ev, _run(steps=30), tmp_path / "resumed", resume=True, progress=False)
    a, b = load_state(tmp_path / "straight"), load_state(tmp_path / "resumed")
    assert a["step"] == b["step"] == 30
    for k in a["flow"]:
        assert torch.equal(a["flow"][k], b["flow"][k]), k
        assert torch.equal(a["flow_ema"][k], b["flow_ema"][k]), k


def test_transfer_freezes_first_block_and_validates_the_base(tmp_path: Path) -> None:
    pretrain(make_toy_events(3000, seed=1), _run(steps=20), tmp_path / "base", progress=False)
    base = load_model(tmp_path / "base")
    before = {k: v.clone() for k, v in base.flow.state_dict().items()}
    cfg = _run(steps=30).train.replace(start_margin=2.0)
    r = transfer(
        tmp_path / "base", make_toy_events(2000, seed=7, target="Ar40"), tmp_path / "tl", cfg=cfg, progress=False
    )
    hist = [json.loads(x) for x in (tmp_path / "tl" / "history.jsonl").read_text().splitlines()]
    assert hist[0]["step"] == 0 and hist[0]["loss"] is None
    st = load_state(tmp_path / "tl")
    for k, v in before.items():
        if k.endswith(".mask"):  # coupling masks are buffers, never trained
            continue
        same = torch.equal(st["flow"][k], v)
        assert same == k.startswith("blocks.block0."), k
    info = json.loads((tmp_path / "tl" / "model.json").read_text())
    assert info["role"] == "transfer" and info["frozen"] == ["block0"] and info["parent"]["best_val_nll"]
    assert r.best_step in [h["step"] for h in hist]


def test_start_margin_keeps_the_base_on_its_own_domain(tmp_path: Path) -> None:
    """Fine-tuning on more events of the base's own domain cannot clearly beat it: the base is returned."""
    pretrain(make_toy_events(8000, seed=1), _run(steps=200, val_every=50), tmp_path / "base", progress=False)
    cfg = _run(steps=20).train.replace(start_margin=3.0, lr_g=1e-3)
    r = transfer(tmp_path / "base", make_toy_events(1500, seed=11), tmp_path / "tl", cfg=cfg, progress=False)
    hist = [json.loads(x) for x in (tmp_path / "tl" / "history.jsonl").read_text().splitlines()]
    gains = [h.get("gain_vs_start") for h in hist[1:] if h.get("gain_vs_start") is not None]
    assert r.best_step == 0 or all(g < 0 for g in gains)


def test_paired_improvement() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=10_000)
    mean, se = paired_improvement(ref - 0.01, ref)
    assert mean == pytest.approx(-0.01) and se == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------------------------------- reweighting
def test_weights_clip_and_ess() -> None:
    res = density_ratio_weights(np.zeros(4), np.array([0.0, np.log(2.0), 10.0, -10.0]), clip=100.0)
    assert res.weights[:2] == pytest.approx([1.0, 2.0])
    assert res.weights[2] == pytest.approx(100.0) and res.weights[3] == pytest.approx(0.01)
    assert res.n_clipped == 2
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="non-finite"):
        density_ratio_weights(np.array([0.0]), np.array([np.nan]))
    with pytest.raises(ValueError, match="clip"):
        density_ratio_weights(np.zeros(1), np.zeros(1), clip=1.0)


def test_gan_has_no_likelihood() -> None:
    m = NuganModel(load_model("numu-C12"), torch.device("cpu"))
    with pytest.raises(ValueError, match="GAN, which has no likelihood"):
        m.log_prob(make_toy_events(10))


# ---------------------------------------------------------------------------------------------- commands
@pytest.fixture
def flow_files(tmp_path: Path) -> dict[str, Path]:
    cfg = tmp_path / "flow.toml"
    cfg.write_text(
        'arch = "flow"\n[flow]\ntransforms = 2\nhidden = 16\nbins = 6\n'
        "[train]\nsteps = 20\nbatch_size = 128\nval_every = 10\nval_fraction = 0.2\nseed = 3\nthreads = 1\n"
    )
    return {
        "config": cfg,
        "c12": write_parquet(make_toy_events(2000), tmp_path / "c12.parquet"),
        "ar40": write_parquet(make_toy_events(1500, seed=9, target="Ar40"), tmp_path / "ar40.parquet"),
    }


def test_cli_flow_pretrain_transfer_generate_evaluate_weights(tmp_path: Path, flow_files) -> None:
    f = flow_files
    res = nugan("pretrain", "--data", f["c12"], "--config", f["config"], "--out", tmp_path / "base")
    assert res.exit_code == 0, res.output
    assert "validation NLL" in res.output
    res = nugan("pretrain", "--arch", "flow", "--data", f["c12"], "--out", tmp_path / "b2", "--steps", "4")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b2" / "model.json").read_text())["format"] == "nugan-flow-1"
    res = nugan("transfer", "--base", tmp_path / "base", "--data", f["ar40"], "--out", tmp_path / "tl", "--steps", "20")
    assert res.exit_code == 0, res.output
    assert "selection:" in res.output
    res = nugan("train", "--arch", "flow", "--data", f["ar40"], "--out", tmp_path / "sc", "--steps", "20")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "sc" / "model.json").read_text())["role"] == "scratch"
    out = tmp_path / "gen.parquet"
    res = nugan("generate", "--model", tmp_path / "tl", "--events", "3000", "--energy", "2", "-o", out, "--no-progress")
    assert res.exit_code == 0, res.output
    assert len(read_parquet(out)) == 3000
    res = nugan(
        "evaluate",
        "--model",
        tmp_path / "tl",
        "--reference",
        f["ar40"],
        "--energies",
        "1",
        "--no-auc",
        "--out",
        tmp_path / "ev",
    )
    assert res.exit_code == 0, res.output
    assert "test NLL" in " ".join(res.output.split())
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["info"]["test_nll"]["n"] == 1500
    res = nugan(
        "weights",
        "--from",
        tmp_path / "base",
        "--to",
        tmp_path / "tl",
        "--events",
        f["c12"],
        "-o",
        tmp_path / "w.parquet",
    )
    assert res.exit_code == 0, res.output
    w = read_parquet(tmp_path / "w.parquet")
    assert len(w) == 2000 and w.weight is not None and np.all(np.isfinite(w.weight)) and (w.weight > 0).all()
    assert "effective sample size" in res.output
    assert w.meta.extra["nugan_reweighted_to"] == "tl"
    # same model both ways: every weight is exactly 1
    res = nugan(
        "weights",
        "--from",
        tmp_path / "tl",
        "--to",
        tmp_path / "tl",
        "--events",
        f["c12"],
        "-o",
        tmp_path / "w1.parquet",
    )
    assert res.exit_code == 0, res.output
    assert np.allclose(read_parquet(tmp_path / "w1.parquet").weight, 1.0)


def test_cli_weights_errors(tmp_path: Path, flow_files) -> None:
    f = flow_files
    res = nugan("weights", "--from", "numu-C12", "--to", "numu-C12", "--events", f["c12"], "-o", tmp_path / "w.parquet")
    assert res.exit_code == 2 and "no likelihood" in " ".join(res.output.split())
    res = nugan("weights", "--from", "numu-C12", "--to", "numu-C12", "--events", f["c12"], "-o", tmp_path / "w.txt")
    assert res.exit_code == 2 and "must end in" in " ".join(res.output.split())
    res = nugan("pretrain", "--arch", "transformer", "--data", f["c12"], "--out", tmp_path / "x")
    assert res.exit_code == 2 and "arch must be one of" in " ".join(res.output.split())
