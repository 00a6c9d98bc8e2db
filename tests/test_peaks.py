"""Delta-peak contrast in W (nugan.metrics.peaks)."""

from __future__ import annotations

import numpy as np
import pytest

from nugan.metrics.peaks import delta_windows, peak_contrast


def _two_peaks(n: int, delta_sigma: float, seed: int) -> np.ndarray:
    """QE peak at 0.94 GeV (sigma 0.03) and a Delta at 1.23 GeV of the given width, 60:40."""
    rng = np.random.default_rng(seed)
    qe = rng.normal(0.94, 0.03, int(0.6 * n))
    return np.concatenate([qe, rng.normal(1.23, delta_sigma, n - len(qe))])


def test_windows_and_contrast_of_a_resolved_and_a_washed_out_delta() -> None:
    ref = _two_peaks(200_000, 0.05, 0)
    win = delta_windows(ref)
    assert abs(win.delta - 1.23) < 0.02 and 1.0 < win.dip < 1.12
    r, err = peak_contrast(_two_peaks(200_000, 0.05, 1), win)
    assert r > 3 and err < 0.2 * r
    # a shoulder: the Delta events spread evenly from the QE peak up, filling the dip: contrast about 1
    rng = np.random.default_rng(2)
    shoulder = np.concatenate([rng.normal(0.94, 0.03, 120_000), rng.uniform(0.98, 1.5, 80_000)])
    washed, err = peak_contrast(shoulder, win)
    assert abs(washed - 1) < 3 * err + 0.02


def test_reference_without_a_delta_is_an_error() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="Delta peak|no dip"):
        delta_windows(rng.normal(0.94, 0.03, 50_000))
    with pytest.raises(ValueError, match="1000"):
        delta_windows(np.ones(10))
