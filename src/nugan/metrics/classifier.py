"""Classifier two-sample test: ROC AUC of a gradient-boosted classifier separating generated from
reference.

Features: E_nu, E_mu [GeV], cos_theta, Q2 [GeV^2], W [GeV] (``shared/docs/method.md``). Each
sample is subsampled at random to the same size n = min(len(gen), len(ref), cap) (default cap
100,000), so the classes are balanced; the 2n events are split in two stratified halves, a
:class:`sklearn.ensemble.HistGradientBoostingClassifier` is trained on one and the ROC AUC is
measured on the other. AUC = 0.5 means the classifier cannot tell the samples apart; 1.0 means
fully separable. The statistical uncertainty (Hanley-McNeil) is reported; a held-out AUC a little
below 0.5 is noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nugan.events.table import EventTable

__all__ = ["AUC_FEATURES", "AucResult", "feature_matrix", "classifier_auc", "hanley_mcneil_se"]

#: Classifier input features (observable names of :class:`EventTable`).
AUC_FEATURES: tuple[str, ...] = ("E_nu", "E_mu", "cos_theta", "Q2", "W")


@dataclass(frozen=True)
class AucResult:
    """Outcome of :func:`classifier_auc`.

    Attributes:
        auc: held-out ROC AUC (0.5 = indistinguishable).
        auc_se: its statistical standard error (Hanley-McNeil).
        n_train, n_test: events (both classes together) used to train and to test.
        features: classifier inputs.
        seed: seed of subsampling, split and classifier.
        comparison: what was compared ('model vs reference', 'MC vs MC (...)').
    """

    auc: float
    auc_se: float
    n_train: int
    n_test: int
    features: tuple[str, ...] = AUC_FEATURES
    seed: int = 0
    comparison: str = "model vs reference"

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        d = asdict(self)
        d["features"] = list(self.features)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> AucResult:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["features"] = tuple(d.get("features", AUC_FEATURES))
        return cls(**d)


def feature_matrix(table: EventTable, features: Sequence[str] = AUC_FEATURES) -> np.ndarray:
    """(n, len(features)) float64 matrix of the named observables of ``table``."""
    return np.column_stack([np.asarray(table.observable(f), dtype=np.float64) for f in features])


def hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of an ROC AUC estimated from n_pos positive and n_neg negative test
    events."""
    a = float(auc)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def classifier_auc(
    gen: EventTable,
    ref: EventTable,
    seed: int = 0,
    cap: int = 100_000,
    features: Sequence[str] = AUC_FEATURES,
    max_iter: int = 200,
    comparison: str = "model vs reference",
    n_threads: int | None = 1,
    gen_weights: np.ndarray | None = None,
) -> AucResult:
    """Held-out ROC AUC of a gradient-boosted classifier trained to separate ``gen`` from ``ref``.

    Args:
        gen, ref: the two samples.
        gen_weights: per-event weights of ``gen`` (e.g. reweighted MC; None: unweighted). They weight the
            classifier's training (each class normalised to the same total) and the held-out ROC AUC; the
            standard error then uses the weighted half's effective sample size.
        seed: seed of subsampling, train/test split and classifier.
        cap: at most this many events are taken from each sample (speed: ~100k each takes seconds).
        features: observables fed to the classifier.
        max_iter: boosting iterations (early stopping on a 10% validation slice of the
            training half).
        comparison: label stored in the result.
        n_threads: OpenMP threads of the classifier (None: library default). One thread is the
            default because OpenMP spin-waiting on a shared, busy machine can slow a fit 100-fold.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    n = min(len(gen), len(ref), int(cap))
    if n < 20:
        raise ValueError(
            f"classifier AUC needs at least 20 events per sample (got {len(gen)} generated, "
            f"{len(ref)} reference, cap {cap})"
        )
    rng = np.random.default_rng(seed)
    ig = np.sort(rng.choice(len(gen), n, replace=False))
    xg = feature_matrix(gen[ig], features)
    xr = feature_matrix(ref[np.sort(rng.choice(len(ref), n, replace=False))], features)
    if not (np.isfinite(xg).all() and np.isfinite(xr).all()):
        raise ValueError("classifier AUC: non-finite feature values; validate the events first")
    # stratified halves: first half of each class's random permutation trains, the rest tests
    pg, pr = rng.permutation(n), rng.permutation(n)
    h = n // 2
    x_train = np.vstack([xg[pg[:h]], xr[pr[:h]]])
    y_train = np.r_[np.ones(h), np.zeros(h)]
    x_test = np.vstack([xg[pg[h:]], xr[pr[h:]]])
    y_test = np.r_[np.ones(n - h), np.zeros(n - h)]
    w_train = w_test = None
    n_eff = n - h
    if gen_weights is not None:
        wg = np.asarray(gen_weights, dtype=np.float64)
        if wg.shape != (len(gen),) or not (np.isfinite(wg).all() and (wg >= 0).all()) or wg.sum() <= 0:
            raise ValueError("classifier AUC: gen_weights must be one finite, non-negative weight per event")
        wg = wg[ig]
        w_train = np.r_[wg[pg[:h]] * h / wg[pg[:h]].sum(), np.ones(h)]
        wt = wg[pg[h:]]
        w_test = np.r_[wt * (n - h) / wt.sum(), np.ones(n - h)]
        n_eff = max(int(wt.sum() ** 2 / np.sum(wt * wt)), 1)
    clf = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=0.1,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=int(rng.integers(2**31 - 1)),
    )
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        clf.fit(x_train, y_train, sample_weight=w_train)
        score = clf.predict_proba(x_test)[:, 1]
    auc = float(roc_auc_score(y_test, score, sample_weight=w_test))
    return AucResult(
        auc=auc,
        auc_se=hanley_mcneil_se(auc, n_eff, n - h),
        n_train=2 * h,
        n_test=2 * (n - h),
        features=tuple(features),
        seed=int(seed),
        comparison=comparison,
    )
