"""Tune a flow to a published measurement, cross-validated over cos_theta slices (``nugan tune``).

The protocol (:func:`run_tune`):

1. One fixed sample of the base flow through the measurement's flux x sigma(E) (the events and weights of
   :func:`~nugan.workflows.predict.model_row`), binned once, and a sample of base events at flat E_nu over the
   model's range for the KL term (:mod:`nugan.measurements.tuning`).
2. k folds of the cos_theta slices (round robin). For every KL weight lambda of the grid and every fold, a tune on
   the bins of the other slices (chi2 with their sub-covariance); the tuned model then predicts the measurement
   afresh (``model_row``: new events from the tuned flow and its corrected sigma(E), seed ``seed + 1``) and its
   held-out slices are scored with the sub-covariance of those bins; held-out chi2 and ndf are summed over folds.
   The base (same fresh prediction), and the release's stored predictions (NEUT, GENIE) are scored on exactly
   the same held-out bins.
3. The lambda with the lowest held-out chi2 tunes on all bins: the tuned model (``OUT/model``), with its in-sample
   chi2 beside the held-out one.
4. How far it moved: classifier AUC tuned vs base (base vs base for the floor) at flat E_nu over the model's range
   and at fixed energies; distributions at fixed E_nu, the slices with every prediction, s(E).

Outputs in ``OUT``: ``model/`` (a normal flow checkpoint), ``folds/`` (the fold models), ``tune.json``, ``tune.md``,
``slices.png``, ``sigma.png`` and ``fixed_E*_*.png``.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nugan.atomic import atomic_write_text
from nugan.events.table import EventTable
from nugan.generation.api import NuganModel, load_generator
from nugan.measurements import Chi2, Measurement, get_measurement, parse_composition
from nugan.measurements.tuning import (
    DensitySample,
    SigmaCorrection,
    TuneResult,
    TuneSettings,
    TuneTarget,
    WeightedSample,
    density_sample,
    heldout_chi2,
    other_bins,
    slice_folds,
    tune_flow,
    weighted_sample,
)
from nugan.models.checkpoint import FlowBundle, save_model
from nugan.workflows.predict import PredictionRow, flux_folded_sample, model_row, stored_rows

__all__ = [
    "TuneConfig",
    "DEFAULT_LAMBDAS",
    "AUC_ENERGIES",
    "OUTPUTS",
    "check_out_dir",
    "flow_base",
    "tuned_model",
    "run_tune",
    "tune_markdown",
]

#: Default grid of KL weights lambda: the value that the held-out T2K scan of benchmarks/tune_t2k.py chose
#: (docs/measurements.md).
DEFAULT_LAMBDAS: tuple[float, ...] = (10_000.0,)
#: Fixed neutrino energies [GeV] at which the tuned model is compared with its base.
AUC_ENERGIES: tuple[float, ...] = (0.5, 1.0, 3.0)
#: What ``nugan tune`` writes into its output folder (``--force`` replaces exactly these).
OUTPUTS: tuple[str, ...] = ("model", "folds", "tune.json", "tune.md", "slices.png", "sigma.png")
_FIXED_GLOB = "fixed_E*.png"


@dataclass(frozen=True)
class TuneConfig:
    """Everything a tune depends on (``nugan tune``'s options).

    Attributes:
        measurement: measurement ID. base: the base flow (shipped name, run dir, model.json). out: output folder.
        folds: k of the k-fold over cos_theta slices (0: no cross-validation, only the tune on all bins).
        lambdas: KL weights to compare by held-out chi2 (one value: no choice). events: size of the fixed sample.
        kl_events: base events at flat E_nu for the KL term (and as many, independent, to report it).
        steps, batch, kl_batch, lr, lr_sigma: optimisation.
        sigma_degree, sigma_prior, fit_normalisation: the sigma(E) correction (:class:`TuneSettings`).
        seed: seed of the samples and minibatches (the fresh predictions use seed + 1).
        predict_events: events of every fresh prediction. auc_events: events per sample of each AUC.
        composition: target composition (None: the measurement's). allow_extrapolation: as ``nugan predict``.
        device: where the models run. force: replace a previous tune in ``out``.
    """

    measurement: str
    base: str
    out: Path
    folds: int = 4
    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS
    events: int = 300_000
    kl_events: int = 100_000
    steps: int = TuneSettings.steps
    batch: int = TuneSettings.batch
    kl_batch: int = TuneSettings.kl_batch
    lr: float = TuneSettings.lr
    lr_sigma: float = TuneSettings.lr_sigma
    sigma_degree: int = TuneSettings.sigma_degree
    sigma_prior: float = TuneSettings.sigma_prior
    fit_normalisation: bool = TuneSettings.fit_normalisation
    seed: int = 0
    predict_events: int = 1_000_000
    auc_events: int = 100_000
    composition: Mapping[str, float] | None = None
    allow_extrapolation: bool = False
    device: str = "cpu"
    force: bool = False

    def __post_init__(self) -> None:
        if self.folds < 0 or self.folds == 1:
            raise ValueError(f"--folds must be 0 (no cross-validation) or >= 2, got {self.folds}")
        if not self.lambdas:
            raise ValueError("give at least one KL weight (--lambda)")
        if min(self.events, self.kl_events, self.predict_events, self.steps) < 1 or self.auc_events < 20:
            raise ValueError("events, KL events, prediction events and steps must be >= 1, AUC events >= 20")
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        self.settings(self.lambdas[0])  # validates the optimisation settings

    def settings(self, kl_weight: float) -> TuneSettings:
        """Tune settings with KL weight ``kl_weight``."""
        return TuneSettings(
            kl_weight=float(kl_weight),
            steps=self.steps,
            batch=self.batch,
            kl_batch=self.kl_batch,
            lr=self.lr,
            lr_sigma=self.lr_sigma,
            sigma_degree=self.sigma_degree,
            sigma_prior=self.sigma_prior,
            fit_normalisation=self.fit_normalisation,
            seed=self.seed,
        )

    def command(self) -> str:
        """The ``nugan tune`` command line that reproduces this tune."""
        parts = [
            "nugan tune",
            f"--measurement {self.measurement}",
            f"--base {self.base}",
            f"--out {self.out}",
            f"--folds {self.folds}",
            *(f"--lambda {v:g}" for v in self.lambdas),
            f"--events {self.events}",
            f"--steps {self.steps}",
            f"--seed {self.seed}",
        ]
        defaults = TuneConfig(self.measurement, self.base, self.out)
        for name, flag in (
            ("kl_events", "--kl-events"),
            ("batch", "--batch"),
            ("kl_batch", "--kl-batch"),
            ("lr", "--lr"),
            ("sigma_degree", "--sigma-degree"),
            ("sigma_prior", "--sigma-prior"),
            ("predict_events", "--predict-events"),
            ("auc_events", "--auc-events"),
        ):
            if getattr(self, name) != getattr(defaults, name):
                parts.append(f"{flag} {getattr(self, name):g}")
        if self.fit_normalisation:
            parts.append("--fit-normalisation")
        if self.composition is not None:
            parts.append("--target-composition " + ",".join(f"{k}={v:g}" for k, v in self.composition.items()))
        if self.allow_extrapolation:
            parts.append("--allow-extrapolation")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        d["lambdas"] = list(self.lambdas)
        d["composition"] = None if self.composition is None else dict(self.composition)
        return d


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse (ValueError) an output folder that holds a tune unless ``force``; with it, remove that tune's
    outputs (:data:`OUTPUTS` and the fixed-energy plots), nothing else."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; --out must be a folder")
    present = [n for n in OUTPUTS if (out / n).exists()] + sorted(p.name for p in out.glob(_FIXED_GLOB))
    if present and not force:
        raise ValueError(
            f"{out} already holds a tune ({', '.join(present[:4])}); pass --force to replace it, "
            "or choose another --out"
        )
    for name in present:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


def flow_base(spec: str, device: str = "cpu") -> NuganModel:
    """Load the base model; a GAN is refused (ValueError) with the reason."""
    model = load_generator(spec, device=device)
    if model.arch != "flow":
        raise ValueError(
            f"{spec} is a GAN: tuning reweights a fixed sample by the density ratio q_tuned / p_base "
            "of each event, and a GAN has no density; tune a flow (e.g. nuwro-C12-flow, or train one "
            "with --arch flow)"
        )
    if model.xsec is None:
        raise ValueError(
            f"{spec} has no cross section sigma(E) to fold the flux with (attach one with nugan xsec / attach_xsec)"
        )
    return model


def _parent(base: NuganModel, spec: str) -> dict[str, Any]:
    return {
        "run": base.name or spec,
        "role": base.info.get("role"),
        "domain": base.domain,
        "data_fingerprint": base.info.get("data_fingerprint"),
        "weights_sha256": base.info.get("weights_sha256"),
    }


def tuned_model(
    base: NuganModel, base_spec: str, result: TuneResult, m: Measurement, record: Mapping[str, Any], command: str
) -> NuganModel:
    """The tuned flow as a model in memory: the base's transform and description, the tuned weights, sigma(E)
    times the tune's s(E), the domain's interaction model marked as tuned, ``info["tune"] = record``."""
    if not isinstance(base.bundle, FlowBundle):
        raise ValueError("only a flow can carry a tune")
    b = base.bundle
    xs = base.xsec
    if xs is None:
        raise ValueError(f"{base_spec} has no cross section sigma(E)")
    info = {k: v for k, v in base.info.items() if k not in ("path", "weights_sha256", "shipped_name")}
    if result.sigma:
        info["xsec"] = SigmaCorrection(result.sigma, *b.energy_range).apply(xs).to_dict()
    domain = dict(base.domain)
    domain["interaction_model"] = f"{domain.get('interaction_model', '?')} tuned to {m.id}"
    info.update(
        role="tune",
        domain=domain,
        parent=_parent(base, base_spec),
        tune=dict(record),
        reproduce=command,
        frozen=result.frozen,
    )
    return NuganModel(FlowBundle(result.flow, b.config, b.transform, info), base.device)


def _score(row_chi2: Chi2) -> dict[str, Any]:
    return {"chi2": row_chi2.chi2, "ndf": row_chi2.ndf}


def _row_summary(row: PredictionRow, held: Chi2, per_fold: Sequence[Chi2]) -> dict[str, Any]:
    return {
        "heldout_chi2": held.chi2,
        "heldout_ndf": held.ndf,
        "chi2": row.chi2,
        "ndf": row.ndf,
        "chi2_shape": row.chi2_shape,
        "ndf_shape": row.ndf_shape,
        "norm_shape": row.norm_shape,
        "heldout_per_fold": [_score(c) for c in per_fold],
        "label": row.label,
    }


def _stored_key(label: str) -> str:
    """'NEUT 5.3.2 (release)' -> 'neut'."""
    return label.split()[0].lower()


@dataclass
class _Progress:
    """A rich progress bar over every optimisation step of the run (or nothing)."""

    total: int
    enabled: bool
    bar: Any = None
    task: Any = None
    label: str = ""
    done: int = 0
    log: Callable[[str], None] = print
    _t: list[float] = field(default_factory=list)

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
            )
            self.task = self.bar.add_task("tuning", total=self.total, status="")
            self.bar.start()
            self.log = self.bar.console.print
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def step(self, rec: Mapping[str, float]) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(
                self.task,
                completed=self.done,
                description=self.label,
                status=f"chi2 {rec['chi2']:.1f}  KL {rec['kl']:.4f}  ESS {rec['ess']:.3f}",
            )


def _tune_once(
    base: NuganModel,
    sample: WeightedSample,
    kl: tuple[DensitySample, DensitySample],
    m: Measurement,
    bins: np.ndarray,
    factor: float,
    settings: TuneSettings,
    progress: _Progress,
) -> TuneResult:
    if not isinstance(base.bundle, FlowBundle):
        raise ValueError("only a flow can be tuned")
    target = TuneTarget.of(m, bins, factor)
    res = tune_flow(base.bundle.flow, sample, target, kl[0], settings, progress.step, kl_test=kl[1])
    progress.done += settings.steps - res.steps_done  # an early stop skips the rest of its steps
    if res.stopped:
        progress.log(f"[yellow]warning:[/] {progress.label}: {res.stopped}")
    return res


def _tune_record(
    res: TuneResult,
    lam: float,
    fitted_slices: Sequence[int],
    heldout_slices: Sequence[int],
    m: Measurement,
    base_spec: str,
) -> dict[str, Any]:
    return {
        "measurement": m.id,
        "base": base_spec,
        "lambda": lam,
        "fitted_slices": list(fitted_slices),
        "heldout_slices": list(heldout_slices),
        "bins_fitted": res.ndf,
        "chi2_importance_weighted": res.chi2,
        "chi2_start": res.chi2_start,
        "kl_nats": res.kl,
        "ess_fraction": res.ess_fraction,
        "sigma_coefficients": list(res.sigma),
        "steps_done": res.steps_done,
        "stopped": res.stopped,
        "seconds": res.seconds,
    }


def closeness(
    base: NuganModel, tuned: NuganModel, n: int, seed: int, energies: Sequence[float] = AUC_ENERGIES
) -> tuple[dict[str, dict[str, float]], dict[float, tuple[EventTable, EventTable]]]:
    """Classifier AUC tuned vs base (and base vs base, the floor) at flat E_nu over the base's range and at each
    fixed energy; also returns the fixed-energy samples (base, tuned) for plots."""
    from nugan.metrics.classifier import classifier_auc

    lo, hi = base.energy_range
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(17,))))
    out: dict[str, dict[str, float]] = {}
    samples: dict[float, tuple[EventTable, EventTable]] = {}
    cases: list[tuple[str, float | None]] = [(f"flat {lo:g}-{hi:g} GeV", None)]
    cases += [(f"{e:g} GeV", float(e)) for e in energies]
    for k, (label, energy) in enumerate(cases):
        E = [rng.uniform(lo, hi, n) if energy is None else np.full(n, energy) for _ in range(3)]
        s = seed + 100 * (k + 1)
        ref, other, tun = base.sample(E[0], seed=s), base.sample(E[1], seed=s + 1), tuned.sample(E[2], seed=s + 2)
        auc = classifier_auc(tun, ref, seed=seed, comparison="tuned vs base")
        floor = classifier_auc(other, ref, seed=seed, comparison="base vs base")
        out[label] = {
            "auc": auc.auc,
            "auc_se": auc.auc_se,
            "floor": floor.auc,
            "floor_se": floor.auc_se,
            "n": n,
            "energy": math.nan if energy is None else energy,
        }
        if energy is not None:
            samples[energy] = (ref, tun)
    return out, samples


def run_tune(cfg: TuneConfig, progress: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the protocol of the module docstring; returns the ``tune.json`` document (also written to ``cfg.out``).

    Raises:
        ValueError: a GAN base, an output folder holding a tune (without ``force``), a flux outside the model's
            range (without ``allow_extrapolation``), a target mismatch, bad settings.
    """
    t_start = time.perf_counter()
    out = Path(cfg.out)
    check_out_dir(out, cfg.force)
    m = get_measurement(cfg.measurement)
    base = flow_base(cfg.base, cfg.device)
    assert isinstance(base.bundle, FlowBundle)
    comp = dict(cfg.composition) if cfg.composition is not None else dict(m.composition)
    command = cfg.command()
    t0 = time.perf_counter()
    drawn = flux_folded_sample(m, base, comp, cfg.events, cfg.seed, cfg.allow_extrapolation, "base")
    b = base.bundle
    sample = weighted_sample(
        b.flow,
        b.transform,
        m.binning,
        drawn.events.E_nu,
        drawn.events.E_mu,
        drawn.events.cos_theta,
        drawn.weights,
        max(cfg.sigma_degree, 0),
    )
    lo, hi = base.energy_range
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(cfg.seed, spawn_key=(13,))))
    kev = base.sample(rng.uniform(lo, hi, cfg.kl_events), seed=cfg.seed + 7)
    kl = density_sample(b.flow, b.transform, kev.E_nu, kev.E_mu, kev.cos_theta)
    kev = base.sample(rng.uniform(lo, hi, cfg.kl_events), seed=cfg.seed + 8)  # independent: the reported KL
    kl_test = density_sample(b.flow, b.transform, kev.E_nu, kev.E_mu, kev.cos_theta)
    t_prep = time.perf_counter() - t0
    log(
        f"{m.id}: {m.n_bins} bins in {m.binning.n_slices} slices; base {cfg.base}; fixed sample of {len(sample):,} "
        f"events ({sample.n_outside:,} outside every bin), {len(kl):,} flat-E_nu events for the KL term and as many "
        "to report it "
        f"({t_prep:.1f} s)"
    )
    if drawn.flux_outside_fraction:
        log(
            f"note: {drawn.flux_outside_fraction:.2%} of the flux above the CC threshold lies outside the model's "
            "range and contributes nothing (the tune cannot represent it)"
        )

    pred_seed = cfg.seed + 1
    t0 = time.perf_counter()
    base_row = model_row(m, base, comp, cfg.predict_events, pred_seed, cfg.allow_extrapolation, f"base {cfg.base}")
    stored = stored_rows(m)
    t_pred = [time.perf_counter() - t0]
    folds = slice_folds(m.binning.n_slices, cfg.folds) if cfg.folds else ()
    all_slices = list(range(m.binning.n_slices))
    n_tunes = len(cfg.lambdas) * len(folds) + 1
    scan: list[dict[str, Any]] = []
    fold_preds: dict[float, list[np.ndarray]] = {}
    tune_seconds: list[float] = []
    with _Progress(n_tunes * cfg.steps, progress, log=log) as bar:
        for lam in cfg.lambdas:
            preds, details = [], []
            for j, held in enumerate(folds):
                fitted = [s for s in all_slices if s not in held]
                bar.label = f"lambda {lam:g}, fold {j + 1}/{len(folds)}"
                res = _tune_once(
                    base, sample, (kl, kl_test), m, other_bins(m.binning, held), drawn.factor, cfg.settings(lam), bar
                )
                tune_seconds.append(res.seconds)
                rec = _tune_record(res, lam, fitted, held, m, cfg.base)
                model = tuned_model(base, cfg.base, res, m, rec, command)
                save_model(model.bundle, out / "folds" / f"lambda{lam:g}" / f"fold{j}")
                t0 = time.perf_counter()
                row = model_row(
                    m, model, comp, cfg.predict_events, pred_seed, cfg.allow_extrapolation, f"tuned fold {j}"
                )
                t_pred.append(time.perf_counter() - t0)
                preds.append(np.asarray(row.values))
                details.append({**rec, "fresh_chi2_all_bins": row.chi2})
            if folds:
                held_sum, per = heldout_chi2(m.data, m.covariance, m.binning, folds, preds)
                for d, c in zip(details, per, strict=True):
                    d["heldout"] = _score(c)
                scan.append(
                    {"lambda": lam, "heldout_chi2": held_sum.chi2, "heldout_ndf": held_sum.ndf, "folds": details}
                )
                fold_preds[lam] = preds
                bar.log(f"lambda {lam:g}: held-out chi2 {held_sum.chi2:.1f} / {held_sum.ndf} over {len(folds)} folds")
        lam_best = min(scan, key=lambda r: r["heldout_chi2"])["lambda"] if scan else cfg.lambdas[0]
        bar.label = f"lambda {lam_best:g}, all bins"
        res = _tune_once(base, sample, (kl, kl_test), m, np.arange(m.n_bins), drawn.factor, cfg.settings(lam_best), bar)
        tune_seconds.append(res.seconds)
    rec = _tune_record(res, lam_best, all_slices, [], m, cfg.base)
    tuned = tuned_model(base, cfg.base, res, m, rec, command)
    t0 = time.perf_counter()
    tuned_row = model_row(
        m, tuned, comp, cfg.predict_events, pred_seed, cfg.allow_extrapolation, f"tuned (lambda {lam_best:g})"
    )
    t_pred.append(time.perf_counter() - t0)
    rec["fresh_chi2_all_bins"] = tuned_row.chi2
    tuned.bundle.info["tune"] = rec
    model_json = save_model(tuned.bundle, out / "model")

    doc: dict[str, Any] = {
        "measurement": m.id,
        "title": m.title,
        "base_model": cfg.base,
        "command": command,
        "config": cfg.to_dict(),
        "target_composition": comp,
        "flux_outside_fraction": drawn.flux_outside_fraction,
        "n_bins": m.n_bins,
        "n_slices": m.binning.n_slices,
        "fold_scheme": "round robin over cos_theta slices",
        "folds": [list(f) for f in folds],
        "lambda": lam_best,
        "lambda_scan": scan,
        "prediction_seed": pred_seed,
        "n_events_sample": len(sample),
        "n_events_outside_bins": sample.n_outside,
    }
    if folds:
        held_t, per_t = heldout_chi2(m.data, m.covariance, m.binning, folds, fold_preds[lam_best])
        doc["tuned"] = _row_summary(tuned_row, held_t, per_t)
        held_b, per_b = heldout_chi2(m.data, m.covariance, m.binning, folds, [np.asarray(base_row.values)] * len(folds))
        doc["base"] = _row_summary(base_row, held_b, per_b)
        for r in stored:
            h, p = heldout_chi2(m.data, m.covariance, m.binning, folds, [np.asarray(r.values)] * len(folds))
            doc[_stored_key(r.label)] = _row_summary(r, h, p)
    else:
        doc["tuned"] = {
            "chi2": tuned_row.chi2,
            "ndf": tuned_row.ndf,
            "chi2_shape": tuned_row.chi2_shape,
            "ndf_shape": tuned_row.ndf_shape,
            "norm_shape": tuned_row.norm_shape,
        }
        doc["base"] = {
            "chi2": base_row.chi2,
            "ndf": base_row.ndf,
            "chi2_shape": base_row.chi2_shape,
            "ndf_shape": base_row.ndf_shape,
            "norm_shape": base_row.norm_shape,
        }
        for r in stored:
            doc[_stored_key(r.label)] = {
                "chi2": r.chi2,
                "ndf": r.ndf,
                "chi2_shape": r.chi2_shape,
                "ndf_shape": r.ndf_shape,
                "norm_shape": r.norm_shape,
            }
    doc["tuned"].update(
        chi2_importance_weighted=res.chi2,
        kl_nats=res.kl,
        ess_fraction=res.ess_fraction,
        steps_done=res.steps_done,
        stopped=res.stopped,
        sigma=_sigma_summary(res, base, m),
    )
    doc["stored_labels"] = {_stored_key(r.label): r.label for r in stored}

    log("comparing the tuned model with its base (classifier AUC, fixed-energy distributions)")
    t0 = time.perf_counter()
    doc["auc"], fixed = closeness(base, tuned, cfg.auc_events, cfg.seed)
    t_auc = time.perf_counter() - t0
    plots = _write_plots(out, m, base_row, tuned_row, stored, folds, fold_preds.get(lam_best), fixed, res, base)
    doc["plots"] = plots
    doc["model"] = str(model_json.parent)
    doc["seconds"] = {
        "total": time.perf_counter() - t_start,
        "prepare": t_prep,
        "tunes": tune_seconds,
        "tune_mean": float(np.mean(tune_seconds)),
        "predictions": float(np.sum(t_pred)),
        "auc": t_auc,
    }
    atomic_write_text(out / "tune.json", json.dumps(doc, indent=1, default=_json_default) + "\n")
    atomic_write_text(out / "tune.md", tune_markdown(doc))
    return doc


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _sigma_summary(res: TuneResult, base: NuganModel, m: Measurement) -> dict[str, Any]:
    if not res.sigma:
        return {"coefficients": [], "note": "sigma(E) fixed"}
    sc = SigmaCorrection(res.sigma, *base.energy_range)
    energies = (0.3, 0.5, 1.0, 2.0, 3.0, 10.0)
    return {**sc.to_dict(), "factor_at": {f"{e:g}": float(sc.factor(e)[0]) for e in energies}}


