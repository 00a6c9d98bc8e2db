"""Workflows: domains, evaluation/compare/report commands, the study grid and its resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nugan.cli import app
from nugan.events import write_parquet
from nugan.models import GANConfig
from nugan.training import RunConfig, TrainConfig, pretrain
from nugan.workflows.domains import Domain
from nugan.workflows.study import METRICS, StudyConfig, aggregate, plot_study, run_study, study_markdown

SMALL = GANConfig(latent_dim=8, gen_width=16, gen_blocks=2, disc_width=16, disc_blocks=2, disc_muon_blocks=1)
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny base model pre-trained for a few steps on simulated nu_mu-C12."""
    from nugan.physics import simulate

    out = tmp_path_factory.mktemp("base")
    data = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=3000, seed=1)
    run = RunConfig(SMALL, TrainConfig(steps=20, batch_size=128, val_every=10, val_fraction=0.2, seed=1, threads=1))
    pretrain(data, run, out, progress=False)
    return out


def test_domain_parse() -> None:
    assert Domain.parse("numu-Ar40") == Domain("numu", "Ar40", "default")
    d = Domain.parse("numubar-C12:high-ma-nomec")
    assert d.model == "high-ma-nomec" and d.label == "numubar-C12:high-ma-nomec"
    with pytest.raises(ValueError, match="PROBE-TARGET"):
        Domain.parse("Ar40")
    with pytest.raises(ValueError, match="unknown target"):
        Domain.parse("numu-Xe131")


def test_aggregate_mean_and_spread() -> None:
    rows = [
        {
            "domain": "d",
            "method": "TL",
            "size": 10,
            "seed": s,
            "map3d": v,
            "map3d_no_tails": v,
            "mean_map": v,
            "emd": None,
            "auc": None,
        }
        for s, v in ((0, 1.0), (1, 3.0))
    ]
    [a] = aggregate(rows)
    assert a["mean_map"] == 2.0 and a["mean_map_std"] == pytest.approx(2**0.5) and a["emd"] is None
    assert "2.000 ± 1.414" in study_markdown([a], StudyConfig(seeds=(0, 1)))


def test_evaluate_compare_report_cli(tmp_path: Path, tiny_base: Path) -> None:
    from nugan.physics import simulate

    ref = tmp_path / "ref.parquet"
    write_parquet(simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=4000, seed=5), ref)
    r = runner.invoke(
        app, ["evaluate", "--model", str(tiny_base), "--reference", str(ref), "--no-auc", "--out", str(tmp_path / "ev")]
    )
    assert r.exit_code == 0, r.output
    assert "simulated with the built-in simulator" in r.output
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert m["map"]["map3d"] > 0 and m["floor"] is not None
    r = runner.invoke(
        app,
        [
            "compare",
            str(tiny_base),
            str(tiny_base),
            "--reference",
            str(ref),
            "--no-auc",
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "MC vs MC floor" in (tmp_path / "cmp" / "metrics.md").read_text()
    r = runner.invoke(
        app,
        [
            "report",
            "--model",
            str(tiny_base),
            "--reference",
            str(ref),
            "--no-auc",
            "--energies",
            "1.0",
            "--out",
            str(tmp_path / "rep"),
        ],
    )
    assert r.exit_code == 0, r.output
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "<img" in html


def test_evaluate_rejects_bad_input(tmp_path: Path, tiny_base: Path) -> None:
    from nugan.physics import simulate

    ar = tmp_path / "ar.parquet"
    write_parquet(simulate("numu", "Ar40", "default", energy=(0.3, 10.0), n_events=2000, seed=5), ar)
    r = runner.invoke(app, ["evaluate", "--model", str(tiny_base), "--reference", str(ar), "--no-auc"])
    assert r.exit_code != 0 and "--cross-domain" in r.output
    r = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            str(tiny_base),
            "--reference",
            str(ar),
            "--no-auc",
            "--cross-domain",
            "--energies",
            "20",
        ],
    )
    assert r.exit_code != 0 and "outside" in r.output
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    r = runner.invoke(app, ["evaluate", "--model", str(tiny_base), "--reference", str(empty)])
    assert r.exit_code != 0 and "empty" in r.output


