"""Tables, fast sampler, fluxes and the public simulate() API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nugan.events import read_parquet, validate
from nugan.events.table import CHANNEL_CODES
from nugan.physics import cross_section_table, simulate, simulate_to_file
from nugan.physics.channels import SIM_CHANNELS, weighted_events
from nugan.physics.flux import make_flux, read_flux_csv
from nugan.physics.models import get_model
from nugan.physics.nucleus import nuclear_config
from nugan.physics.sampler import TableSampler
from nugan.physics.tables import TableGrid, default_grid, get_tables, load_tables, shipped_dir


def test_shipped_tables_small_and_present() -> None:
    files = list(shipped_dir().glob("*.npz"))
    assert len(files) >= 2
    assert sum(f.stat().st_size for f in files) < 15e6
    for f in files:
        t = load_tables(f)
        assert t.hist.dtype == np.float32
        # share of the total cross section outside the (t, x) range: x > 3 near omega -> 0 (mu+ Coulomb gain,
        # Ar40's low reaction thresholds); per channel it can be large only where the channel is negligible
        lost = (t.overflow * t.sigma).sum(axis=0) / np.maximum(t.sigma.sum(axis=0), 1e-300)
        assert lost[t.E_nodes > 0.25].max() < 1e-2
        assert lost[t.E_nodes > 1.0].max() < 3e-3


def test_reproducible_and_physical() -> None:
    a = simulate("numu", "C12", n_events=20_000, seed=7)
    b = simulate("numu", "C12", n_events=20_000, seed=7)
    c = simulate("numu", "C12", n_events=20_000, seed=8)
    assert np.array_equal(a.E_mu, b.E_mu) and np.array_equal(a.channel, b.channel)
    assert not np.array_equal(a.E_mu, c.E_mu)
    assert validate(a, strict=True).ok
    assert a.E_nu.min() >= 0.3 and a.E_nu.max() <= 10.0
    assert set(np.unique(a.channel)) <= {CHANNEL_CODES[k] for k in ("QE", "MEC", "RES", "DIS")}
    m = a.meta
    assert m.source == "simulator" and m.model == "default" and m.seed == 7
    assert m.energy_range == (0.3, 10.0) and 3.0e-38 < m.xsec_cm2 < 4.0e-38
    assert "nugan-simulator" in m.generator_version


def test_w_peaks_resolved_at_1gev() -> None:
    ev = simulate("numu", "C12", energy=1.0, n_events=150_000, seed=1)
    W = ev.W
    qe = W[ev.channel == CHANNEL_CODES["QE"]]
    h, e = np.histogram(qe, bins=np.arange(0.7, 1.3, 0.01))
    assert 0.92 <= e[np.argmax(h)] <= 0.99
    res = W[ev.channel == CHANNEL_CODES["RES"]]
    h, e = np.histogram(res, bins=np.arange(1.0, 1.6, 0.01))
    assert 1.18 <= e[np.argmax(h)] + 0.005 <= 1.26
    # the QE peak is narrow: the FG width, not a table artefact
    assert 0.03 < np.std(qe[(qe > 0.8) & (qe < 1.1)]) < 0.08


def test_sampler_matches_exact_weighted_mc() -> None:
    """Table sampler vs the weighted Monte Carlo it was built from (means of E_mu and cos at 1.5 GeV)."""
    E = 1.5
    ev = simulate("numu", "C12", energy=E, n_events=100_000, seed=3)
    m = get_model("default")
    cfg = nuclear_config("C12", m)
    rng = np.random.default_rng(5)
    for ch in ("QE", "RES"):
        w = weighted_events(ch, E, 300_000, rng, cfg, m, 14)
        sel = ev.channel == CHANNEL_CODES[ch]
        assert ev.E_mu[sel].mean() == pytest.approx(np.average(w.E_mu, weights=w.weight), abs=0.01)
        assert ev.cos_theta[sel].mean() == pytest.approx(np.average(w.cos_theta, weights=w.weight), abs=0.01)


def test_channel_fractions_follow_sigma() -> None:
    ev = simulate("numu", "C12", energy=3.0, n_events=100_000, seed=2)
    xs = cross_section_table("numu", "C12", "default")
    tot = float(xs.total(3.0))
    fr = ev.channel_fractions()
    for ch in ("QE", "MEC", "RES", "DIS"):
        assert fr[ch] == pytest.approx(float(xs.channel(ch, 3.0)) / tot, abs=0.01)
    assert ev.meta.xsec_cm2 == pytest.approx(tot, rel=1e-6, abs=0)


def test_antineutrino_more_forward() -> None:
    nu = simulate("numu", "C12", energy=2.0, n_events=50_000, seed=1)
    nub = simulate("numubar", "C12", energy=2.0, n_events=50_000, seed=1)
    assert nub.cos_theta.mean() > nu.cos_theta.mean() + 0.03
    assert nub.E_mu.mean() > nu.E_mu.mean()


def test_flat_flux_energy_follows_sigma() -> None:
    ev = simulate("numu", "Ar40", energy=(0.5, 5.0), n_events=200_000, seed=4)
    xs = cross_section_table("numu", "Ar40", "default")
    E = np.linspace(0.5, 5.0, 4001)
    s = xs.total(E)
    assert ev.E_nu.mean() == pytest.approx(np.sum(E * s) / np.sum(s), rel=0.005)
    assert ev.meta.xsec_cm2 == pytest.approx(np.mean(s), rel=0.005, abs=0)


def test_csv_flux_formats(tmp_path: Path) -> None:
    two = tmp_path / "f2.csv"
    two.write_text("# edges, content\nE,flux\n0.5,1\n1.0,3\n2.0,0\n")
    three = tmp_path / "f3.csv"
    three.write_text("0.5,1.0,1\n1.0,2.0,3\n")
    e2, c2 = read_flux_csv(two)
    e3, c3 = read_flux_csv(three)
    assert np.allclose(e2, e3) and np.allclose(c2, c3)
    ev = simulate("numu", "C12", energy=(0.3, 10.0), flux=str(three), n_events=20_000, seed=1)
    assert ev.E_nu.min() >= 0.5 and ev.E_nu.max() <= 2.0
    assert np.mean(ev.E_nu > 1.0) > 0.75  # 3x the flux and a larger sigma above 1 GeV
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3,4\n")
    with pytest.raises(ValueError, match="expected rows"):
        read_flux_csv(bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": "Pb208"}, "unknown target"),
        ({"model": "nope"}, "unknown model"),
        ({"energy": -1.0}, "must be > 0"),
        ({"energy": (0.0, 5.0)}, "must be > 0"),
        ({"energy": (0.3, 50.0)}, "outside the model range"),
        ({"energy": 0.05}, "outside the model range"),
        ({"n_events": 0}, "must be > 0"),
        ({"probe": "nue"}, "unknown probe"),
        ({"flux": "nofile.csv"}, "not found"),
        ({"flux": "weird"}, "unknown flux"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    args = {"n_events": 10, "seed": 0, **kwargs}
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        simulate(**args)


def test_simulate_to_file_equals_simulate(tmp_path: Path) -> None:
    p = simulate_to_file(
        tmp_path / "s.parquet", "numu", "Ar40", energy=(0.3, 10.0), n_events=30_000, seed=9, progress=False
    )
    back = read_parquet(p)
    mem = simulate("numu", "Ar40", energy=(0.3, 10.0), n_events=30_000, seed=9)
    assert np.array_equal(back.E_mu, mem.E_mu) and np.array_equal(back.channel, mem.channel)
    assert back.meta.xsec_cm2 == pytest.approx(mem.meta.xsec_cm2, rel=1e-6, abs=0) and back.meta.model == "default"
    chunked = simulate_to_file(
        tmp_path / "c.parquet", "numu", "Ar40", n_events=25_001, seed=9, chunk_size=10_000, progress=False
    )
    assert len(read_parquet(chunked)) == 25_001
    assert not list(tmp_path.glob("*.tmp"))


def test_build_and_cache_small_grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-shipped configuration is built, cached atomically under $NUGAN_CACHE and reloaded."""
    monkeypatch.setenv("NUGAN_CACHE", str(tmp_path))
    grid = TableGrid(E_min=0.5, E_max=3.0, n_E=4, n_t=40, n_x=40, trials=4000)
    t = get_tables("numubar", "O16", "genie-like", grid=grid)
    files = list((tmp_path / "xsec_tables").glob("*.npz"))
    assert len(files) == 1 and "numubar_O16_genie-like" in files[0].name
    again = load_tables(files[0])
    assert np.allclose(again.sigma, t.sigma) and again.hist.shape == (len(SIM_CHANNELS), 4, 40, 40)
    assert np.all(t.sigma[0] > 0) and t.sigma[1].max() > 0
    s = TableSampler(t)
    e_mu, cos, ch = s.sample(np.full(5000, 1.2), np.random.default_rng(0))
    assert np.all(np.abs(cos) <= 1) and np.all(e_mu <= 1.2)


