"""Tests of nugan.metrics against known answers (synthetic samples; real NuWro where present)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nugan.events import EventTable, SampleMeta
from nugan.metrics import (
    ComparisonTable,
    FloorSet,
    MetricsReport,
    bin_index_3d,
    classifier_auc,
    comparison_table,
    compute_floor,
    domain_distance,
    emd,
    emd_statistics_factor,
    evaluate_samples,
    floor_emd,
    floor_map3d,
    map3d,
    map3d_result,
    pulls,
    scaled_wasserstein,
)

META = SampleMeta(energy_range=(0.3, 10.0), source="toy")


def toy(n: int, seed: int, E: float | None = None, y_scale: float = 1.0, cos_shift: float = 0.0) -> EventTable:
    """Toy events: E_nu log-uniform over 0.3-10 GeV (or fixed E), y ~ Beta(2, 2),
    cos ~ 2 Beta(5, 2) - 1."""
    rng = np.random.default_rng(seed)
    e_nu = np.full(n, E) if E is not None else np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    y = rng.beta(2.0, 2.0, n) * y_scale
    cos = np.clip(2.0 * rng.beta(5.0, 2.0, n) - 1.0 + cos_shift, -1.0, 1.0)
    return EventTable(e_nu, np.maximum(y * e_nu, 0.106), cos, meta=META)


def toy_sampler(y_scale: float = 1.0):
    """A conditional sampler gen_fn(E_nu, seed) drawing y and cos from the toy distribution."""

    def gen_fn(E_nu: np.ndarray, seed: int) -> EventTable:
        rng = np.random.default_rng(seed)
        n = len(E_nu)
        y = rng.beta(2.0, 2.0, n) * y_scale
        cos = 2.0 * rng.beta(5.0, 2.0, n) - 1.0
        meta = META.replace(source="nugan")
        return EventTable(E_nu, np.maximum(y * E_nu, 0.106), cos, meta=meta)

    return gen_fn


def table_in_bins(cells: dict[tuple[int, int, int], int], bins: int = 20) -> EventTable:
    """Events placed at the centres of given (iE, iy, icos) MAP-3D bins over 0.3-10 GeV."""
    lo, hi = np.log(0.3), np.log(10.0)
    e, y, c = [], [], []
    for (ie, iy, ic), n in cells.items():
        E = np.exp(lo + (ie + 0.5) * (hi - lo) / bins)
        e += [E] * n
        y += [(iy + 0.5) / bins] * n
        c += [-1.0 + (ic + 0.5) * 2.0 / bins] * n
    e_nu = np.array(e)
    return EventTable(e_nu, np.array(y) * e_nu, np.array(c), meta=META)


# ----------------------------------------------------------------------------- MAP-3D
def test_bin_index_edges_and_outside():
    e = np.array([0.3, 10.0, 0.2999, 10.001, 1.0, 1.0, 1.0])
    mu = np.array([0.1, 10.0, 0.1, 0.1, 0.5, 1.2, 0.5])
    cos = np.array([-1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0001])
    idx = bin_index_3d(e, mu, cos)
    assert idx[0] == (0 * 20 + 6) * 20 + 0  # y = 0.333 -> bin 6
    assert idx[1] == 20**3 - 1  # all upper edges land in the last bins
    assert list(idx[2:4]) == [-1, -1]  # E_nu outside the domain range
    assert idx[4] >= 0 and idx[4] % 20 == 19
    assert idx[5] == -1 and idx[6] == -1  # y > 1, cos > 1


def test_identical_samples_give_zero():
    t = toy(20_000, 1)
    res = map3d_result(t, t)
    assert res.map3d == 0.0 and res.map3d_no_tails == 0.0 and res.mean_map == 0.0
    assert res.n_ref == res.n_gen == 20_000 and res.n_bins_used > 500


def test_hand_computed_pulls_and_empty_bins_ignored():
    ref = table_in_bins({(3, 4, 5): 100})
    gen = table_in_bins({(3, 4, 5): 64, (10, 2, 7): 36})
    res = map3d_result(gen, ref)
    pa = abs(64 - 100) / math.sqrt(164)
    pb = 36 / math.sqrt(36)
    assert res.n_bins_used == 2  # the other 7998 empty bins do not count
    assert res.map3d == pytest.approx((pa + pb) / 2, rel=1e-12)
    assert res.n_bins_no_tails == 1  # only the bin with r >= 25
    assert res.map3d_no_tails == pytest.approx(pa, rel=1e-12)
    assert res.mean_map == pytest.approx(((pa + pb) / 2 + pa) / 2, rel=1e-12)
    assert map3d(gen, ref, tails=False) == pytest.approx(pa)


def test_k_weighting_of_generated_counts():
    ref = table_in_bins({(3, 4, 5): 100, (4, 4, 5): 10})
    exact = table_in_bins({(3, 4, 5): 300, (4, 4, 5): 30})
    assert map3d(exact, ref, k=3) == pytest.approx(0.0, abs=1e-12)
    gen = table_in_bins({(3, 4, 5): 150, (4, 4, 5): 30})
    p1 = (150 / 2 - 100) / math.sqrt(150 / 4 + 100)
    p2 = (30 / 2 - 10) / math.sqrt(30 / 4 + 10)
    res = map3d_result(gen, ref, k=2)
    assert res.map3d == pytest.approx((abs(p1) + abs(p2)) / 2, rel=1e-12)
    assert res.map3d_no_tails == pytest.approx(abs(p1), rel=1e-12)
    assert res.k == 2.0
    # without k the same sample looks very different (overall normalisation off by 2)
    assert map3d(gen, ref, k=1) > 3.0


def test_large_count_limit_is_sqrt_2_over_pi():
    # 2000 equally populated bins, ~1000 events each per sample: E|pull| -> sqrt(2/pi) = 0.798
    n = 2_000_000
    rng = np.random.default_rng(12)

    def flat(n: int) -> EventTable:
        e = np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
        return EventTable(e, rng.uniform(0, 1, n) * e, rng.uniform(-1, 1, n), meta=META)

    res = map3d_result(flat(n), flat(n), bins=(20, 10, 10))
    assert res.n_bins_used == 2000 and res.n_bins_no_tails == 2000
    assert res.map3d == pytest.approx(math.sqrt(2 / math.pi), abs=0.03)
    assert res.map3d_no_tails == res.map3d


def test_shifted_sample_gives_large_map():
    ref, same = toy(40_000, 1), toy(40_000, 2)
    m_same = map3d(same, ref)
    assert 0.6 < m_same < 1.0
    values = [map3d(toy(40_000, 3, y_scale=s), ref) for s in (0.9, 0.75, 0.6)]
    assert m_same < values[0] < values[1] < values[2]
    assert values[2] > 2 * m_same
    assert map3d(toy(40_000, 3, y_scale=0.6), ref, tails=False) > 2 * map3d(same, ref, tails=False)


def test_map_errors():
    t = toy(100, 1)
    with pytest.raises(ValueError, match="bins"):
        map3d(t, t, bins=0)
    with pytest.raises(ValueError, match="energy_range"):
        map3d(t, t, energy_range=(10.0, 0.3))
    with pytest.raises(ValueError, match="no reference event"):
        map3d(t, t, energy_range=(20.0, 30.0))
    with pytest.raises(ValueError, match="weights"):
        w = EventTable(t.E_nu, t.E_mu, t.cos_theta, meta=META, weight=np.linspace(0.5, 2, len(t)))
        map3d(w, t)
    with pytest.raises(ValueError, match="k"):
        pulls(np.ones(3), np.ones(3), k=0)


# ----------------------------------------------------------------------------- EMD
def test_emd_identical_zero_and_grows_with_shift():
    refs = {e: toy(5000, 10 + i, E=e) for i, e in enumerate((0.5, 1.0, 3.0))}
    res0 = emd(refs, refs)
    assert res0.value == 0.0
    assert set(res0.per_energy) == {0.5, 1.0, 3.0}
    assert set(res0.per_energy[1.0]) == {"E_mu", "cos_theta"}
    values = []
    for s in (0.95, 0.85, 0.7):
        gens = {e: toy(5000, 20 + i, E=e, y_scale=s) for i, e in enumerate((0.5, 1.0, 3.0))}
        values.append(emd(gens, refs).value)
    assert values[0] < values[1] < values[2]
    # a pure shift of cos by d gives W1 = d exactly: check the std normalisation on arrays
    x = np.random.default_rng(0).normal(0.0, 2.0, 10_000)
    assert scaled_wasserstein(x + 0.5, x) == pytest.approx(0.5 / np.std(x), rel=1e-9)


def test_emd_breakdown_and_missing_energy():
    refs = {0.5: toy(3000, 1, E=0.5), 1.0: toy(3000, 2, E=1.0)}
    gens = {0.5: toy(3000, 3, E=0.5), 1.0: toy(3000, 4, E=1.0, cos_shift=-0.3)}
    res = emd(gens, refs)
    flat = [v for d in res.per_energy.values() for v in d.values()]
    assert res.value == pytest.approx(np.mean(flat))
    assert res.per_energy[1.0]["cos_theta"] > 5 * res.per_energy[0.5]["cos_theta"]
    assert res.per_variable()["cos_theta"] == pytest.approx(np.mean([res.per_energy[e]["cos_theta"] for e in refs]))
    with pytest.raises(ValueError, match="no generated sample at E_nu = 1 GeV"):
        emd({0.5: gens[0.5]}, refs)


# ----------------------------------------------------------------------------- AUC
def test_auc_same_and_different():
    a, b = toy(6000, 1), toy(6000, 2)
    same = classifier_auc(a, b, seed=0)
    assert abs(same.auc - 0.5) < 0.04
    assert same.n_train == same.n_test == 6000
    diff = classifier_auc(toy(6000, 3, y_scale=0.2, cos_shift=-0.8), b, seed=0)
    assert diff.auc > 0.97
    capped = classifier_auc(a, b, seed=0, cap=1000)
    assert capped.n_train + capped.n_test == 2000
    with pytest.raises(ValueError, match="at least 20"):
        classifier_auc(a[:5], b)


# ----------------------------------------------------------------------------- floors
def test_floor_split_and_independent():
    ref, ref2 = toy(60_000, 1), toy(50_000, 2)
    split = floor_map3d(ref, seed=3)
    assert "split" in split.comparison and split.n_ref == 30_000 and split.n_gen == 30_000
    ind = floor_map3d(ref, ref2, seed=3)
    assert "independent" in ind.comparison and ind.n_ref == ind.n_gen == 50_000
    for r in (split, ind):
        assert 0.6 < r.map3d < 1.0 and 0.6 < r.map3d_no_tails < 1.1
    fixed = {1.0: toy(4000, 5, E=1.0)}
    fe = floor_emd(fixed, {1.0: toy(4000, 6, E=1.0)})
    assert "independent" in fe.comparison and 0 < fe.value < 0.1


# ----------------------------------------------------------------------------- evaluate
@pytest.fixture(scope="module")
def refs():
    ref = toy(30_000, 100)
    fixed = {e: toy(4000, 200 + i, E=e) for i, e in enumerate((0.5, 1.0, 3.0))}
    return ref, fixed


@pytest.fixture(scope="module")
def floor_set(refs):
    ref, fixed = refs
    return compute_floor(ref, fixed, seed=0, auc_cap=4000)


def test_evaluate_samples_perfect_and_bad_model(refs, floor_set):
    ref, fixed = refs
    good = evaluate_samples(toy_sampler(), ref, fixed, seed=1, name="good", floor=floor_set, auc_cap=4000)
    bad = evaluate_samples(toy_sampler(0.6), ref, fixed, seed=1, name="bad", floor=floor_set, auc_cap=4000)
    assert good.floor is floor_set
    assert abs(good.map3d - floor_set.map.map3d) < 0.15
    assert bad.map3d > 2 * good.map3d and bad.mean_map > 2 * good.mean_map
    assert bad.emd_value > 5 * good.emd_value
    assert bad.auc_value > 0.6 and abs(good.auc_value - 0.5) < 0.05
    assert set(good.auc_by_energy) == {0.5, 1.0, 3.0}
    assert good.map.n_gen == len(ref) and good.info["n_generated"] == len(ref)

    # k = 2: twice as many generated events, still near the floor
    k2 = evaluate_samples(toy_sampler(), ref, seed=2, k=2, floor=False, auc=False)
    assert k2.map.n_gen == 2 * len(ref) and k2.emd is None and k2.auc is None and k2.floor is None
    assert k2.map3d_no_tails < 1.0

    # renderings and round trip
    d = json.loads(json.dumps(good.to_dict()))
    back = MetricsReport.from_dict(d)
    assert back.map3d == good.map3d and back.emd.per_energy == good.emd.per_energy
    assert back.floor.map.comparison == floor_set.map.comparison
    md = good.to_markdown()
    assert "| MAP-3D | 0." in md and " bins] |" in md and "EMD cos_theta @ 0.5 GeV" in md and "AUC @ 3 GeV" in md
    assert "split" in md  # the floor method is stated
    from rich.console import Console

    con = Console(record=True, width=200)
    con.print(good.rich_table())
    assert "MAP-3D w/o tails" in con.export_text()

    table = comparison_table([good, bad])
    assert [r["name"] for r in table.rows] == ["good", "bad", "MC vs MC floor"]
    assert table.rows[-1]["kind"] == "floor"
    assert table.rows[-1]["map3d"] == pytest.approx(floor_set.map.map3d)
    assert table.best("mean_map") == "good" and table.best("auc") == "good"
    tmd = table.to_markdown()
    assert tmd.splitlines()[0] == "| model | MAP-3D | MAP-3D w/o tails | <MAP> | EMD | AUC |"
    assert "*MC vs MC floor*" in tmd
    assert '<tr class="floor">' in table.to_html()
    assert ComparisonTable.from_dict(json.loads(json.dumps(table.to_dict()))).rows == table.rows


def test_evaluate_rejects_broken_generator(refs):
    ref, _ = refs

    def short(E_nu: np.ndarray, seed: int) -> EventTable:
        return toy_sampler()(E_nu[:-1], seed)

    def wrong_energy(E_nu: np.ndarray, seed: int) -> EventTable:
        return toy_sampler()(E_nu * 1.1, seed)

    with pytest.raises(ValueError, match="returned 29999 events for 30000"):
        evaluate_samples(short, ref, floor=False, auc=False)
    with pytest.raises(ValueError, match="E_nu differs"):
        evaluate_samples(wrong_energy, ref, floor=False, auc=False)
    with pytest.raises(ValueError, match="positive integer"):
        evaluate_samples(toy_sampler(), ref, k=0, floor=False, auc=False)


def test_floorset_round_trip(floor_set):
    back = FloorSet.from_dict(json.loads(json.dumps(floor_set.to_dict())))
    assert back.map == floor_set.map and back.emd == floor_set.emd and back.auc == floor_set.auc
    assert set(back.auc_by_energy) == {0.5, 1.0, 3.0}


# ----------------------------------------------------------------------------- real NuWro
def test_nuwro_domains_resolved_at_low_energy(nuwro_data_dir):
    from nugan.events import read_parquet

    fe = nuwro_data_dir / "fixed_energy"
    c12 = {e: read_parquet(fe / f"numu_C12_E{e}.parquet") for e in (0.5, 1.0)}
    ar = {e: read_parquet(fe / f"numu_Ar40_E{e}.parquet") for e in (0.5, 1.0)}
    nubar = {e: read_parquet(fe / f"numubar_C12_E{e}.parquet") for e in (0.5, 1.0)}
    floor = floor_emd(c12, seed=0)
    d_ar, d_nubar = emd(ar, c12).value, emd(nubar, c12).value
    assert floor.value < d_ar < d_nubar  # Ar40 differs a little at low energy, anti-nu_mu a lot
    dd = domain_distance(ar[0.5], c12[0.5], seed=0, auc_cap=10_000, energy_range=(0.3, 10.0))
    assert dd.map.k == 1.0 and dd.auc_value > 0.5


def test_split_emd_floor_rescaled_to_full_statistics():
    assert emd_statistics_factor(500, 500, 1000, k=1) == pytest.approx(1 / math.sqrt(2))
    assert emd_statistics_factor(1000, 1000, 1000, k=1) == pytest.approx(1.0)
    split, indep, raw = [], [], []
    for s in range(12):
        r, r2 = {1.0: toy(4000, 100 + s, E=1.0)}, {1.0: toy(4000, 500 + s, E=1.0)}
        f = floor_emd(r, seed=s)
        assert "rescaled by 0.707" in f.comparison
        split.append(f.value)
        raw.append(floor_emd(r, seed=s, rescale=False).value)
        indep.append(floor_emd(r, r2, seed=s).value)
    # the rescaled half-split floor estimates the independent-sample floor; the raw one is ~41% high
    assert np.mean(split) == pytest.approx(np.mean(indep), rel=0.15)
    assert np.mean(raw) / np.mean(split) == pytest.approx(math.sqrt(2), rel=1e-9)


def test_weighted_auc_sees_a_correct_reweighting():
    """Events of A weighted by the exact density ratio p_B / p_A are indistinguishable from B."""
    from nugan.constants import M_MU
    from nugan.events import EventTable

    rng = np.random.default_rng(5)

    def sample(n: int, shift: float) -> tuple[EventTable, np.ndarray]:
        x = rng.normal(shift, 1.0, n)  # atanh(cos_theta)
        E = np.full(n, 1.0)
        return EventTable(E, M_MU + rng.uniform(0.1, 0.9, n) * (E - M_MU), np.tanh(x)), x

    a, xa = sample(20_000, 0.0)
    b, _ = sample(20_000, 0.5)
    plain = classifier_auc(a, b, seed=1)
    w = np.exp(0.5 * xa - 0.125)  # N(0.5, 1) / N(0, 1)
    weighted = classifier_auc(a, b, seed=1, gen_weights=w)
    assert plain.auc > 0.6
    assert abs(weighted.auc - 0.5) < 3 * weighted.auc_se + 0.005
    assert weighted.auc_se > plain.auc_se  # fewer effective events
    with pytest.raises(ValueError, match="gen_weights"):
        classifier_auc(a, b, gen_weights=-w)
