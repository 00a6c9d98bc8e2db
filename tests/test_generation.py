"""Generation: fast forward, seeded sampler, Python API, physical check, cross sections, streaming."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import nugan
from nugan.constants import M_MU
from nugan.events import EventTable, SampleMeta, read_parquet
from nugan.generation.api import NuganModel
from nugan.generation.checks import enforce_physical
from nugan.generation.fastforward import fast_forward
from nugan.generation.generate import (
    chunk_energies,
    generate_to_file,
    iter_generate,
    make_plan,
    output_format,
)
from nugan.generation.sampler import LATENT_BLOCK, latent_seed, pick_device, sample_muon
from nugan.generation.xsec import (
    SOURCE_FLAT_FLUX,
    XsecCurve,
    attach_xsec,
    estimate_from_flat_flux_sample,
    from_simulator,
    is_flat_flux_sample,
    load_user_xsec,
    xsec_for_training_data,
)
from nugan.models import GANConfig, Generator, VariableTransform
from nugan.models.networks import Discriminator
from nugan.training import RunConfig, TrainConfig, pretrain
from nugan.training.checkpoint import ModelBundle

SMALL = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained for 20 steps on the toy sample (C12, 0.3-10 GeV)."""
    from tests.conftest import make_toy_events

    out = tmp_path_factory.mktemp("model")
    run = RunConfig(SMALL, TrainConfig(steps=20, batch_size=64, val_every=10, val_fraction=0.2, seed=3, threads=1))
    pretrain(make_toy_events(1500), run, out, progress=False)
    return out


def _random_model(cfg: GANConfig = SMALL, seed: int = 0) -> NuganModel:
    torch.manual_seed(seed)
    bundle = ModelBundle(Generator(cfg), Discriminator(cfg), cfg, VariableTransform(0.3, 10.0), {})
    return NuganModel(bundle, torch.device("cpu"))


def _energies(n: int, seed: int = 0) -> np.ndarray:
    return np.exp(np.random.default_rng(seed).uniform(np.log(0.3), np.log(10.0), n))


def _xsec_csv(path: Path, slope: float = 1e-38) -> Path:
    """sigma(E) = slope * E [cm^2] on 0.2-20 GeV (exactly linear in E between the points)."""
    E = np.linspace(0.2, 20.0, 199)
    path.write_text("E_GeV,sigma_cm2\n" + "".join(f"{float(e)!r},{float(slope * e)!r}\n" for e in E))
    return path


# ------------------------------------------------------------------------ fast forward / sampler
@pytest.mark.parametrize(
    "cfg",
    [
        GANConfig(),
        GANConfig(latent_dim=5, gen_width=12, gen_blocks=4, activation="relu", skip=False),
        GANConfig(latent_dim=6, gen_width=12, latent_categories=4),
    ],
)
def test_fast_forward_matches_module(cfg: GANConfig) -> None:
    torch.manual_seed(1)
    g = Generator(cfg).eval()
    z, e = torch.randn(300, cfg.latent_dim), torch.rand(300, 1) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(fast_forward(g)(z, e), g(z, e), atol=2e-5, rtol=1e-5)


def test_fast_forward_falls_back_on_unknown_blocks() -> None:
    g = Generator(SMALL).eval()
    g.blocks["block1"].act = torch.nn.Tanh()
    assert fast_forward(g) == g.forward


def test_sampler_seeded_and_batch_independent() -> None:
    m = _random_model()
    g, t = m.bundle.generator, m.bundle.transform
    E = _energies(20_000)
    a = sample_muon(g, t, E, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, sample_muon(g, t, E, seed=5), strict=True))
    for bs in (777, 16_384):  # latents are drawn per fixed block, not per network batch
        assert all(np.array_equal(x, y) for x, y in zip(a, sample_muon(g, t, E, 5, batch_size=bs), strict=True))
    assert not np.array_equal(a[0], sample_muon(g, t, E, seed=6)[0])
    assert latent_seed(5, 0) != latent_seed(5, 1) != latent_seed(6, 1)


