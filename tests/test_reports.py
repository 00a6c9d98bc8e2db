"""Tests of nugan.reports: plots return figures, the HTML report writes every file it references."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from nugan.events import EventTable, SampleMeta
from nugan.metrics import comparison_table, evaluate_tables
from nugan.reports import (
    observable_binning,
    plot_1d_comparison,
    plot_disc_scores,
    plot_metrics_table,
    plot_training_curves,
    write_report,
)

META = SampleMeta(energy_range=(0.3, 10.0), source="toy")


def toy_fixed(n: int, E: float, seed: int, y_scale: float = 1.0) -> EventTable:
    """Toy events at fixed E_nu [GeV]: y ~ Beta(2, 2), cos ~ 2 Beta(5, 2) - 1."""
    rng = np.random.default_rng(seed)
    e = np.full(n, E)
    y = rng.beta(2.0, 2.0, n) * y_scale
    return EventTable(e, np.maximum(y * e, 0.106), 2.0 * rng.beta(5.0, 2.0, n) - 1.0, meta=META)


def sampler(E_nu: np.ndarray, seed: int) -> EventTable:
    """A toy conditional sampler gen_fn(E_nu, seed)."""
    rng = np.random.default_rng(seed)
    n = len(E_nu)
    y = rng.beta(2.0, 2.0, n)
    return EventTable(E_nu, np.maximum(y * E_nu, 0.106), 2.0 * rng.beta(5.0, 2.0, n) - 1.0, meta=META)


def referenced_files(index: Path) -> set[str]:
    text = index.read_text()
    return set(re.findall(r'(?:src|href)="([^"#]+)"', text))


def check_report_dir(index: Path) -> set[str]:
    """Every file the HTML references exists beside it; no temporary file is left behind."""
    assert index.name == "index.html" and index.exists()
    refs = referenced_files(index)
    assert refs, "the report references no file"
    for name in refs:
        assert "/" not in name and not name.startswith("file:"), f"non-relative link {name}"
        assert (index.parent / name).is_file(), f"missing {name}"
    assert not list(index.parent.glob("*.tmp"))
    return refs


def test_observable_binning_resolves_w_peaks():
    ref = toy_fixed(5000, 1.0, 1)
    w = observable_binning("W", ref, 1.0)
    assert w[0] == pytest.approx(0.6)
    assert np.diff(w) == pytest.approx(np.full(len(w) - 1, 0.02))
    assert w[-1] >= 1.2
    e = observable_binning("E_mu", ref, 1.0)
    assert e[0] == 0.0 and e[-1] == 1.0
    assert observable_binning("cos_theta", ref, 1.0)[[0, -1]].tolist() == [-1.0, 1.0]


def test_plot_functions_return_figures_and_tolerate_gaps():
    ref = toy_fixed(3000, 1.0, 1)
    fig = plot_1d_comparison(ref, {"a": toy_fixed(6000, 1.0, 2)}, "Q2", E_nu=1.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert isinstance(plot_1d_comparison(ref, {}, "cos_theta", bins=10), Figure)
    hist = [
        {"step": 0, "loss_g": 1.0},
        {"step": 10, "loss_d": 0.7, "mean_map": 2.0},
        {"step": 20, "mean_map": None},
        {"loss_g": "nan"},
    ]
    fig = plot_training_curves({"run A": hist, "empty": []}, floor=0.8)
    assert isinstance(fig, Figure)
    empty = plot_training_curves([])
    assert any(t.get_text() == "no data" for ax in empty.axes for t in ax.texts)
    scores = {0.5: np.random.default_rng(0).uniform(0, 1, 500), 3.0: np.array([0.5, np.nan, 0.4])}
    assert isinstance(plot_disc_scores(scores), Figure)


def test_write_report_synthetic(tmp_path):
    refs = {1.0: toy_fixed(3000, 1.0, 1), 3.0: toy_fixed(3000, 3.0, 2)}
    given = {1.0: toy_fixed(3000, 1.0, 3, y_scale=0.9)}  # lacks 3 GeV: noted, not an error
    rep = evaluate_tables(
        toy_fixed(3000, 1.0, 4), refs[1.0], given, {1.0: refs[1.0]}, name="given", energy_range=(0.5, 2.0), auc_cap=2000
    )
    hist = [{"step": s, "loss_g": 1.0 / (1 + s), "loss_d": 0.69, "mean_map": 3.0 - s / 100} for s in range(0, 100, 10)]
    (tmp_path / "keep.txt").write_text("not the report's")
    index = write_report(
        tmp_path,
        refs,
        models={"sampler": sampler, "given": given},
        metrics=[rep],
        histories={"run": hist},
        disc_scores={"sampler": {1.0: np.full(100, 0.5)}},
        title="synthetic <test>",
        notes="a note",
        observables=("E_mu", "W"),
        seed=3,
        provenance={"command": "pytest"},
    )
    refs_in_html = check_report_dir(index)
    expected = {
        "dist_E1_e-mu.png",
        "dist_E1_w.png",
        "dist_E3_e-mu.png",
        "dist_E3_w.png",
        "map2d_sampler_E1.png",
        "map2d_sampler_E3.png",
        "map2d_given_E1.png",
        "disc_sampler.png",
        "training.png",
        "metrics_table.png",
    }
    assert expected <= refs_in_html
    assert "map2d_given_E3.png" not in refs_in_html
    html = index.read_text()
    assert "synthetic &lt;test&gt;" in html and "a note" in html
    assert "given: no generated sample at E_nu = 3 GeV" in html
    assert "MC vs MC floor" in html and "Provenance" in html and "pytest" in html
    data = json.loads((tmp_path / "metrics.json").read_text())
    assert data["reports"][0]["name"] == "given" and data["table"]["rows"][-1]["kind"] == "floor"
    assert (tmp_path / "keep.txt").read_text() == "not the report's"

    # a ready comparison table is accepted too, and the report can be rewritten in place
    index2 = write_report(
        tmp_path,
        refs,
        models={"given": given},
        metrics=comparison_table([rep]),
        observables=("cos_theta",),
        maps_2d=False,
    )
    assert "dist_E1_cos-theta.png" in check_report_dir(index2)


def test_write_report_errors(tmp_path):
    with pytest.raises(ValueError, match="nothing to report"):
        write_report(tmp_path, {})
    with pytest.raises(TypeError, match="expected a sampler"):
        write_report(tmp_path, {1.0: toy_fixed(100, 1.0, 1)}, models={"bad": 3})
    assert isinstance(plot_metrics_table(comparison_table([])), Figure)


def test_write_report_nuwro_c12_vs_ar40(nuwro_data_dir, tmp_path):
    from nugan.events import read_parquet

    fe = nuwro_data_dir / "fixed_energy"
    c12 = {0.5: read_parquet(fe / "numu_C12_E0.5.parquet")}
    ar = {0.5: read_parquet(fe / "numu_Ar40_E0.5.parquet")}
    index = write_report(
        tmp_path / "rep",
        c12,
        models={"NuWro Ar40": ar},
        maps_2d=False,
        reference_label="NuWro C12",
        title="C12 vs Ar40",
    )
    names = check_report_dir(index)
    assert {f"dist_E0.5_{o}.png" for o in ("e-mu", "cos-theta", "q2", "omega", "w")} <= names
    assert "30000 events, numu-C12" in index.read_text()