def test_xsec_table_interpolation() -> None:
    xs = cross_section_table("numu", "C12", "default")
    assert set(xs.sigma) == {"QE", "MEC", "RES", "DIS", "HYP"} and not xs.sigma["HYP"].any()  # hyperons: nu-bar only
    assert np.all(np.diff(xs.E_nu) > 0)
    assert float(xs.total(1.0)) / 1e-38 == pytest.approx(1.0, abs=0.08)
    assert np.isnan(xs.total(50.0))
    ev = make_flux("flat", 2.0, (0.1, 20.0))
    assert ev.is_mono and ev.energy_range == (2.0, 2.0)


def test_hyperon_events_only_for_antineutrinos() -> None:
    """Default 2.2: nu-bar makes hyperons (labelled OTHER, ~2 % at 3 GeV), nu none (its HYP table row is empty)."""
    other = CHANNEL_CODES["OTHER"]
    nu = simulate("numu", "C12", "default", energy=3.0, n_events=50_000, seed=4)
    nubar = simulate("numubar", "C12", "default", energy=3.0, n_events=50_000, seed=4)
    assert not np.any(nu.channel == other)
    assert 0.01 < np.mean(nubar.channel == other) < 0.03
    assert TableSampler(get_tables("numu", "C12", "default")).active.tolist() == [0, 1, 2, 3]