def test_sampler_offset_streams_equal_one_call() -> None:
    m = _random_model()
    g, t = m.bundle.generator, m.bundle.transform
    E = _energies(2 * LATENT_BLOCK + 100)
    whole = sample_muon(g, t, E, seed=2)
    parts = [sample_muon(g, t, E[:LATENT_BLOCK], 2), sample_muon(g, t, E[LATENT_BLOCK:], 2, offset=LATENT_BLOCK)]
    assert np.array_equal(whole[0], np.concatenate([p[0] for p in parts]))
    assert np.array_equal(whole[1], np.concatenate([p[1] for p in parts]))
    with pytest.raises(ValueError, match="multiple of"):
        sample_muon(g, t, E, 2, offset=100)


def test_sampler_workers_give_the_same_events_and_restore_threads() -> None:
    """Latent blocks shared out to worker threads: any thread count gives bitwise the same sample."""
    m = _random_model(GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, latent_categories=4))
    g, t = m.bundle.generator, m.bundle.transform
    E = _energies(3 * LATENT_BLOCK + 7)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = sample_muon(g, t, E, seed=4)
        torch.set_num_threads(3)
        three = sample_muon(g, t, E, seed=4)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    assert all(np.array_equal(x, y) for x, y in zip(one, three, strict=True))


def test_sampler_sees_weight_updates_and_restores_modes() -> None:
    m = _random_model()
    g, t = m.bundle.generator, m.bundle.transform
    E = _energies(500)
    before = sample_muon(g, t, E, seed=1)[0]
    with torch.no_grad():
        g.blocks["block0"].linear.weight.mul_(2.0)  # in-place update, as an optimiser step does
    after = sample_muon(g, t, E, seed=1)[0]
    assert not np.array_equal(before, after)
    assert np.array_equal(after, sample_muon(copy.deepcopy(g), t, E, seed=1)[0])  # uncached copy
    g.train()
    g.blocks["block0"].eval()  # a frozen block stays in eval mode during training
    sample_muon(g, t, E, seed=1)
    assert g.training and g.blocks["block1"].training and not g.blocks["block0"].training


def test_pick_device() -> None:
    assert pick_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("quantum")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


# ------------------------------------------------------------------------------ physical check
def test_enforce_physical_counts() -> None:
    E = np.array([1.0, 1.0, 1.0, 2.0, 2.0])
    E_mu = np.array([0.5, 1.2, np.nan, 0.05, 1.0])
    cos = np.array([0.1, 0.2, 0.3, 0.4, 1.5])
    c = enforce_physical(E, E_mu, cos)
    assert (c.n_checked, c.n_repaired, c.n_rejected) == (5, 3, 1)
    assert c.keep.tolist() == [True, True, False, True, True]
    assert c.E_mu[1] == 1.0 and c.E_mu[3] == M_MU and c.cos_theta[4] == 1.0 and c.E_mu[0] == 0.5
    assert "3 repaired" in c.summary() and "1 rejected" in c.summary()


def test_extreme_outputs_still_physical() -> None:
    m = _random_model()
    with torch.no_grad():
        m.bundle.generator.head.weight.mul_(1e3)  # saturate sigmoid / tanh in the decode
    E = np.geomspace(0.3, 10.0, 5000)
    table, check = m.sample_checked(E, seed=1)
    assert check.n_repaired == 0 and check.n_rejected == 0 and len(table) == len(E)
    assert np.all(table.E_mu >= M_MU) and np.all(table.E_mu <= table.E_nu)
    assert np.all(np.abs(table.cos_theta) <= 1.0)


def test_nan_weights_rows_are_rejected_and_reported() -> None:
    m = _random_model()
    with torch.no_grad():
        m.bundle.generator.head.bias.fill_(float("nan"))
    with pytest.warns(UserWarning, match="100 rejected"):
        table = m.sample(np.full(100, 1.0), seed=0)
    assert len(table) == 0


