"""MAP-3D: the mean absolute pull between two samples histogrammed in (E_nu, y = E_mu/E_nu,
cos_theta).

Definition (``shared/docs/method.md``): both samples are histogrammed in 3D with E_nu in ``bins``
log-spaced bins over the domain's energy range [GeV], y = E_mu / E_nu in ``bins`` bins over [0, 1]
and cos_theta in ``bins`` bins over [-1, 1]. For bin i with reference count r_i and generated
count g_i (the generated sample holds k events per reference event, so it is weighted by 1/k)::

    pull_i = (g_i / k - r_i) / sqrt(g_i / k**2 + r_i)

MAP-3D is the mean of |pull_i| over bins with r_i + g_i > 0; MAP-3D without tails is the same mean
over bins with r_i >= 25 only; <MAP> is their average (the model-selection figure). For two
independent samples of one distribution with large counts, E|pull| = sqrt(2/pi) ~ 0.80.

Events outside the histogram range (E_nu outside the energy range, y or cos_theta outside [0, 1] /
[-1, 1]) are not counted; their numbers are reported in :class:`MapResult`. Values exactly on the
upper edge of an axis fall in its last bin. Binning is done by computing integer bin indices and
one ``np.bincount``, so 1e6 + 1e6 events take well under a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from nugan.events.table import EventTable

__all__ = [
    "DEFAULT_ENERGY_RANGE",
    "MIN_REF_NO_TAILS",
    "MapResult",
    "bin_index_3d",
    "histogram_3d",
    "pulls",
    "map_from_counts",
    "map3d_arrays",
    "map3d_result",
    "map3d",
    "default_energy_range",
]

#: Default domain energy range [GeV] for the E_nu axis (method.md: 0.3 GeV <= E_nu <= 10 GeV).
DEFAULT_ENERGY_RANGE: tuple[float, float] = (0.3, 10.0)
#: Minimum reference count of a bin to enter "MAP-3D without tails".
MIN_REF_NO_TAILS = 25


@dataclass(frozen=True)
class MapResult:
    """Outcome of a MAP-3D evaluation.

    Attributes:
        map3d: mean |pull| over bins with r + g > 0 (dimensionless).
        map3d_no_tails: mean |pull| over bins with r >= ``min_ref`` (NaN if no such bin).
        mean_map: (map3d + map3d_no_tails) / 2, the model-selection figure <MAP>.
        n_bins_used: number of bins with r + g > 0.
        n_bins_no_tails: number of bins with r >= ``min_ref``.
        n_ref, n_gen: events of each sample inside the histogram range.
        n_ref_outside, n_gen_outside: events of each sample outside the range (not counted).
        k: generated events per reference event (generated counts weighted by 1/k).
        bins: (n_E, n_y, n_cos).
        energy_range: (E_min, E_max) of the log-spaced E_nu axis [GeV].
        min_ref: reference-count threshold of the no-tails mean.
        comparison: what was compared ('model vs reference', 'MC vs MC (...)').
    """

    map3d: float
    map3d_no_tails: float
    mean_map: float
    n_bins_used: int
    n_bins_no_tails: int
    n_ref: int
    n_gen: int
    n_ref_outside: int
    n_gen_outside: int
    k: float
    bins: tuple[int, int, int]
    energy_range: tuple[float, float]
    min_ref: int = MIN_REF_NO_TAILS
    comparison: str = "model vs reference"

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        d = asdict(self)
        d["bins"] = list(self.bins)
        d["energy_range"] = list(self.energy_range)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> MapResult:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["bins"] = tuple(int(b) for b in d["bins"])
        d["energy_range"] = tuple(float(e) for e in d["energy_range"])
        return cls(**d)


def _bins3(bins: int | tuple[int, int, int]) -> tuple[int, int, int]:
    """Normalise ``bins`` to three positive ints."""
    b = (bins, bins, bins) if isinstance(bins, int | np.integer) else tuple(bins)
    if len(b) != 3 or any(int(x) != x or int(x) < 1 for x in b):
        raise ValueError(f"bins must be a positive int or three positive ints, got {bins!r}")
    return int(b[0]), int(b[1]), int(b[2])


def _check_range(energy_range: tuple[float, float]) -> tuple[float, float]:
    lo, hi = float(energy_range[0]), float(energy_range[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 < lo < hi):
        raise ValueError(f"energy_range must be (E_min, E_max) with 0 < E_min < E_max in GeV, got {energy_range!r}")
    return lo, hi


def default_energy_range(reference: EventTable) -> tuple[float, float]:
    """The domain's E_nu range [GeV]: the reference's ``meta.energy_range`` when it is a proper
    interval,
    otherwise :data:`DEFAULT_ENERGY_RANGE`."""
    er = reference.meta.energy_range
    if er is not None and np.isfinite(er[0]) and np.isfinite(er[1]) and 0.0 < er[0] < er[1]:
        return float(er[0]), float(er[1])
    return DEFAULT_ENERGY_RANGE


def _axis_index(u: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Bin index in [0, n) of ``u`` on a uniform axis [lo, hi] (upper edge in last bin); -1
    outside."""
    with np.errstate(invalid="ignore"):
        idx = np.minimum(np.floor((u - lo) * (n / (hi - lo))), n - 1)  # upper edge: last bin
        ok = (u >= lo) & (u <= hi)
    return np.where(ok, idx, -1).astype(np.int64)


