"""``nugan generate``: outputs, sigma sources, determinism, physical check report, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from nugan.cli import app
from nugan.commands import common
from nugan.events import read_parquet
from nugan.generation.xsec import attach_xsec, load_user_xsec
from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, pretrain

SMALL = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """No line wrapping of messages in the captured output."""
    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.err_console, "width", 300)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small trained checkpoint (toy C12 sample, 0.3-10 GeV), without a stored sigma(E)."""
    from tests.conftest import make_toy_events

    out = tmp_path_factory.mktemp("ckpt")
    run = RunConfig(SMALL, TrainConfig(steps=20, batch_size=64, val_every=10, val_fraction=0.2, seed=1, threads=1))
    pretrain(make_toy_events(1500), run, out, progress=False)
    return out


@pytest.fixture
def xs_csv(tmp_path: Path) -> Path:
    """sigma(E) = 1e-38 E cm^2 over 0.2-20 GeV."""
    E = np.linspace(0.2, 20.0, 100)
    p = tmp_path / "xs.csv"
    p.write_text("E_GeV,sigma_cm2\n" + "".join(f"{float(e)!r},{float(1e-38 * e)!r}\n" for e in E))
    return p


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["generate", "--no-progress", "--threads", "1", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


def test_parquet_mono_energy(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    out = tmp_path / "mono.parquet"
    code, text = _run("--model", ckpt, "-n", 3000, "--energy", "2.0", "--seed", 5, "-o", out, "--xsec", xs_csv)
    assert code == 0, text
    assert "sigma(E) source: user:xs.csv" in text and "mono 2 GeV" in text
    assert "3,000 events checked: 0 repaired" in text and "0 rejected" in text
    assert f"wrote 3,000 events to {out}" in text
    t = read_parquet(out)
    assert len(t) == 3000 and np.all(t.E_nu == 2.0)
    assert (t.meta.source, t.meta.seed, t.meta.model, t.meta.target) == ("nugan", 5, "toy", "C12")
    assert np.isclose(t.meta.xsec_cm2, 2e-38, atol=0) and t.meta.extra["xsec_source"] == "user:xs.csv"


def test_same_seed_same_output_any_batch_size(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    common_args = ("--model", ckpt, "-n", 20_000, "--energy", "0.5:5", "--xsec", xs_csv)
    files = []
    for name, seed, bs in (("a", 1, "4096"), ("b", 1, "4096"), ("c", 1, "1000"), ("d", 2, "4096")):
        files.append(tmp_path / f"{name}.parquet")
        code, text = _run(*common_args, "--seed", seed, "--batch-size", bs, "-o", files[-1])
        assert code == 0, text
    a, b, c, d = (read_parquet(f) for f in files)
    for col in ("E_nu", "E_mu", "cos_theta"):
        assert np.array_equal(getattr(a, col), getattr(b, col))
        assert np.array_equal(getattr(a, col), getattr(c, col))
    assert not np.array_equal(a.E_nu, d.E_nu) and not np.array_equal(a.E_mu, d.E_mu)


def test_flux_needs_a_cross_section(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    code, text = _run("--model", ckpt, "-n", 100, "--energy", "0.5:5", "-o", tmp_path / "x.parquet")
    assert code == 2 and "no cross section" in text and "--xsec FILE.csv" in text
    assert not (tmp_path / "x.parquet").exists()
    # once stored in the checkpoint it is used, and the command says so
    own = tmp_path / "own"
    shutil.copytree(ckpt, own)
    attach_xsec(own, {**load_user_xsec(xs_csv), "source": "estimated from flat-flux sample"})
    code, text = _run("--model", own, "-n", 100, "--energy", "0.5:5", "-o", tmp_path / "x.parquet")
    assert code == 0, text
    assert "sigma(E) source: estimated from flat-flux sample" in text


def test_flux_file(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    flux = tmp_path / "flux.csv"
    flux.write_text("low,high,content\n0.2,1.0,5\n1.0,3.0,3\n3.0,12.0,1\n")
    out = tmp_path / "f.parquet"
    code, text = _run("--model", ckpt, "-n", 2000, "--flux", flux, "-o", out, "--xsec", xs_csv)
    assert code == 0, text
    assert "of the flux lies outside 0.3-10 GeV" in text
    t = read_parquet(out)
    assert t.E_nu.min() >= 0.3 and t.E_nu.max() <= 10.0 and t.meta.extra["flux"] == "flux.csv"


def test_nuhepmc_output(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    from nugan.events.readers import read_events

    out = tmp_path / "g.hepmc3"
    code, text = _run("--model", ckpt, "-n", 300, "--energy", "1.5", "--seed", 3, "-o", out, "--xsec", xs_csv)
    assert code == 0, text
    back = read_events(out)
    pq = tmp_path / "g.parquet"
    assert _run("--model", ckpt, "-n", 300, "--energy", "1.5", "--seed", 3, "-o", pq, "--xsec", xs_csv)[0] == 0
    ref = read_parquet(pq)
    assert len(back) == 300 and np.allclose(back.E_mu, ref.E_mu, rtol=1e-9)
    assert np.allclose(back.cos_theta, ref.cos_theta, atol=1e-9)
    # the curve is interpolated linearly in log E between the CSV's points 1.4 and 1.6 GeV
    t = np.log(1.5 / 1.4) / np.log(1.6 / 1.4)
    assert np.isclose(back.meta.xsec_cm2, 1e-38 * (1.4 + 0.2 * t), rtol=1e-9, atol=0)
    # NuHepMC needs a flux-averaged cross section: refused without one
    code, text = _run("--model", ckpt, "-n", 10, "--energy", "1.5", "-o", tmp_path / "h.hepmc3")
    assert code == 2 and "cross section" in text and not (tmp_path / "h.hepmc3").exists()


def test_energy_outside_model_range(ckpt: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.parquet"
    code, text = _run("--model", ckpt, "-n", 100, "--energy", "15", "-o", out)
    assert code == 2 and "energy 15 GeV is outside the model's range 0.3-10 GeV" in text
    assert "--allow-extrapolation" in text
    code, text = _run("--model", ckpt, "-n", 100, "--energy", "15", "-o", out, "--allow-extrapolation")
    assert code == 0, text
    assert "warning" in text and "extrapolating" in text and len(read_parquet(out)) == 100


def test_refuses_corrupt_and_foreign_checkpoints(ckpt: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt"
    shutil.copytree(ckpt, corrupt)
    st = corrupt / "model.safetensors"
    st.write_bytes(st.read_bytes()[:200])
    code, text = _run("--model", corrupt, "-n", 10, "--energy", "1", "-o", tmp_path / "c.parquet")
    assert code == 2 and "corrupt" in text  # caught by the weights hash in model.json (issue 21, item 9)
    other = tmp_path / "other"
    shutil.copytree(ckpt, other)
    info = json.loads((other / "model.json").read_text())
    info["gan"]["gen_width"] = 32
    (other / "model.json").write_text(json.dumps(info))
    code, text = _run("--model", other, "-n", 10, "--energy", "1", "-o", tmp_path / "o.parquet")
    assert code == 2 and "another architecture" in text
    code, text = _run("--model", tmp_path / "nowhere", "-n", 10, "--energy", "1", "-o", tmp_path / "n.parquet")
    assert code == 2 and "no nugan model there" in text
    code, text = _run("--model", ckpt, "-n", 10, "--energy", "1", "-o", tmp_path / "n.txt")
    assert code == 2 and "unknown output format" in text
    assert not list(tmp_path.glob("*.parquet"))


def test_root_flux(ckpt: Path, tmp_path: Path, xs_csv: Path) -> None:
    uproot = pytest.importorskip("uproot")
    root = tmp_path / "flux.root"
    with uproot.recreate(root) as f:
        f["numu_flux"] = (np.array([2.0, 2.0, 1.0]), np.array([0.5, 1.5, 2.0, 4.0]))
    out = tmp_path / "r.parquet"
    code, text = _run(
        "--model",
        ckpt,
        "-n",
        4000,
        "--energy",
        "0.5:4",
        "--flux",
        f"{root}:numu_flux",
        "-o",
        out,
        "--xsec",
        xs_csv,
        "--seed",
        2,
    )
    assert code == 0, text
    assert "sigma(E) source: user:xs.csv" in text and "lies outside" not in text
    E = read_parquet(out).E_nu
    # contents are bin integrals of the flux; with sigma ~ E a bin's share ~ content * <E> in the bin
    # (treating contents as per-width, or ignoring sigma, gives shares off by > 0.1)
    w = np.array([2.0 * 1.0, 2.0 * 1.75, 1.0 * 3.0])
    share = np.histogram(E, bins=[0.5, 1.5, 2.0, 4.0])[0] / len(E)
    assert np.allclose(share, w / w.sum(), atol=0.03)
    code, text = _run(
        "--model", ckpt, "-n", 10, "--energy", "0.5:4", "--flux", f"{root}:nope", "-o", out, "--xsec", xs_csv
    )
    assert code == 2 and "no object 'nope'" in text