@pytest.mark.slow
def test_study_runs_and_resumes(tmp_path: Path, tiny_base: Path) -> None:
    cfg = StudyConfig(
        domains=("numu-Ar40",),
        sizes=(1500,),
        seeds=(0, 1),
        n_test=3000,
        n_fixed=1000,
        train=TrainConfig(steps=20, batch_size=128, val_every=10, val_fraction=0.2, threads=1),
        auc=False,
    )
    rows = run_study(tiny_base, cfg, tmp_path, log=lambda m: None)
    methods = [r["method"] for r in rows]
    assert methods.count("TL") == 2 and methods.count("scratch") == 2
    assert {"MC vs MC floor", "zero-shot", "domain distance"} <= set(methods)
    assert (tmp_path / "study.md").exists() and (tmp_path / "map_vs_size.png").exists()
    assert (tmp_path / "learning_curves_numu-Ar40_n1500.png").stat().st_size > 0
    for r in rows:  # every row carries every metric key (None where not computed) and the family
        assert set(METRICS) <= set(r) and r["family"] == "gan"
    floor = next(r for r in rows if r["method"] == "MC vs MC floor")
    assert floor["emd_0.5"] is not None and floor["emd_3"] is not None
    for r in rows:
        if r["method"] in ("TL", "scratch"):
            assert r["steps"] >= 1 and r["best_step"] >= 0 and r["seconds"] > 0 and r["emd_0.5"] is not None
    tl = tmp_path / "numu-Ar40" / "n1500" / "tl_f1_s0" / "model.safetensors"
    mtime = tl.stat().st_mtime_ns
    rows2 = run_study(tiny_base, cfg, tmp_path, log=lambda m: None)  # resume: nothing retrained
    assert tl.stat().st_mtime_ns == mtime
    assert [r["mean_map"] for r in rows2] == [r["mean_map"] for r in rows]


def test_study_with_a_file_provider(tmp_path: Path, tiny_base: Path) -> None:
    """Samples from files (no second references): floors come from half splits; folders are created."""
    from nugan.physics import simulate
    from nugan.workflows.domains import DomainSamples

    def provider(spec: str, ddir: Path):
        pool = simulate("numu", "Ar40", "default", energy=(0.3, 10.0), n_events=1500, seed=11)
        test = simulate("numu", "Ar40", "default", energy=(0.3, 10.0), n_events=3000, seed=12)
        src = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=3000, seed=13)
        fixed = {1.0: simulate("numu", "Ar40", "default", energy=1.0, n_events=1000, seed=14)}
        fsrc = {1.0: simulate("numu", "C12", "default", energy=1.0, n_events=1000, seed=15)}
        return DomainSamples(spec, pool, test, None, fixed, None), DomainSamples("numu-C12", None, src, None, fsrc)

    cfg = StudyConfig(
        domains=("nuwro-like",),
        sizes=(1500,),
        seeds=(0,),
        n_test=3000,
        n_fixed=1000,
        train=TrainConfig(steps=10, batch_size=128, val_every=10, val_fraction=0.2, threads=1),
        auc=False,
    )
    rows = run_study(tiny_base, cfg, tmp_path, log=lambda m: None, provider=provider)
    assert {r["domain"] for r in rows} == {"nuwro-like"}
    assert next(r for r in rows if r["method"] == "TL")["emd"] is not None


def test_pretraining_length_walks_the_phases(tmp_path: Path, tiny_base: Path) -> None:
    """The base's length sums its phases (summary.json steps_done) through model.json parent.run."""
    from nugan.physics import simulate
    from nugan.training import transfer
    from nugan.training.runs import pretraining_length

    phase2 = tiny_base.parent / f"{tiny_base.name}-phase2"
    data = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=1500, seed=2)
    transfer(
        tiny_base,
        data,
        phase2,
        freeze="none",
        progress=False,
        cfg=TrainConfig(steps=10, batch_size=128, val_every=10, val_fraction=0.2, threads=1),
    )
    assert pretraining_length(phase2) == (30, [phase2.name, tiny_base.name])
    assert pretraining_length(tiny_base) == (20, [tiny_base.name])


