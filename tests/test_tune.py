"""Tuning a flow to a measurement: importance-weighted prediction, known-answer tunes, folds, held-out scoring,
``nugan tune`` end to end and the tuned checkpoint."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import nugan
from nugan.cli import app
from nugan.commands import common
from nugan.constants import M_MU
from nugan.measurements import SliceBinning, get_measurement
from nugan.measurements.tuning import (
    SigmaCorrection,
    TuneSettings,
    TuneTarget,
    density_sample,
    heldout_chi2,
    network_log_prob,
    other_bins,
    slice_bins,
    slice_folds,
    sub_chi2,
    tune_flow,
    weighted_prediction,
    weighted_sample,
)
from nugan.workflows.predict import flux_folded_sample, model_row
from nugan.workflows.tune import flow_base

T2K = "t2k-nd280-ccinc-c-2018"
UB = "microboone-ccinc-ar-2019"
BASE = "nuwro-C12-flow"


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.err_console, "width", 300)


@pytest.fixture(scope="module")
def base() -> Any:
    return nugan.load(BASE, device="cpu")


def _setup(m: Any, base: Any, n: int, seed: int = 3) -> tuple[Any, Any, Any]:
    drawn = flux_folded_sample(m, base, {"C12": 1.0}, n, seed, True)
    b = base.bundle
    ws = weighted_sample(
        b.flow, b.transform, m.binning, drawn.events.E_nu, drawn.events.E_mu, drawn.events.cos_theta, drawn.weights
    )
    rng = np.random.default_rng(seed)
    kev = base.sample(rng.uniform(0.3, 10.0, 2000), seed=seed + 1)
    kl = density_sample(b.flow, b.transform, kev.E_nu, kev.E_mu, kev.cos_theta)
    return drawn, ws, kl


@pytest.mark.parametrize("mid", [T2K, UB])
def test_prediction_at_the_start_equals_model_row(base: Any, mid: str) -> None:
    m = get_measurement(mid)
    drawn, ws, _ = _setup(m, base, 4000)
    target = TuneTarget.of(m, np.arange(m.n_bins), drawn.factor)
    b = base.bundle
    delta = network_log_prob(b.flow, ws.points.u, ws.points.e) - ws.points.log_p0  # the base's own flow: zero
    pred = weighted_prediction(ws, target, delta, torch.zeros(3, dtype=torch.float64)).numpy() * m.data_unit
    row = model_row(m, base, {"C12": 1.0}, 4000, 3, True)
    np.testing.assert_allclose(pred, row.values, rtol=1e-12, atol=0)
    assert np.count_nonzero(row.values) > m.n_bins // 2
    if mid == UB:  # BNB muons above 2.5 GeV/c fall outside every bin and are kept only for the normalisation
        assert ws.n_outside > 0 and len(ws) == len(drawn.events)


def test_sigma_correction_recovers_a_scaled_measurement(base: Any) -> None:
    m = get_measurement(T2K)
    drawn, ws, kl = _setup(m, base, 5000)
    p0 = np.asarray(model_row(m, base, {"C12": 1.0}, 5000, 3, True).values)
    err = 0.02 * np.maximum(p0, 1e-3 * p0.max())
    fake = dataclasses.replace(m, data=1.1 * p0, covariance=np.diag(err**2))
    target = TuneTarget.of(fake, np.arange(m.n_bins), drawn.factor)
    settings = TuneSettings(kl_weight=1000.0, steps=60, batch=2500, kl_batch=1000, fit_normalisation=True)
    res = tune_flow(base.bundle.flow, ws, target, kl, settings)
    assert res.chi2_start > 1000 and res.chi2 < 0.02 * res.chi2_start
    s = SigmaCorrection(res.sigma, *base.energy_range)
    assert s.factor(np.array([0.5, 0.8, 1.5])) == pytest.approx(1.1, rel=0.02)
    assert res.ess_fraction > 0.95 and res.stopped is None and res.frozen == ["block0"]
    # without the normalisation fit, s(E) keeps the sample's summed weight: the scale cannot be absorbed
    fixed = tune_flow(
        base.bundle.flow, ws, target, kl, dataclasses.replace(settings, fit_normalisation=False, steps=10)
    )
    w = ws.w0 * torch.exp(ws.design @ torch.tensor(fixed.sigma, dtype=torch.float64))
    assert float(w.sum() / ws.w0.sum()) == pytest.approx(1.0, abs=1e-9)


def test_tuning_the_flow_lowers_the_chi2_of_a_tilted_measurement(base: Any) -> None:
    m = get_measurement(T2K)
    drawn, ws, kl = _setup(m, base, 6000)
    p0 = np.asarray(model_row(m, base, {"C12": 1.0}, 6000, 3, True).values)
    centres = 0.5 * (m.binning.cos_edges[1:] + m.binning.cos_edges[:-1])
    tilt = np.concatenate([np.full(len(e) - 1, 1.0 + 0.2 * c) for c, e in zip(centres, m.binning.p_edges, strict=True)])
    fake = dataclasses.replace(m, data=p0 * tilt)
    target = TuneTarget.of(fake, np.arange(m.n_bins), drawn.factor)
    settings = TuneSettings(kl_weight=100.0, steps=40, batch=3000, kl_batch=1000, lr=1e-4, sigma_degree=-1)
    # the final KL on independent base events (in-sample, the tune's own KL events can score below 0)
    b = base.bundle
    tev = base.sample(np.random.default_rng(11).uniform(0.3, 10.0, 20_000), seed=12)
    kl_test = density_sample(b.flow, b.transform, tev.E_nu, tev.E_mu, tev.cos_theta)
    res = tune_flow(base.bundle.flow, ws, target, kl, settings, kl_test=kl_test)
    assert res.sigma == () and res.chi2 < 0.8 * res.chi2_start
    diff = (kl_test.log_p0 - network_log_prob(res.flow, kl_test.u, kl_test.e)).numpy()
    assert res.kl == pytest.approx(float(diff.mean()), rel=1e-9)
    assert -3 * diff.std() / np.sqrt(len(diff)) < res.kl < 0.05  # >= 0 within noise, and the tune stays near
    assert np.abs(diff).max() > 1e-4  # the flow moved
    assert len(res.history) == 40 and np.isfinite(res.prediction).all()
    # the base flow is untouched
    again = network_log_prob(base.bundle.flow, ws.points.u, ws.points.e)
    assert torch.equal(again, ws.points.log_p0)


def test_ess_threshold_stops_a_runaway_tune(base: Any) -> None:
    m = get_measurement(T2K)
    drawn, ws, kl = _setup(m, base, 3000)
    target = TuneTarget.of(dataclasses.replace(m, data=np.asarray(m.data) * 0.2), np.arange(m.n_bins), drawn.factor)
    settings = TuneSettings(kl_weight=0.0, steps=60, batch=1500, kl_batch=500, lr=3e-3, ess_min=0.9)
    res = tune_flow(base.bundle.flow, ws, target, kl, settings)
    assert res.stopped is not None and "effective sample fraction" in res.stopped
    assert res.steps_done < 60


def test_folds_partition_the_slices() -> None:
    for n_slices in (9, 11):
        binning = SliceBinning.from_lists(np.linspace(-1, 1, n_slices + 1), [[0, 0.5, 1.0, 2.0]] * n_slices)
        for k in range(2, 6):
            folds = slice_folds(n_slices, k)
            assert len(folds) == k and sorted(s for f in folds for s in f) == list(range(n_slices))
            assert all(f == tuple(range(j, n_slices, k)) for j, f in enumerate(folds))
            bins = np.sort(np.concatenate([slice_bins(binning, f) for f in folds]))
            np.testing.assert_array_equal(bins, np.arange(binning.n_bins))
            for f in folds:
                both = np.concatenate([slice_bins(binning, f), other_bins(binning, f)])
                assert len(set(both.tolist())) == binning.n_bins == len(both)
    for bad in (1, 12):
        with pytest.raises(ValueError, match="k-fold"):
            slice_folds(11, bad)


def test_heldout_scoring_of_a_stored_prediction_matches_a_direct_computation() -> None:
    m = get_measurement(T2K)
    neut = np.asarray(m.stored["NEUT 5.3.2"])
    folds = slice_folds(m.binning.n_slices, 4)
    total, per = heldout_chi2(m.data, m.covariance, m.binning, folds, [neut] * 4)
    u = m.data_unit
    by_hand = 0.0
    for f in folds:
        b = [i for s in f for i in range(m.binning.slice_of(s).start, m.binning.slice_of(s).stop)]
        r = (np.asarray(m.data)[b] - neut[b]) / u
        by_hand += float(r @ np.linalg.solve(np.asarray(m.covariance)[np.ix_(b, b)] / u**2, r))
    assert total.chi2 == pytest.approx(by_hand, rel=1e-9) and total.ndf == m.n_bins
    assert [c.ndf for c in per] == [len(slice_bins(m.binning, f)) for f in folds]
    assert sub_chi2(m.data, neut, m.covariance, np.arange(m.n_bins)).chi2 == pytest.approx(218.7, abs=0.1)


def test_sigma_correction_curve() -> None:
    m = nugan.load(BASE).xsec
    assert m is not None
    s = SigmaCorrection((0.05, 0.1, -0.03), 0.3, 10.0)
    tuned = s.apply(m)
    E = np.geomspace(0.3, 10.0, 57)
    np.testing.assert_allclose(tuned.total(E), m.total(E) * s.factor(E), rtol=2e-3)
    assert s.factor(0.3)[0] == pytest.approx(np.exp(0.05 - 0.1 - 0.03))  # P_k(-1) = (-1)^k
    assert s.factor(20.0)[0] == pytest.approx(s.factor(10.0)[0])  # constant beyond the range
    with pytest.raises(ValueError):
        SigmaCorrection((), 0.3, 10.0)


def test_gan_base_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GAN.*no density"):
        flow_base("nuwro-C12")
    r = CliRunner().invoke(app, ["tune", "--measurement", T2K, "--base", "nuwro-C12", "--out", str(tmp_path / "t")])
    assert r.exit_code == 2 and "a GAN has no density" in r.output
    assert not (tmp_path / "t" / "tune.json").exists()


TINY = [
    "--folds",
    "2",
    "--lambda",
    "100,1000",
    "--events",
    "4000",
    "--steps",
    "3",
    "--batch",
    "2000",
    "--kl-events",
    "2000",
    "--kl-batch",
    "1000",
    "--predict-events",
    "5000",
    "--auc-events",
    "400",
    "--allow-extrapolation",
    "--no-progress",
]


@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("tune") / "t2k"
    res = CliRunner().invoke(app, ["tune", "--measurement", T2K, "--base", BASE, "--out", str(out), *TINY])
    return out, res


def test_tune_cli_end_to_end(tuned_run: tuple[Path, Any]) -> None:
    out, res = tuned_run
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "tune.json").read_text())
    for key in ("tuned", "base", "neut", "genie"):
        assert doc[key]["heldout_ndf"] == 71 and doc[key]["ndf"] == 71
        assert np.isfinite(doc[key]["heldout_chi2"]) and np.isfinite(doc[key]["chi2"])
    assert doc["neut"]["chi2"] == pytest.approx(218.7, abs=0.1)
    assert doc["folds"] == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9]]
    assert [r["lambda"] for r in doc["lambda_scan"]] == [100.0, 1000.0]
    assert doc["lambda"] == min(doc["lambda_scan"], key=lambda r: r["heldout_chi2"])["lambda"]
    assert set(doc["auc"]) == {"flat 0.3-10 GeV", "0.5 GeV", "1 GeV", "3 GeV"}
    assert doc["command"].startswith(f"nugan tune --measurement {T2K} --base {BASE}")
    for name in ("tune.md", "slices.png", "sigma.png", "fixed_E1_E_mu.png", "fixed_E3_cos_theta.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "folds" / "lambda100" / "fold1" / "model.json").exists()
    assert "wrote the tuned model" in res.output and "tune.json" in res.output
    again = CliRunner().invoke(app, ["tune", "--measurement", T2K, "--base", BASE, "--out", str(out), *TINY])
    assert again.exit_code == 2 and "already holds a tune" in again.output and "--force" in again.output


def test_tuned_checkpoint_loads_and_samples_physical_events(tuned_run: tuple[Path, Any]) -> None:
    out, res = tuned_run
    assert res.exit_code == 0, res.output
    tuned, base = nugan.load(str(out / "model")), nugan.load(BASE)
    assert tuned.arch == "flow" and tuned.info["role"] == "tune" and tuned.info["parent"]["run"] == BASE
    assert tuned.info["tune"]["measurement"] == T2K and tuned.info["tune"]["bins_fitted"] == 71
    assert tuned.info["reproduce"].startswith("nugan tune") and "tuned to" in tuned.domain["interaction_model"]
    E = np.geomspace(0.3, 10.0, 20_000)
    table, check = tuned.sample_checked(E, seed=5)
    assert check.n_repaired == 0 and check.n_rejected == 0 and len(table) == len(E)
    assert np.all((table.E_mu >= M_MU) & (table.E_mu <= table.E_nu) & (np.abs(table.cos_theta) <= 1))
    assert np.all(np.isfinite(tuned.log_prob(table)))
    xs_t, xs_b = tuned.xsec, base.xsec
    assert xs_t is not None and xs_b is not None
    s = SigmaCorrection(tuple(tuned.info["tune"]["sigma_coefficients"]), 0.3, 10.0)
    np.testing.assert_allclose(xs_t.total(E), xs_b.total(E) * s.factor(E), rtol=2e-3)