def bin_index_3d(
    E_nu: np.ndarray,
    E_mu: np.ndarray,
    cos_theta: np.ndarray,
    energy_range: tuple[float, float] = DEFAULT_ENERGY_RANGE,
    bins: int | tuple[int, int, int] = 20,
) -> np.ndarray:
    """Flat bin index of each event in the MAP-3D histogram; -1 for events outside it.

    Args:
        E_nu, E_mu: neutrino and muon energies [GeV].
        cos_theta: muon angle cosine.
        energy_range: (E_min, E_max) [GeV] of the log-spaced E_nu axis.
        bins: bins per axis (E_nu, y, cos_theta).
    """
    nE, ny, nc = _bins3(bins)
    lo, hi = _check_range(energy_range)
    E_nu = np.asarray(E_nu, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logE = np.log(E_nu)
        y = np.asarray(E_mu, dtype=np.float64) / E_nu
    iE = _axis_index(logE, np.log(lo), np.log(hi), nE)
    iE = np.where(E_nu == hi, nE - 1, iE)  # exact upper edge despite log rounding
    iE = np.where(E_nu == lo, 0, iE)
    iy = _axis_index(y, 0.0, 1.0, ny)
    ic = _axis_index(np.asarray(cos_theta, dtype=np.float64), -1.0, 1.0, nc)
    flat = (iE * ny + iy) * nc + ic
    return np.where((iE >= 0) & (iy >= 0) & (ic >= 0), flat, -1)


def histogram_3d(
    E_nu: np.ndarray,
    E_mu: np.ndarray,
    cos_theta: np.ndarray,
    energy_range: tuple[float, float] = DEFAULT_ENERGY_RANGE,
    bins: int | tuple[int, int, int] = 20,
) -> tuple[np.ndarray, int]:
    """Counts of the MAP-3D histogram (shape (n_E, n_y, n_cos)) and the number of events outside
    it."""
    shape = _bins3(bins)
    idx = bin_index_3d(E_nu, E_mu, cos_theta, energy_range, shape)
    inside = idx >= 0
    counts = np.bincount(idx[inside], minlength=int(np.prod(shape))).reshape(shape)
    return counts, int((~inside).sum())


def pulls(gen_counts: np.ndarray, ref_counts: np.ndarray, k: float = 1.0) -> np.ndarray:
    """Per-bin pull (g/k - r) / sqrt(g/k^2 + r); NaN where g + r == 0 (bin empty in both).

    Args:
        gen_counts: generated counts g (k generated events per reference event).
        ref_counts: reference counts r, same shape.
        k: generated-to-reference ratio (> 0).
    """
    if not k > 0:
        raise ValueError(f"k (generated events per reference event) must be > 0, got {k!r}")
    g = np.asarray(gen_counts, dtype=np.float64)
    r = np.asarray(ref_counts, dtype=np.float64)
    if g.shape != r.shape:
        raise ValueError(f"count arrays differ in shape: {g.shape} vs {r.shape}")
    var = g / (k * k) + r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, (g / k - r) / np.sqrt(var), np.nan)


