"""The demo: the paper's study in miniature on the built-in simulator, end to end.

1. Simulate the target domain nu_mu-Ar40 (10,000 training events; independent flat and fixed-energy test
   references, each twice for the MC-vs-MC floor) and a nu_mu-C12 test sample.
2. Load the shipped nu_mu-C12 base model and measure it on carbon.
3. Transfer-learn it to argon (first block frozen); train the same architecture from scratch on the same
   events with the same compute budget ("scratch (matched budget)": kept short so the demo runs in minutes;
   the study's default scratch baseline is trained to convergence, see :mod:`nugan.workflows.study`).
4. Evaluate zero-shot, TL and scratch on argon with floors and the C12-vs-Ar40 domain distance; write the
   HTML report.
Every step caches its outputs in the output folder (atomically), so an interrupted demo resumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nugan.atomic import atomic_write_text
from nugan.training.config import TrainConfig
from nugan.training.runs import (
    TRANSFER_DEFAULTS,
    scratch,
    scratch_run,
    selection_note,
    transfer,
    transfer_defaults,
)
from nugan.training.state import has_state
from nugan.workflows.domains import Domain, domain_samples
from nugan.workflows.evaluation import evaluate_model, floor_for, headline

__all__ = ["DemoConfig", "run_demo", "BASE_MODEL", "SCRATCH_LABEL"]

BASE_MODEL = "numu-C12"
#: The demo's scratch baseline has the transfer run's budget (not trained to convergence): labelled so.
SCRATCH_LABEL = "scratch (matched budget)"


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo (the defaults run in minutes on 2 CPU cores; ``quick`` for tests)."""

    n_train: int = 10_000
    n_test: int = 100_000
    n_fixed: int = 30_000
    train: TrainConfig = TRANSFER_DEFAULTS
    auc: bool = True
    seed: int = 0

    @classmethod
    def quick(cls, arch: str = "gan") -> DemoConfig:
        return cls(
            n_train=3_000,
            n_test=10_000,
            n_fixed=3_000,
            train=transfer_defaults(arch).replace(steps=60, val_every=20, batch_size=256, patience=None),
            auc=False,
        )

    @classmethod
    def for_arch(cls, arch: str) -> DemoConfig:
        """The default demo with the fine-tuning defaults of the base model's family ('gan' or 'flow')."""
        return cls(train=transfer_defaults(arch))


def _finished(d: Path) -> bool:
    return (d / "summary.json").exists() and (d / "model.json").exists()


def run_demo(
    out: str | Path, cfg: DemoConfig = DemoConfig(), base: str = BASE_MODEL, log: Any = print
) -> dict[str, Any]:
    """Run (or resume) the demo in ``out``; returns the summary (also ``out/summary.json``)."""
    import nugan
    from nugan.metrics.evaluate import domain_distance
    from nugan.reports import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target, source = Domain("numu", "Ar40"), Domain("numu", "C12")
    log(f"1/5 simulating nu_mu-Ar40 ({cfg.n_train} training events, references) and nu_mu-C12 references")
    ar = domain_samples(target, cfg.n_train, cfg.n_test, cfg.n_fixed, cfg.seed, cache=out / "samples")
    c12 = domain_samples(source, 0, cfg.n_test, cfg.n_fixed, cfg.seed + 1, cache=out / "samples")

    log(f"2/5 base model '{base}' on its own domain (nu_mu-C12)")
    base_model = nugan.load(base)
    floor_c = floor_for(c12, cfg.seed, auc=cfg.auc)
    rep_base = evaluate_model(base_model, c12, "base on C12", cfg.seed, floor_c, auc=cfg.auc)

    train_cfg = cfg.train.replace(seed=cfg.seed)
    tl_dir, sc_dir = out / "transfer", out / "scratch"
    log(f"3/5 transfer learning to nu_mu-Ar40 (first block frozen) -> {tl_dir}")
    if not _finished(tl_dir):
        transfer(
            base,
            ar.training_pool(),
            tl_dir,
            freeze="first-block",
            cfg=train_cfg,
            resume=has_state(tl_dir),
            force=not has_state(tl_dir),
        )
    log(f"    transfer learning: {selection_note(tl_dir)}")
    log(f"    training from scratch with the same budget (matched, not converged: a quick demo) -> {sc_dir}")
    if not _finished(sc_dir):
        scratch(
            ar.training_pool(),
            scratch_run(base_model.bundle, train_cfg),
            sc_dir,
            match_budget=tl_dir,
            resume=has_state(sc_dir),
            force=not has_state(sc_dir),
        )

    log("4/5 evaluating zero-shot, transfer and scratch on nu_mu-Ar40 against the MC-vs-MC floor")
    floor_a = floor_for(ar, cfg.seed, auc=cfg.auc)
    tl_model, sc_model = nugan.load(str(tl_dir)), nugan.load(str(sc_dir))
    reports = [
        evaluate_model(base_model, ar, "zero-shot (C12 base)", cfg.seed, floor_a, auc=cfg.auc),
        evaluate_model(tl_model, ar, "transfer learning", cfg.seed, floor_a, auc=cfg.auc),
        evaluate_model(sc_model, ar, SCRATCH_LABEL, cfg.seed, floor_a, auc=cfg.auc),
    ]
    dist = domain_distance(c12.test, ar.test, c12.fixed, ar.fixed, seed=cfg.seed, auc=cfg.auc, energy_range=(0.3, 10.0))

    log("5/5 writing the HTML report")
    histories = {name: _history(d) for name, d in (("transfer learning", tl_dir), (SCRATCH_LABEL, sc_dir))}
    scores = {
        name: {e: m.discriminator_score(ar.fixed[e]) for e in ar.fixed}
        for name, m in (("transfer learning", tl_model), (SCRATCH_LABEL, sc_model))
        if m.arch == "gan"
    }
    models = {
        "zero-shot": _sampler(base_model),
        "transfer learning": _sampler(tl_model),
        SCRATCH_LABEL: _sampler(sc_model),
    }
    index = write_report(
        out / "report",
        ar.fixed,
        models=models,
        metrics=[*reports, dist, rep_base],
        histories=histories,
        disc_scores=scores,
        title="nugan demo: nu_mu-C12 base model transferred to nu_mu-Ar40",
        notes=[
            f"Training sample: {cfg.n_train} simulated nu_mu-Ar40 events (flat flux 0.3-10 GeV).",
            f"References: {cfg.n_test} flat events (x2 for the floor) and {cfg.n_fixed} per fixed energy.",
            "The zero-shot row is the C12 base model applied to argon without adaptation; the domain "
            "distance row is C12 MC scored against Ar40 MC.",
            f"Transfer learning, model selection on its validation split: {selection_note(tl_dir)}.",
            "Scratch (matched budget): the same architecture from random initialisation with the transfer "
            "run's steps and batch size, not trained to convergence (kept short for the demo; `nugan study` "
            "trains its scratch baselines to convergence by default).",
        ],
        seed=cfg.seed,
        provenance={"base model": base, "transfer run": "transfer/", "scratch run": "scratch/"},
    )
    summary = {
        "report": str(index),
        "rows": [headline(r) for r in [rep_base, *reports, dist]],
        "floor_ar40": headline(reports[0]),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1, default=float))
    return summary


def _history(run_dir: Path) -> list[dict[str, Any]]:
    p = run_dir / "history.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines() if x.strip()] if p.exists() else []


def _sampler(model: Any):
    return lambda E, s: model.sample(E, seed=s)