def test_converged_scratch_settings() -> None:
    from nugan.training.runs import TRANSFER_DEFAULTS, converged_scratch_settings

    c = converged_scratch_settings(TRANSFER_DEFAULTS, 72_000, "gan", patience=20, validations=200)
    assert c.steps == 72_000 and c.val_every == 360 and c.patience == 20 and c.start_margin == 0.0
    assert c.lr_g == TrainConfig().lr_g and c.batch_size == TRANSFER_DEFAULTS.batch_size
    assert converged_scratch_settings(TRANSFER_DEFAULTS, 500, "flow").val_every == TRANSFER_DEFAULTS.val_every
    with pytest.raises(ValueError, match="scratch must be"):
        StudyConfig(scratch="long")
    # validated at least once an epoch: 10k events, 20% validation, batch 1024 -> 8 steps an epoch -> every 10
    small = converged_scratch_settings(TRANSFER_DEFAULTS, 72_000, "gan", validations=200, n_events=10_000)
    assert small.val_every == 10 and small.patience == 20
    big = converged_scratch_settings(TRANSFER_DEFAULTS, 72_000, "gan", validations=200, n_events=1_000_000)
    assert big.val_every == 360


def test_epoch_capped() -> None:
    from nugan.training.runs import FLOW_TRANSFER_DEFAULTS, epoch_capped

    cfg = FLOW_TRANSFER_DEFAULTS.replace(val_every=100, batch_size=1024, val_fraction=0.2)
    assert epoch_capped(cfg, 100_000).val_every == 79  # 80,000 training events / 1024 = 78.1 -> 79 steps
    assert epoch_capped(cfg, 1_000_000).val_every == 100  # an epoch is longer than val_every: unchanged
    assert epoch_capped(cfg, 1_000).val_every == 10  # never more often than min_every
    assert epoch_capped(cfg, 1_000, min_every=1).val_every == 1


def test_study_scratch_modes(tmp_path: Path, tiny_base: Path) -> None:
    """Converged scratch: its own budget and early stopping; matched: the TL run's steps, labelled so."""
    train = TrainConfig(steps=20, batch_size=128, val_every=10, val_fraction=0.2, threads=1)
    cfg = StudyConfig(
        domains=("numu-Ar40",),
        sizes=(1200,),
        seeds=(0,),
        n_test=2000,
        n_fixed=500,
        train=train,
        auc=False,
        scratch_steps=60,
        scratch_patience=1,
        scratch_validations=6,
    )
    rows = run_study(tiny_base, cfg, tmp_path, log=lambda m: None)
    sc = next(r for r in rows if r["method"] == "scratch")
    info = json.loads((tmp_path / "numu-Ar40" / "n1200" / "scratch_converged_s0" / "model.json").read_text())
    assert info["steps_planned"] == 60 and info["config"]["train"]["patience"] == 1
    assert sc["steps"] <= 60 and sc["stopped_early"] == (sc["steps"] < 60)
    study = json.loads((tmp_path / "study.json").read_text())
    assert study["config"]["scratch_budget"] == 60 and study["config"]["scratch_budget_source"] == "scratch_steps"
    rows = run_study(tiny_base, cfg.__class__(**{**cfg.__dict__, "scratch": "matched"}), tmp_path, log=lambda m: None)
    tl = next(r for r in rows if r["method"] == "TL")
    matched = next(r for r in rows if r["method"] == "scratch (matched budget)")
    assert matched["steps"] == tl["steps"] and "scratch (matched budget)" in (tmp_path / "study.md").read_text()


