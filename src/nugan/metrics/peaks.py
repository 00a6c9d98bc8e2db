"""Resonance-peak contrast in W at fixed E_nu: does a sample show the Delta(1232) as a peak?

The QE peak (W ~ 0.94 GeV) and the Delta(1232) peak (W ~ 1.23 GeV, smeared by Fermi motion) are separated
by a dip. :func:`delta_windows` locates the dip and the Delta maximum in a reference sample's W
histogram; :func:`peak_contrast` is the ratio of events in the Delta window to events in the dip window
of the same width. The reference has contrast > 1; a model that washes the Delta out into a shoulder has
contrast <= 1 however good its other metrics. Not part of method.md's metric set: a diagnostic of
issue 4's "W shows the QE and Delta(1232) peaks" target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PeakWindows", "delta_windows", "peak_contrast"]


@dataclass(frozen=True)
class PeakWindows:
    """Centres [GeV] of the dip and Delta windows and their common full width [GeV]."""

    dip: float
    delta: float
    width: float

    def to_dict(self) -> dict[str, float]:
        return {"dip_GeV": self.dip, "delta_GeV": self.delta, "width_GeV": self.width}


def _smoothed_histogram(
    W: np.ndarray, lo: float, hi: float, bin_width: float, smooth: int
) -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(lo, hi + 0.5 * bin_width, bin_width)
    counts, _ = np.histogram(W, bins=edges)
    kernel = np.ones(smooth) / smooth
    return 0.5 * (edges[1:] + edges[:-1]), np.convolve(counts, kernel, mode="same")


def delta_windows(
    W_ref: np.ndarray,
    width: float = 0.06,
    delta_search: tuple[float, float] = (1.12, 1.36),
    qe_search: tuple[float, float] = (0.85, 1.02),
    bin_width: float = 0.01,
    smooth: int = 5,
) -> PeakWindows:
    """Dip and Delta windows of a reference W sample [GeV] at one E_nu.

    The Delta centre is the maximum of the smoothed W histogram in ``delta_search``; the dip centre is its
    minimum between the QE maximum (in ``qe_search``) and the Delta centre. Raises ValueError if the
    reference has no dip (then there is no peak to look for, e.g. far below the Delta threshold).
    """
    W_ref = np.asarray(W_ref, dtype=np.float64)
    if len(W_ref) < 1000:
        raise ValueError(f"need >= 1000 reference events to locate the peaks, got {len(W_ref)}")
    x, h = _smoothed_histogram(W_ref, 0.6, 1.6, bin_width, smooth)
    ind = (x >= delta_search[0]) & (x <= delta_search[1])
    i_delta = np.flatnonzero(ind)[np.argmax(h[ind])]
    iqe = (x >= qe_search[0]) & (x <= qe_search[1])
    i_qe = np.flatnonzero(iqe)[np.argmax(h[iqe])]
    between = np.arange(i_qe + 1, i_delta)
    if len(between) == 0:
        raise ValueError("reference W histogram has no dip between the QE and Delta maxima")
    i_dip = between[np.argmin(h[between])]
    if not h[i_dip] < h[i_delta]:
        raise ValueError("reference W histogram shows no Delta peak above the dip")
    return PeakWindows(dip=float(x[i_dip]), delta=float(x[i_delta]), width=width)


def peak_contrast(W: np.ndarray, windows: PeakWindows) -> tuple[float, float]:
    """(contrast, its statistical error): events in the Delta window over events in the dip window."""
    W = np.asarray(W, dtype=np.float64)
    half = 0.5 * windows.width
    n_delta = float(np.count_nonzero(np.abs(W - windows.delta) <= half))
    n_dip = float(np.count_nonzero(np.abs(W - windows.dip) <= half))
    if n_dip == 0:
        return (float("inf") if n_delta else float("nan")), float("nan")
    r = n_delta / n_dip
    return r, r * np.sqrt(1.0 / max(n_delta, 1.0) + 1.0 / n_dip)
