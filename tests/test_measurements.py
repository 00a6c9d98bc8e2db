"""Published measurements: binning, chi2 of the stored T2K predictions, normalisation, folding, ``nugan predict``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nugan.cli import app
from nugan.commands import common
from nugan.measurements import (
    SliceBinning,
    chi2,
    chi2_shape,
    composition_factor,
    get_measurement,
    list_measurements,
    muon_momentum,
    parse_composition,
    predict_from_events,
    weights_flat_flux,
    weights_flux_folded,
)

T2K = "t2k-nd280-ccinc-c-2018"
UB = "microboone-ccinc-ar-2019"


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.err_console, "width", 300)


def test_shipped_releases_load_with_their_binning() -> None:
    assert {T2K, UB} <= set(list_measurements())
    t = get_measurement(T2K)
    assert t.n_bins == 71 and t.binning.n_slices == 11 and t.per == "nucleon"
    assert np.isclose(t.data[0], 0.03971e-39, rtol=1e-3, atol=0)  # first bin of data_unfold_with_neut.txt
    assert np.all(np.linalg.eigvalsh(t.covariance / np.outer(t.errors, t.errors)) > 0)
    u = get_measurement(UB)
    assert u.n_bins == 42 and u.binning.n_slices == 9 and u.smearing is not None
    for m in (t, u):
        assert (m.folder / "CITATION.txt").is_file() and m.citation


def test_stored_t2k_predictions_chi2() -> None:
    m = get_measurement(T2K)
    assert chi2(m.data, m.stored["NEUT 5.3.2"], m.covariance).chi2 == pytest.approx(218.7, abs=0.1)
    assert chi2(m.data, m.stored["GENIE 2.8.0"], m.covariance).chi2 == pytest.approx(191.5, abs=0.1)
    assert chi2(m.data, m.data, m.covariance).chi2 == 0.0


def test_chi2_shape_removes_the_normalisation() -> None:
    m = get_measurement(T2K)
    full = chi2_shape(m.data, 1.7 * m.data, m.covariance, m.binning.areas())
    assert full.chi2 == pytest.approx(0.0, abs=1e-9) and full.norm == pytest.approx(1 / 1.7) and full.ndf == 70
    cov = np.diag([1.0, 4.0])
    assert chi2(np.array([1.0, 2.0]), np.array([2.0, 0.0]), cov).chi2 == pytest.approx(2.0)


def test_binning_assigns_slices_and_momenta() -> None:
    b = SliceBinning.from_lists([-1.0, 0.0, 1.0], [[0.0, 1.0], [0.0, 0.5, 2.0]])
    k = b.index(np.array([0.5, 0.2, 0.7, 3.0, 0.1]), np.array([-0.5, 0.5, 1.0, 0.5, 0.0]))
    assert k.tolist() == [0, 1, 2, -1, 1]
    assert b.areas().tolist() == [1.0, 0.5, 1.5]
    assert muon_momentum(np.array([0.1056583755, 1.0]))[0] == 0.0


def test_normalisation_of_a_synthetic_flux_folded_sample() -> None:
    """Events all in one bin with weights summing to <sigma> give <sigma> / (dp dcos) there."""
    m = get_measurement(T2K)
    n, sigma = 1000, 1e-38
    E_mu = np.full(n, np.hypot(0.55, 0.1056583755))  # p = 0.55 GeV/c
    cos = np.full(n, 0.5)  # slice 0.45-0.6, bin 0.5-0.6
    v = predict_from_events(m, E_mu, cos, weights_flux_folded(n, sigma, 1.0))
    k = m.binning.index(np.array([0.55]), np.array([0.5]))[0]
    assert v[k] == pytest.approx(sigma / (0.1 * 0.15), rel=1e-6, abs=0) and np.count_nonzero(v) == 1
    # flat-flux reweighting: a flux flat over [1, 2] GeV and a flat sample there give the flat <sigma>
    flat = dataclasses.replace(m, flux_edges=np.array([0.0, 1.0, 2.0]), flux_content=np.array([0.0, 5.0]))
    E = np.linspace(1.0, 2.0, n, endpoint=False)
    assert weights_flat_flux(E, (1.0, 2.0), sigma, flat).sum() == pytest.approx(sigma, rel=1e-6, abs=0)
    # half of that flux outside the sample's range: half the cross section
    wide = dataclasses.replace(flat, flux_content=np.array([5.0, 5.0]))
    assert weights_flat_flux(E, (1.0, 2.0), sigma, wide).sum() == pytest.approx(sigma / 2, rel=1e-6, abs=0)


def test_forward_folding_with_the_smearing_matrix() -> None:
    u = get_measurement(UB)
    k = u.binning.index(np.array([0.6]), np.array([0.9]))[0]
    v = predict_from_events(u, np.array([np.hypot(0.6, 0.1056583755)]), np.array([0.9]), np.array([1e-38]))
    assert np.allclose(v * u.binning.areas(), u.smearing[:, k] * 1e-38, atol=0)
    ident = dataclasses.replace(u, smearing=np.eye(u.n_bins))
    v0 = predict_from_events(ident, np.array([np.hypot(0.6, 0.1056583755)]), np.array([0.9]), np.array([1e-38]))
    assert np.count_nonzero(v0) == 1 and v0[k] * u.binning.areas()[k] == pytest.approx(1e-38, rel=1e-6, abs=0)


def test_target_composition() -> None:
    t = get_measurement(T2K)
    assert parse_composition("C12=12, H1=1") == {"C12": 12.0, "H1": 1.0}
    assert composition_factor(t, {"C12": 12, "H1": 1}, "C12") == pytest.approx(12 / 13)
    assert composition_factor(t, t.composition, "C12") == 1.0
    with pytest.raises(ValueError, match="target-composition"):
        composition_factor(t, t.composition, "Ar40")
    with pytest.raises(ValueError, match="NUCLEUS=NUCLEONS"):
        parse_composition("C12=x")


def _flat_sample(tmp_path: Path) -> Path:
    from tests.conftest import make_toy_events

    from nugan.events import write_parquet

    t = make_toy_events(20_000, seed=3)
    E = np.random.default_rng(0).uniform(0.3, 10.0, len(t))  # flat flux
    t = type(t)(
        E,
        np.minimum(t.E_mu, E),
        t.cos_theta,
        meta=t.meta.replace(source="nuwro", xsec_cm2=3.4e-38, extra={"beam_spectrum": "flat"}),
    )
    path = tmp_path / "flat.parquet"
    write_parquet(t, path)
    return path


def test_predict_cli_end_to_end(tmp_path: Path) -> None:
    events = _flat_sample(tmp_path)
    out = tmp_path / "pred"
    res = CliRunner().invoke(
        app,
        [
            "predict",
            "--measurement",
            T2K,
            "--model",
            "nuwro-C12",
            "--events",
            str(events),
            "--simulator",
            "default",
            "-n",
            "20000",
            "--allow-extrapolation",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "prediction.json").read_text())
    assert doc["measurement"] == T2K
    labels = [r["label"] for r in doc["rows"]]
    assert labels[:2] == ["NEUT 5.3.2 (release)", "GENIE 2.8.0 (release)"] and len(labels) == 5
    assert doc["rows"][0]["chi2"] == pytest.approx(218.7, abs=0.1)
    for r in doc["rows"]:
        assert len(r["values"]) == 71 and r["ndf"] == 71 and np.isfinite(r["chi2_shape"])
    assert doc["rows"][2]["flux_outside_fraction"] == pytest.approx(0.062, abs=0.002)
    for name in ("prediction.md", "slices.png", "index.html"):
        assert (out / name).stat().st_size > 0
    ub = CliRunner().invoke(
        app,
        [
            "predict",
            "--measurement",
            UB,
            "--model",
            "nuwro-C12",
            "--target-composition",
            "C12=1",
            "-n",
            "5000",
            "--allow-extrapolation",
            "--out",
            str(tmp_path / "ub"),
        ],
    )
    assert ub.exit_code == 0, ub.output
    assert len(json.loads((tmp_path / "ub" / "prediction.json").read_text())["rows"]) == 1


def test_predict_cli_refusals(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["predict", "--measurement", "nope", "--model", "nuwro-C12", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown measurement" in r.output
    r = CliRunner().invoke(
        app, ["predict", "--measurement", T2K, "--model", "nuwro-C12", "-n", "1000", "--out", str(tmp_path)]
    )
    assert r.exit_code == 2 and "allow-extrapolation" in r.output and "6.2%" in r.output
    r = CliRunner().invoke(
        app,
        [
            "predict",
            "--measurement",
            UB,
            "--model",
            "nuwro-C12",
            "-n",
            "1000",
            "--allow-extrapolation",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 2 and "target-composition" in r.output
    assert CliRunner().invoke(app, ["measurements"]).exit_code == 0
