"""chi2 of a prediction against a measurement with its full covariance, and a shape-only chi2 (area-normalised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Chi2", "chi2", "chi2_shape", "compare"]


@dataclass(frozen=True)
class Chi2:
    """chi2 and its degrees of freedom; for the shape-only case also the fitted normalisation.

    Attributes:
        chi2: r^T C^-1 r. ndf: bins (shape-only: bins - 1). norm: factor applied to the prediction (1 if none).
    """

    chi2: float
    ndf: int
    norm: float = 1.0


def _inverse(cov: np.ndarray) -> np.ndarray:
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"covariance must be a square matrix, got shape {c.shape}")
    # scale to O(1) before inverting: covariances in cm^4 are ~1e-80
    s = np.sqrt(np.abs(np.diag(c)))
    s[s == 0] = 1.0
    inv = np.linalg.inv(c / np.outer(s, s))
    return inv / np.outer(s, s)


def chi2(data: np.ndarray, prediction: np.ndarray, cov: np.ndarray) -> Chi2:
    """Full-covariance chi2 = (d - p)^T C^-1 (d - p); data, prediction and sqrt(C) in the same units."""
    d = np.asarray(data, dtype=np.float64)
    p = np.asarray(prediction, dtype=np.float64)
    if d.shape != p.shape or d.ndim != 1 or np.shape(cov) != (len(d), len(d)):
        raise ValueError(f"data {d.shape}, prediction {p.shape} and covariance {np.shape(cov)} do not match")
    r = d - p
    return Chi2(float(r @ _inverse(cov) @ r), len(d))


def chi2_shape(data: np.ndarray, prediction: np.ndarray, cov: np.ndarray, areas: np.ndarray | None = None) -> Chi2:
    """Shape-only chi2: the prediction scaled to the data's integrated cross section, then the full-covariance chi2.

    norm = sum(d a) / sum(p a) with ``areas`` a = dp dcos of the bins (None: all 1); ndf = bins - 1. (Fitting the
    norm freely instead is biased low when the covariance has a large normalisation part, Peelle's puzzle.)
    """
    d = np.asarray(data, dtype=np.float64)
    p = np.asarray(prediction, dtype=np.float64)
    a = np.ones_like(d) if areas is None else np.asarray(areas, dtype=np.float64)
    den = float(np.sum(p * a))
    if not den > 0:
        raise ValueError("shape-only chi2 needs a prediction with a positive integral")
    k = float(np.sum(d * a)) / den
    return Chi2(chi2(d, k * p, cov).chi2, len(d) - 1, k)


def compare(
    data: np.ndarray, prediction: np.ndarray, cov: np.ndarray, areas: np.ndarray | None = None
) -> tuple[Chi2, Chi2]:
    """(full chi2, shape-only chi2) of ``prediction`` (``areas``: bin areas for the shape normalisation)."""
    return chi2(data, prediction, cov), chi2_shape(data, prediction, cov, areas)
