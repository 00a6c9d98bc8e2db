"""Per-event reweighting of existing MC events between two flow models' domains.

For an event x = (E_mu, cos_theta) at neutrino energy E_nu, the weight that takes a sample of domain A to
domain B at fixed E_nu is the ratio of conditional densities w = p_B(x | E_nu) / p_A(x | E_nu). With
``xsec`` the ratio of total cross sections sigma_B(E_nu) / sigma_A(E_nu) multiplies it, so that event rates
(not only shapes) follow domain B for the same flux.

Weights are finite by construction: the log-ratio is clipped to [-log(clip), log(clip)], i.e. every weight
lies in [1/clip, clip] (default clip 100); the fraction of clipped events is reported. The effective sample
size (sum w)^2 / sum w^2 says how many unweighted events the weighted sample is worth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ReweightResult", "density_ratio_weights", "effective_sample_size", "DEFAULT_CLIP"]

#: Largest weight (and inverse of the smallest) that reweighting returns.
DEFAULT_CLIP = 100.0


@dataclass(frozen=True)
class ReweightResult:
    """Weights and their diagnostics.

    Attributes:
        weights: per-event weight p_B / p_A (times the cross-section ratio when asked), in [1/clip, clip].
        clip: the clip value used.
        n_clipped: events whose weight hit a clip bound.
        ess: effective sample size of the weights.
        mean: mean weight (1 in expectation for a shape-only reweighting of a sample of domain A).
    """

    weights: np.ndarray
    clip: float
    n_clipped: int
    ess: float
    mean: float

    @property
    def fraction_clipped(self) -> float:
        return self.n_clipped / max(len(self.weights), 1)

    def summary(self) -> str:
        n = len(self.weights)
        return (
            f"{n:,} weights: mean {self.mean:.4f}, min {self.weights.min():.4g}, max {self.weights.max():.4g}; "
            f"effective sample size {self.ess:,.0f} ({self.ess / max(n, 1):.1%} of the events); "
            f"{self.n_clipped:,} ({self.fraction_clipped:.3%}) clipped to [1/{self.clip:g}, {self.clip:g}]"
        )


def effective_sample_size(w: np.ndarray) -> float:
    """(sum w)^2 / sum w^2 of non-negative weights ``w``."""
    w = np.asarray(w, dtype=np.float64)
    s2 = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def density_ratio_weights(
    log_p_from: np.ndarray, log_p_to: np.ndarray, clip: float = DEFAULT_CLIP, log_xsec_ratio: np.ndarray | None = None
) -> ReweightResult:
    """Weights exp(log_p_to - log_p_from [+ log_xsec_ratio]) clipped to [1/clip, clip].

    Raises:
        ValueError: clip <= 1, arrays of different lengths, or non-finite log-densities.
    """
    if not clip > 1.0 or not math.isfinite(clip):
        raise ValueError(f"clip must be a finite number > 1, got {clip}")
    a, b = np.asarray(log_p_from, dtype=np.float64), np.asarray(log_p_to, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"log-density arrays differ in shape: {a.shape} vs {b.shape}")
    log_w = b - a
    if log_xsec_ratio is not None:
        log_w = log_w + np.asarray(log_xsec_ratio, dtype=np.float64)
    bad = ~np.isfinite(log_w)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} events have a non-finite log-density under one of the models")
    lim = math.log(clip)
    clipped = np.abs(log_w) >= lim
    w = np.exp(np.clip(log_w, -lim, lim))
    return ReweightResult(
        w, float(clip), int(clipped.sum()), effective_sample_size(w), float(w.mean()) if len(w) else math.nan
    )