def test_plot_study_panels(tmp_path: Path) -> None:
    """<MAP>, AUC and EMD at 0.5 GeV against size, with zero-shot and floor lines."""
    from nugan.workflows.study import _size_panels

    rows = [
        {"domain": "d", "method": m, "size": n, "seed": s, "mean_map": 1.0 + s, "auc": 0.6, "emd_0.5": 0.1}
        for m in ("TL", "scratch")
        for n in (1000, 3000)
        for s in (0, 1)
    ]
    rows += [
        {"domain": "d", "method": m, "size": None, "seed": None, "mean_map": 0.9, "auc": 0.5, "emd_0.5": 0.01}
        for m in ("MC vs MC floor", "zero-shot")
    ]
    agg = aggregate(rows)
    assert [m for m, _ in _size_panels(agg)] == ["mean_map", "auc", "emd_0.5"]
    assert plot_study(agg, tmp_path / "size.png").stat().st_size > 0


def test_learning_curves_plot(tmp_path: Path) -> None:
    from nugan.reports import plot_learning_curves, save_figure
    from nugan.reports.plots import learning_curve_metric

    gan = [{"step": s, "seconds": 0.1 * s, "mean_map": 2.0 / (1 + s)} for s in (0, 100, 200)]
    flow = [{"step": s, "seconds": 0.1 * s, "val_nll": -s, "mean_map": 1.0} for s in (100, 200)]
    assert learning_curve_metric([gan]) == "mean_map" and learning_curve_metric([flow]) == "val_nll"
    fig = plot_learning_curves({"TL": [gan, gan[:2]], "scratch": [gan]}, title="t")
    assert save_figure(fig, tmp_path / "lc.png").stat().st_size > 0


def test_study_cli_scratch_option(tmp_path: Path, tiny_base: Path) -> None:
    """`nugan study --scratch matched` labels its scratch rows; an unknown mode is refused before any work."""
    args = [
        "study",
        "--base",
        str(tiny_base),
        "--domains",
        "numu-Ar40",
        "--sizes",
        "1200",
        "--seeds",
        "0",
        "--n-test",
        "2000",
        "--n-fixed",
        "500",
        "--steps",
        "10",
        "--no-auc",
        "--out",
        str(tmp_path),
    ]
    r = runner.invoke(app, [*args, "--scratch", "sometimes"])
    assert r.exit_code != 0 and "scratch must be" in r.output
    r = runner.invoke(app, [*args, "--scratch", "matched"])
    assert r.exit_code == 0, r.output
    rows = json.loads((tmp_path / "study.json").read_text())["rows"]
    assert any(r["method"] == "scratch (matched budget)" and r["steps"] == 10 for r in rows)


def test_study_with_a_flow_base(tmp_path: Path) -> None:
    """A flow base: flow TL and converged scratch, rows with family 'flow', test NLL and validation NLL noise."""
    from nugan.models.flow import FlowConfig
    from nugan.physics import simulate

    data = simulate("numu", "C12", "default", energy=(0.3, 10.0), n_events=2000, seed=1)
    run = RunConfig(
        train=TrainConfig(steps=20, batch_size=128, val_every=10, val_fraction=0.2, seed=1, threads=1),
        arch="flow",
        flow=FlowConfig(transforms=2, hidden=16, bins=6),
    )
    pretrain(data, run, tmp_path / "base", progress=False)
    train = TrainConfig(steps=10, batch_size=128, val_every=5, val_fraction=0.2, threads=1, start_margin=2.0)
    cfg = StudyConfig(
        domains=("numu-Ar40",),
        sizes=(1200,),
        seeds=(0,),
        n_test=2000,
        n_fixed=500,
        train=train,
        auc=False,
        scratch_patience=2,
    )
    rows = run_study(tmp_path / "base", cfg, tmp_path / "study", log=lambda m: None)
    assert {r["family"] for r in rows} == {"flow"}
    for method in ("TL", "scratch"):
        r = next(r for r in rows if r["method"] == method)
        assert r["nll"] is not None and r["val_best"] is not None and r["val_noise"] is not None
        assert r["steps"] <= (10 if method == "TL" else 20)
    assert next(r for r in rows if r["method"] == "MC vs MC floor")["nll"] is None
    assert (tmp_path / "study" / "learning_curves_numu-Ar40_n1200.png").exists()