def _write_plots(
    out: Path,
    m: Measurement,
    base_row: PredictionRow,
    tuned_row: PredictionRow,
    stored: Sequence[PredictionRow],
    folds: Sequence[Sequence[int]],
    fold_preds: list[np.ndarray] | None,
    fixed: Mapping[float, tuple[EventTable, EventTable]],
    res: TuneResult,
    base: NuganModel,
) -> list[str]:
    from nugan.reports.measurements import plot_sigma_correction, plot_slices
    from nugan.reports.plots import plot_1d_comparison, save_figure

    rows: list[dict[str, Any]] = [
        {"label": tuned_row.label, "values": tuned_row.values},
        {"label": base_row.label, "values": base_row.values},
    ]
    if folds and fold_preds is not None:
        held = np.zeros(m.n_bins)
        for f, p in zip(folds, fold_preds, strict=True):
            for s in f:
                sl = m.binning.slice_of(s)
                held[sl] = p[sl]
        rows.insert(1, {"label": "tuned without the slice (held out)", "values": held})
    rows += [{"label": r.label, "values": r.values, "stored": True} for r in stored]
    written = [save_figure(plot_slices(m, rows), out / "slices.png").name]
    if res.sigma:
        sc = SigmaCorrection(res.sigma, *base.energy_range)
        written.append(save_figure(plot_sigma_correction(sc, m), out / "sigma.png").name)
    for energy, (ref, tun) in fixed.items():
        for obs in ("E_mu", "cos_theta"):
            fig = plot_1d_comparison(ref, {"tuned": tun}, obs, E_nu=energy, reference_label="base")
            written.append(save_figure(fig, out / f"fixed_E{energy:g}_{obs}.png").name)
    return written