def map_from_counts(
    gen_counts: np.ndarray, ref_counts: np.ndarray, k: float = 1.0, min_ref: int = MIN_REF_NO_TAILS
) -> tuple[float, float, int, int]:
    """(MAP with tails, MAP without tails, bins used, bins used without tails) from histogram
    counts.

    Bins empty in both samples are ignored; the no-tails mean keeps bins with r >= ``min_ref``.
    A mean over no bin is NaN.
    """
    p = np.abs(pulls(gen_counts, ref_counts, k))
    r = np.asarray(ref_counts)
    used = np.isfinite(p)
    core = used & (r >= min_ref)
    n_used, n_core = int(used.sum()), int(core.sum())
    with_tails = float(p[used].mean()) if n_used else float("nan")
    no_tails = float(p[core].mean()) if n_core else float("nan")
    return with_tails, no_tails, n_used, n_core


def map3d_arrays(
    gen: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref: tuple[np.ndarray, np.ndarray, np.ndarray],
    k: float = 1.0,
    energy_range: tuple[float, float] = DEFAULT_ENERGY_RANGE,
    bins: int | tuple[int, int, int] = 20,
    min_ref: int = MIN_REF_NO_TAILS,
    comparison: str = "model vs reference",
) -> MapResult:
    """MAP-3D from raw (E_nu, E_mu, cos_theta) arrays [GeV] of the generated and reference
    samples."""
    shape = _bins3(bins)
    er = _check_range(energy_range)
    g, g_out = histogram_3d(*gen, energy_range=er, bins=shape)
    r, r_out = histogram_3d(*ref, energy_range=er, bins=shape)
    if r.sum() == 0:
        raise ValueError(
            f"no reference event inside the MAP-3D histogram (E_nu range {er} GeV); "
            "check energy_range against the reference sample"
        )
    m, m_nt, n_used, n_core = map_from_counts(g, r, k, min_ref)
    mean = 0.5 * (m + m_nt) if np.isfinite(m_nt) else float("nan")
    return MapResult(
        map3d=m,
        map3d_no_tails=m_nt,
        mean_map=mean,
        n_bins_used=n_used,
        n_bins_no_tails=n_core,
        n_ref=int(r.sum()),
        n_gen=int(g.sum()),
        n_ref_outside=r_out,
        n_gen_outside=g_out,
        k=float(k),
        bins=shape,
        energy_range=er,
        min_ref=int(min_ref),
        comparison=comparison,
    )


def _unweighted(t: EventTable, what: str) -> None:
    if t.weight is not None and not np.all(t.weight == t.weight[:1]):
        raise ValueError(
            f"MAP-3D counts events: the {what} sample carries non-uniform weights; "
            "unweight it (accept-reject) or drop the weight column first"
        )


def map3d_result(
    gen: EventTable,
    ref: EventTable,
    k: float = 1.0,
    energy_range: tuple[float, float] | None = DEFAULT_ENERGY_RANGE,
    bins: int | tuple[int, int, int] = 20,
    min_ref: int = MIN_REF_NO_TAILS,
    comparison: str = "model vs reference",
) -> MapResult:
    """MAP-3D, MAP-3D without tails and <MAP> of ``gen`` against ``ref`` (see module docstring).

    Args:
        gen: generated sample, k events per reference event (drawn at the reference E_nu values).
        ref: reference (MC) sample.
        k: generated events per reference event; generated counts are weighted by 1/k.
        energy_range: (E_min, E_max) [GeV] of the E_nu axis; None takes the reference's
            domain range.
        bins: bins per axis (int, or (n_E, n_y, n_cos)).
        min_ref: reference-count threshold of the no-tails mean (25 per method.md).
        comparison: label stored in the result.
    """
    _unweighted(gen, "generated")
    _unweighted(ref, "reference")
    er = default_energy_range(ref) if energy_range is None else energy_range
    return map3d_arrays(
        (gen.E_nu, gen.E_mu, gen.cos_theta),
        (ref.E_nu, ref.E_mu, ref.cos_theta),
        k=k,
        energy_range=er,
        bins=bins,
        min_ref=min_ref,
        comparison=comparison,
    )


def map3d(
    gen: EventTable,
    ref: EventTable,
    k: float = 1.0,
    energy_range: tuple[float, float] | None = DEFAULT_ENERGY_RANGE,
    bins: int | tuple[int, int, int] = 20,
    tails: bool = True,
) -> float:
    """MAP-3D of ``gen`` against ``ref`` (``tails=False``: MAP-3D without tails, bins with r >=
    25).

    See :func:`map3d_result` for the arguments and for all figures at once.
    """
    res = map3d_result(gen, ref, k=k, energy_range=energy_range, bins=bins)
    return res.map3d if tails else res.map3d_no_tails
