"""Non-uniform 2D binning of published (p_mu, cos_theta_mu) cross sections: cos_theta slices, each with its own
momentum bins, flattened slice by slice (the order of the releases' data vectors and covariances).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SliceBinning", "muon_momentum"]

M_MU_GEV = 0.1056583755


def muon_momentum(E_mu: np.ndarray) -> np.ndarray:
    """|p_mu| [GeV/c] from the muon's total energy E_mu [GeV] (0 at or below the mass)."""
    E = np.asarray(E_mu, dtype=np.float64)
    return np.sqrt(np.clip(E * E - M_MU_GEV**2, 0.0, None))


@dataclass(frozen=True, eq=False)
class SliceBinning:
    """Bins in cos_theta slices ``cos_edges`` (n_slices + 1), each slice with momentum edges ``p_edges[i]`` [GeV/c].

    A slice is [lo, hi) except the last, which includes cos_theta = its upper edge; a momentum bin is [lo, hi).
    Events outside every bin (e.g. p_mu above the last edge) are not counted.
    """

    cos_edges: np.ndarray
    p_edges: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        c = np.asarray(self.cos_edges, dtype=np.float64)
        p = tuple(np.asarray(e, dtype=np.float64) for e in self.p_edges)
        if len(c) < 2 or np.any(np.diff(c) <= 0) or c[0] < -1 or c[-1] > 1:
            raise ValueError(f"cos_theta slice edges must increase within [-1, 1], got {c}")
        if len(p) != len(c) - 1:
            raise ValueError(f"{len(c) - 1} cos_theta slices need as many momentum edge lists, got {len(p)}")
        for i, e in enumerate(p):
            if len(e) < 2 or np.any(np.diff(e) <= 0) or e[0] < 0:
                raise ValueError(f"slice {i}: momentum edges must be >= 0 and increase, got {e}")
        object.__setattr__(self, "cos_edges", c)
        object.__setattr__(self, "p_edges", p)

    @classmethod
    def from_lists(cls, cos_edges: Sequence[float], p_edges: Sequence[Sequence[float] | np.ndarray]) -> SliceBinning:
        """Build from plain lists."""
        return cls(np.asarray(cos_edges, dtype=np.float64), tuple(np.asarray(e, dtype=np.float64) for e in p_edges))

    @property
    def n_slices(self) -> int:
        return len(self.cos_edges) - 1

    @property
    def n_bins(self) -> int:
        """Total number of (p, cos_theta) bins."""
        return int(sum(len(e) - 1 for e in self.p_edges))

    @property
    def offsets(self) -> np.ndarray:
        """Index of each slice's first bin in the flat vector (n_slices + 1 entries, last = n_bins)."""
        return np.concatenate([[0], np.cumsum([len(e) - 1 for e in self.p_edges])]).astype(np.int64)

    def slice_of(self, i: int) -> slice:
        """The flat-vector indices of slice ``i``."""
        o = self.offsets
        return slice(int(o[i]), int(o[i + 1]))

    def areas(self) -> np.ndarray:
        """dp [GeV/c] x dcos_theta of every bin, flat order."""
        dc = np.diff(self.cos_edges)
        return np.concatenate([np.diff(e) * dc[i] for i, e in enumerate(self.p_edges)])

    def index(self, p_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
        """Flat bin index of every event, -1 outside all bins."""
        p = np.asarray(p_mu, dtype=np.float64)
        c = np.asarray(cos_theta, dtype=np.float64)
        s = np.searchsorted(self.cos_edges, c, side="right") - 1
        s[c == self.cos_edges[-1]] = self.n_slices - 1
        out = np.full(len(p), -1, dtype=np.int64)
        offs = self.offsets
        for i, e in enumerate(self.p_edges):
            sel = np.flatnonzero(s == i)
            if not len(sel):
                continue
            j = np.searchsorted(e, p[sel], side="right") - 1
            ok = (j >= 0) & (j < len(e) - 1)
            out[sel[ok]] = offs[i] + j[ok]
        return out

    def fill(self, p_mu: np.ndarray, cos_theta: np.ndarray, weights: np.ndarray | float) -> np.ndarray:
        """Sum of ``weights`` in every bin (flat order); events outside all bins are dropped."""
        k = self.index(p_mu, cos_theta)
        w = np.broadcast_to(np.asarray(weights, dtype=np.float64), k.shape)
        ok = k >= 0
        return np.bincount(k[ok], weights=w[ok], minlength=self.n_bins).astype(np.float64)

    def labels(self) -> list[str]:
        """'cos a..b, p c..d' of every bin, flat order."""
        out = []
        for i, e in enumerate(self.p_edges):
            a, b = self.cos_edges[i], self.cos_edges[i + 1]
            out += [f"cos {a:g}..{b:g}, p {lo:g}..{hi:g}" for lo, hi in zip(e[:-1], e[1:], strict=True)]
        return out