# ----------------------------------------------------------------------------------- Python API
def test_load_and_sample_metadata(trained: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    assert isinstance(m, NuganModel) and m.device == torch.device("cpu")
    assert m.energy_range == (0.3, 10.0) and m.domain["target"] == "C12" and m.info["role"] == "pretrain"
    t = m.sample(np.full(1000, 1.0), seed=4)
    assert len(t) == 1000 and np.all(t.E_nu == 1.0)
    meta = t.meta
    assert (meta.probe_pdg, meta.target, meta.model, meta.source, meta.seed) == (14, "C12", "toy", "nugan", 4)
    assert meta.generator_version.startswith(f"nugan {nugan.__version__}")
    assert np.array_equal(t.E_mu, m.sample(np.full(1000, 1.0), seed=4).E_mu)


def test_energy_range_enforced(trained: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    with pytest.raises(ValueError, match=r"outside the model's range \[0.3, 10\] GeV"):
        m.sample(np.array([1.0, 12.0]), seed=0)
    with pytest.warns(UserWarning, match="extrapolating"):
        t = m.sample(np.array([1.0, 12.0]), seed=0, allow_extrapolation=True)
    assert len(t) == 2 and t.E_mu[1] <= 12.0
    with pytest.raises(ValueError, match="muon mass"):
        m.sample(np.array([0.1]), seed=0, allow_extrapolation=True)
    with pytest.raises(ValueError, match="seed"):
        m.sample(np.array([1.0]), seed=-1)


def test_discriminator_score(trained: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    t = m.sample(_energies(500), seed=1)
    s = m.discriminator_score(t, batch_size=128)
    assert s.shape == (500,) and np.all((s > 0) & (s < 1))
    tr = m.bundle.transform
    u = torch.as_tensor(tr.encode_muon(t.E_nu, t.E_mu, t.cos_theta), dtype=torch.float32)
    e = torch.as_tensor(tr.encode_energy(t.E_nu), dtype=torch.float32).unsqueeze(1)
    with torch.no_grad():
        ref = torch.sigmoid(m.bundle.discriminator.eval()(u, e)).numpy()
    assert np.allclose(s, ref, atol=1e-6)


# ------------------------------------------------------------------------------ cross sections
def test_xsec_curve_validation_and_roundtrip() -> None:
    c = XsecCurve(np.array([1.0, 2.0, 4.0]), np.array([1e-38, 2e-38, 4e-38]), "user:x.csv")
    back = XsecCurve.from_dict(json.loads(json.dumps(c.to_dict())))
    assert np.array_equal(back.E, c.E) and np.array_equal(back.sigma_cm2, c.sigma_cm2)
    assert back.source == c.source
    assert np.isclose(c.total(np.sqrt(2.0)), 1.5e-38, atol=0) and c.total(10.0) == 4e-38
    with pytest.raises(ValueError, match="strictly increasing"):
        XsecCurve(np.array([2.0, 1.0]), np.array([1e-38, 1e-38]), "x")
    with pytest.raises(ValueError, match="give it in cm"):
        XsecCurve(np.array([1.0, 2.0]), np.array([1.0, 2.0]), "x")
    with pytest.raises(ValueError, match="lacks key"):
        XsecCurve.from_dict({"E": [1, 2]})


def test_load_user_xsec(tmp_path: Path) -> None:
    p = tmp_path / "xs.csv"
    p.write_text("# comment\nE_GeV,other,sigma_cm2\n2.0,9,2e-38\n1.0,9,1e-38\n")
    d = load_user_xsec(p)
    assert d["E"] == [1.0, 2.0] and d["sigma_cm2"] == [1e-38, 2e-38] and d["source"] == "user:xs.csv"
    q = tmp_path / "nugan_xsec.csv"  # the layout `nugan xsec -o` writes
    q.write_text("E_nu_GeV,sigma_QE_cm2,sigma_total_cm2\n1.0,1e-39,1e-38\n2.0,1e-39,3e-38\n")
    assert load_user_xsec(q)["sigma_cm2"] == [1e-38, 3e-38]
    bad = tmp_path / "bad.csv"
    bad.write_text("energy,xs\n1,2\n")
    with pytest.raises(ValueError, match="lacks the columns E_GeV and sigma_cm2"):
        load_user_xsec(bad)
    with pytest.raises(FileNotFoundError):
        load_user_xsec(tmp_path / "missing.csv")


def _flat_flux_sample(n: int, lo: float, hi: float, seed: int = 0) -> EventTable:
    """Events from a flat flux with sigma(E) = 1e-38 E: E_nu density ~ E (inverse CDF)."""
    u = np.random.default_rng(seed).random(n)
    E = np.sqrt(lo**2 + u * (hi**2 - lo**2))
    xsec = 1e-38 * (lo + hi) / 2  # flat-flux average of 1e-38 E
    meta = SampleMeta(source="nuwro", model="m", energy_range=(lo, hi), xsec_cm2=xsec)
    return EventTable(E, np.full(n, M_MU + 0.01), np.zeros(n), meta=meta)


def test_estimate_from_flat_flux_sample_recovers_sigma() -> None:
    lo, hi = 0.5, 5.0
    table = _flat_flux_sample(200_000, lo, hi)
    assert is_flat_flux_sample(table.meta)
    d = estimate_from_flat_flux_sample(table)
    curve = XsecCurve.from_dict(d)
    assert d["source"] == SOURCE_FLAT_FLUX and curve.energy_range == (lo, hi)
    E = np.linspace(lo, hi, 20_001)
    assert np.isclose(np.trapezoid(curve.total(E), E) / (hi - lo), table.meta.xsec_cm2, rtol=1e-6, atol=0)
    mid = np.geomspace(0.8, 4.0, 9)
    assert np.allclose(curve.total(mid), 1e-38 * mid, rtol=0.05, atol=0)
    with pytest.raises(ValueError, match="energy range"):
        estimate_from_flat_flux_sample(table.with_meta(energy_range=None))
    with pytest.raises(ValueError, match="flux-averaged cross section"):
        estimate_from_flat_flux_sample(table.with_meta(xsec_cm2=None))


def test_xsec_for_training_data_choice() -> None:
    flat = _flat_flux_sample(5000, 0.5, 5.0)
    assert xsec_for_training_data(flat)["source"] == SOURCE_FLAT_FLUX
    assert xsec_for_training_data(flat.with_meta(source="genie", extra={"flux": "dune.root:numu"})) is None
    assert xsec_for_training_data(flat.with_meta(xsec_cm2=None)) is None
    sim = flat.with_meta(source="simulator", model="default", target_Z=6, target_A=12)
    d = xsec_for_training_data(sim)
    assert d is not None and d["source"] == "simulator:default"
    from nugan.physics import cross_section_table

    t = cross_section_table("numu", "C12", "default")
    assert np.allclose(d["sigma_cm2"], t.sigma_total, atol=0) and d == from_simulator(14, "C12", "default")


def test_attach_xsec(trained: Path, tmp_path: Path) -> None:
    import shutil

    ck = tmp_path / "ck"
    shutil.copytree(trained, ck)
    before = json.loads((ck / "model.json").read_text())
    d = load_user_xsec(_xsec_csv(tmp_path / "xs.csv"))
    attach_xsec(ck, d)
    after = json.loads((ck / "model.json").read_text())
    assert after["xsec"]["source"] == "user:xs.csv"
    assert {k: v for k, v in after.items() if k != "xsec"} == {k: v for k, v in before.items() if k != "xsec"}
    assert not list(ck.glob("*.tmp"))
    m = nugan.load(str(ck), device="cpu")
    assert m.xsec is not None and np.isclose(m.xsec.total(2.0), 2e-38, atol=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        attach_xsec(ck, {"E": [2, 1], "sigma_cm2": [1e-38, 1e-38], "source": "x"})


# ------------------------------------------------------------------------- flux-folded streaming
def test_plan_errors(trained: Path, tmp_path: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    with pytest.raises(ValueError, match="--xsec FILE.csv"):
        make_plan(m, 100, 0, energy=(0.5, 5.0))
    with pytest.raises(ValueError, match="outside the model's range 0.3-10 GeV"):
        make_plan(m, 100, 0, energy=20.0)
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("E_GeV,sigma_cm2\n1,1e-38\n2,2e-38\n")
    with pytest.raises(ValueError, match="covers 1-2 GeV"):
        make_plan(m, 100, 0, energy=(0.5, 5.0), xsec_file=narrow)
    with pytest.raises(ValueError, match="positive integer"):
        make_plan(m, 0, 0, energy=1.0)
    with pytest.raises(ValueError, match="unknown output format"):
        output_format(tmp_path / "x.root")


def test_flux_folding_follows_flux_times_sigma(trained: Path, tmp_path: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    lo, hi = 0.5, 5.0
    plan = make_plan(m, 60_000, 3, energy=(lo, hi), xsec_file=_xsec_csv(tmp_path / "xs.csv"))
    assert plan.xsec_source == "user:xs.csv"
    assert np.isclose(plan.fatx_cm2, 1e-38 * (lo + hi) / 2, rtol=1e-3, atol=0)
    E = chunk_energies(plan, 0)
    mean = (2 / 3) * (hi**3 - lo**3) / (hi**2 - lo**2)  # <E> for density ~ E on [lo, hi]
    assert abs(E.mean() / mean - 1) < 0.01 and lo <= E.min() and E.max() <= hi


def test_generate_streams_in_chunks(trained: Path, tmp_path: Path) -> None:
    m = nugan.load(str(trained), device="cpu")
    n = 2 * LATENT_BLOCK + 500
    plan = make_plan(
        m, n, 9, energy=(0.5, 5.0), xsec_file=_xsec_csv(tmp_path / "xs.csv"), chunk_size=LATENT_BLOCK, batch_size=5000
    )
    chunks = list(iter_generate(m, plan))
    assert [len(t) for t, _ in chunks] == [LATENT_BLOCK, LATENT_BLOCK, 500]
    res = generate_to_file(m, plan, tmp_path / "out.parquet", progress=False)
    assert res.n_written == n and res.check.n_checked == n
    assert res.check.n_repaired == 0 and res.check.n_rejected == 0
    back = read_parquet(tmp_path / "out.parquet")
    assert np.array_equal(back.E_mu, np.concatenate([t.E_mu for t, _ in chunks]))
    assert back.meta.source == "nugan" and back.meta.extra["xsec_source"] == "user:xs.csv"
    assert np.isclose(back.meta.xsec_cm2, plan.fatx_cm2, atol=0)
    # chunk k of the file is what the API gives for its energies at offset k * chunk_size
    k1 = m.sample_checked(chunk_energies(plan, 1), 9, offset=LATENT_BLOCK)[0]
    assert np.array_equal(back.E_mu[LATENT_BLOCK : 2 * LATENT_BLOCK], k1.E_mu)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(iter_generate(m, plan))  # no warnings inside the range


def test_failed_write_behind_stops_generation_and_leaves_no_file(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails in the background thread surfaces, and no partial file is left behind."""
    from nugan.events.parquet_io import ParquetEventWriter

    calls = []
    real_write = ParquetEventWriter.write

    def failing_write(self: ParquetEventWriter, table: EventTable) -> None:
        calls.append(len(table))
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        real_write(self, table)

    monkeypatch.setattr(ParquetEventWriter, "write", failing_write)
    m = nugan.load(str(trained), device="cpu")
    plan = make_plan(m, 4 * LATENT_BLOCK, 1, energy=1.0, chunk_size=LATENT_BLOCK)
    out = tmp_path / "x.parquet"
    with pytest.raises(OSError, match="disk full"):
        generate_to_file(m, plan, out, progress=False)
    assert 2 <= len(calls) <= 3 and list(tmp_path.iterdir()) == []
    monkeypatch.setattr(ParquetEventWriter, "write", real_write)
    res = generate_to_file(m, plan, out, progress=False)
    back = read_parquet(out)
    assert res.n_written == len(back) == 4 * LATENT_BLOCK
    direct = m.sample(np.full(4 * LATENT_BLOCK, 1.0), seed=1)
    assert np.array_equal(back.E_mu, direct.E_mu)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (the CUDA sampling path)")
def test_cuda_sampling_is_reproducible_and_matches_cpu_in_distribution() -> None:
    """On CUDA the latents come from per-block device generators: reproducible for a seed, and the same
    distribution as on CPU (the events themselves differ: other random numbers)."""
    from scipy import stats

    cpu = _random_model(GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, latent_categories=4), seed=2)
    bundle = copy.deepcopy(cpu.bundle)
    bundle.generator.to("cuda")
    gpu = NuganModel(bundle, torch.device("cuda"))
    E = _energies(2 * LATENT_BLOCK + 11)
    a, b = gpu.sample(E, seed=3), gpu.sample(E, seed=3)
    assert np.array_equal(a.E_mu, b.E_mu) and np.array_equal(a.cos_theta, b.cos_theta)
    c = cpu.sample(E, seed=3)
    assert stats.ks_2samp(a.E_mu / E, c.E_mu / E).pvalue > 1e-4
    assert stats.ks_2samp(a.cos_theta, c.cos_theta).pvalue > 1e-4


# --------------------------------------------------------------------------------- compiled engine
_NO_CXX = not any(__import__("shutil").which(c) for c in ("g++", "c++", "clang++"))


@pytest.mark.skipif(_NO_CXX, reason="torch.compile on CPU needs a C++ compiler")
def test_compiled_sampling_is_reproducible_and_matches_eager() -> None:
    """The compile engine: padded fixed-shape batches give the same events for any thread count and chunking,
    within float32 rounding of the eager network; one compilation per (network, batch rows)."""
    m = _random_model(GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, latent_categories=4), seed=3)
    g, t = m.bundle.generator, m.bundle.transform
    E = _energies(2 * LATENT_BLOCK + 1001)  # the last block ends in a short, padded batch
    eager = sample_muon(g, t, E, seed=9, batch_size=4096)
    comp = sample_muon(g, t, E, seed=9, batch_size=4096, compile=True)
    assert np.allclose(comp[0], eager[0], rtol=1e-5, atol=1e-6) and np.allclose(comp[1], eager[1], atol=1e-5)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = sample_muon(g, t, E, seed=9, batch_size=4096, compile=True)
    finally:
        torch.set_num_threads(before)
    assert all(np.array_equal(x, y) for x, y in zip(comp, two, strict=True))
    head = sample_muon(g, t, E[:LATENT_BLOCK], 9, batch_size=4096, compile=True)
    tail = sample_muon(g, t, E[LATENT_BLOCK:], 9, batch_size=4096, offset=LATENT_BLOCK, compile=True)
    assert np.array_equal(comp[0], np.concatenate([head[0], tail[0]]))


def test_compile_engine_is_for_gans(tmp_path: Path) -> None:
    from nugan.generation.engines import choose_engine

    assert choose_engine("gan", "cpu", 10, "compile").engine == "compile"
    assert choose_engine("gan", "cpu", 10**9, "auto").engine == "torch"  # auto never compiles
    with pytest.raises(ValueError, match="compile engine evaluates GANs only"):
        choose_engine("flow", "cpu", 10, "compile")


def test_compile_failure_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a working compiler the compile engine says what it needs instead of inductor's traceback."""
    from nugan.models import fastforward

    def broken(fn, **kwargs):  # what torch.compile gives when inductor cannot build its kernels
        def run(*args):
            raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found\n(pages of detail)")

        return run

    monkeypatch.setattr(fastforward.torch, "compile", broken)
    m = _random_model(seed=4)
    with pytest.raises(ValueError, match=r"could not compile.*needs a C\+\+ compiler.*--engine torch"):
        sample_muon(m.bundle.generator, m.bundle.transform, _energies(100), seed=1, compile=True)