def test_sampler_cell_search_skips_empty_cells_without_changing_draws() -> None:
    """The compact CDF (cells with weight only) finds the same cell as a search over every cell would."""
    s = TableSampler(get_tables("numubar", "C12", "default"))
    h = np.asarray(s.tables.hist, dtype=np.float64)[s.active].transpose(1, 0, 2, 3).reshape(s.n_E * s.n_ch, -1)
    assert len(s.gcdf) < 0.5 * h.size  # most (t, x) cells are kinematically closed
    cdf = np.cumsum(h, axis=1)
    full = (cdf / np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1.0) + np.arange(len(h))[:, None]).reshape(-1)
    rng = np.random.default_rng(11)
    rows = s.row_of[rng.integers(0, s.n_E, 50_000), rng.integers(0, s.n_ch, 50_000)]
    u = rows + rng.random(50_000)
    reference = np.searchsorted(full, u, side="right") - rows * s.n_cells
    compact = s.cell_of[np.searchsorted(s.gcdf, u, side="right")]
    assert np.array_equal(reference, compact)
    assert np.all(h[rows, compact] > 0)


def test_default_grid_reaches_large_x_for_antineutrinos() -> None:
    """mu+ Coulomb gain puts nubar events at large x: the shipped nubar tables lose < 0.5 % above 0.25 GeV."""
    assert default_grid(-14).x_max == 6.0 and default_grid(14).x_max == 3.0
    assert default_grid(-14).x_max / default_grid(-14).n_x == default_grid(14).x_max / default_grid(14).n_x
    for target in ("C12", "Ar40"):
        t = get_tables("numubar", target, "default", build=False)
        lost = (t.overflow * t.sigma).sum(axis=0) / np.maximum(t.sigma.sum(axis=0), 1e-300)
        assert lost[t.E_nodes > 0.25].max() < 5e-3