def _cells(d: Mapping[str, Any], held: bool) -> str:
    h = f"{d['heldout_chi2']:.1f} / {d['heldout_ndf']} | " if held else ""
    return f"{h}{d['chi2']:.1f} / {d['ndf']} | {d['chi2_shape']:.1f} / {d['ndf_shape']}"


def tune_markdown(doc: Mapping[str, Any]) -> str:
    """The tune's tables: chi2 of tuned / base / stored predictions, the lambda scan, AUCs, sigma(E)."""
    held = bool(doc["folds"])
    k = len(doc["folds"])
    lines = [
        f"Tune of `{doc['base_model']}` to `{doc['measurement']}` (lambda {doc['lambda']:g})",
        "",
        f"`{doc['command']}`",
        "",
    ]
    head = "| prediction | " + (f"held-out chi2 / ndf ({k} folds) | " if held else "")
    lines += [
        head + "chi2 / ndf (all bins) | shape-only chi2 / ndf |",
        "|---|" + ("---:|" if held else "") + "---:|---:|",
    ]
    labels = {"tuned": "tuned", "base": f"base {doc['base_model']}", **doc.get("stored_labels", {})}
    for key, label in labels.items():
        if key in doc:
            lines.append(f"| {label} | {_cells(doc[key], held)} |")
    if held:
        keys = [key for key in labels if key in doc]
        lines += [
            "",
            "| fold (held-out cos_theta slices) | " + " | ".join(labels[key] for key in keys) + " |",
            "|---|" + "---:|" * len(keys),
        ]
        for j, slices in enumerate(doc["folds"]):
            cells = [
                f"{doc[key]['heldout_per_fold'][j]['chi2']:.1f} / {doc[key]['heldout_per_fold'][j]['ndf']}"
                for key in keys
            ]
            lines.append(f"| {j} ({', '.join(map(str, slices))}) | " + " | ".join(cells) + " |")
    t = doc["tuned"]
    lines += [
        "",
        f"Tuned: importance-weighted chi2 on the tuning sample {t['chi2_importance_weighted']:.1f}, "
        f"KL(base || tuned) {t['kl_nats']:.4f} nats, effective sample fraction {t['ess_fraction']:.3f}, "
        f"{t['steps_done']} steps" + (f" (stopped: {t['stopped']})" if t.get("stopped") else "") + ".",
    ]
    sig = t.get("sigma", {})
    if sig.get("factor_at"):
        lines.append(
            "sigma(E) factor s(E): " + ", ".join(f"{e} GeV {v:.3f}" for e, v in sig["factor_at"].items()) + "."
        )
    if doc["lambda_scan"]:
        lines += [
            "",
            "| lambda | tuned held-out chi2 / ndf | fold tunes: mean KL(base \\|\\| tuned) [nats] | mean ESS "
            "fraction |",
            "|---:|---:|---:|---:|",
        ]
        for r in doc["lambda_scan"]:
            kl = np.mean([f["kl_nats"] for f in r["folds"]])
            ess = np.mean([f["ess_fraction"] for f in r["folds"]])
            lines.append(f"| {r['lambda']:g} | {r['heldout_chi2']:.1f} / {r['heldout_ndf']} | {kl:.4f} | {ess:.3f} |")
    if doc.get("auc"):
        lines += ["", "| tuned vs base | classifier AUC | floor (base vs base) |", "|---|---:|---:|"]
        lines += [
            f"| {name} | {a['auc']:.4f} +- {a['auc_se']:.4f} | {a['floor']:.4f} +- {a['floor_se']:.4f} |"
            for name, a in doc["auc"].items()
        ]
    return "\n".join(lines) + "\n"


def parse_lambdas(values: Sequence[str] | None) -> tuple[float, ...]:
    """--lambda values (repeatable, each may be a comma list) -> floats."""
    out: list[float] = []
    for v in values or ():
        for part in str(v).split(","):
            if part.strip():
                try:
                    out.append(float(part))
                except ValueError:
                    raise ValueError(f"--lambda {v!r}: not a number") from None
    return tuple(out) or DEFAULT_LAMBDAS


def config_from_options(
    measurement: str, base: str, out: Path, lambdas: Sequence[str] | None, target_composition: str | None, **kw: Any
) -> TuneConfig:
    """A :class:`TuneConfig` from command-line values."""
    comp = parse_composition(target_composition) if target_composition else None
    return TuneConfig(measurement, base, Path(out), lambdas=parse_lambdas(lambdas), composition=comp, **kw)


def summary_lines(doc: Mapping[str, Any]) -> list[str]:
    """Short text summary for the console."""
    held = bool(doc["folds"])
    out = []
    labels = {"tuned": "tuned", "base": "base", **doc.get("stored_labels", {})}
    for key, label in labels.items():
        if key in doc:
            d = doc[key]
            h = f"held-out {d['heldout_chi2']:.1f}/{d['heldout_ndf']}, " if held else ""
            out.append(f"{label}: {h}all bins {d['chi2']:.1f}/{d['ndf']}")
    return out
