"""Explicit physical-range check of generated events, with counts (expected to be zero).

The variable transform makes every decoded event physical (m_mu <= E_mu <= E_nu, |cos| <= 1), so
this check should never change anything. It is still run on every generated chunk and its counts
are reported, so that a broken checkpoint (NaN weights) or a future change to the transform cannot
silently write unphysical events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nugan.constants import M_MU

__all__ = ["PhysicalCheck", "enforce_physical"]


@dataclass
class PhysicalCheck:
    """Outcome of :func:`enforce_physical` on a batch of events.

    Attributes:
        E_mu, cos_theta: the (possibly repaired) values, all rows [GeV, -].
        keep: rows to keep (False where a value is NaN or infinite).
        n_checked: rows checked.
        n_repaired: finite rows outside the physical range, clipped onto it (E_mu into
            [m_mu, E_nu], cos_theta into [-1, 1]).
        n_rejected: rows with a non-finite E_mu or cos_theta (dropped).
    """

    E_mu: np.ndarray
    cos_theta: np.ndarray
    keep: np.ndarray
    n_checked: int
    n_repaired: int
    n_rejected: int

    def __iadd__(self, other: PhysicalCheck) -> PhysicalCheck:
        """Accumulate the counts of another check (arrays are not concatenated)."""
        self.n_checked += other.n_checked
        self.n_repaired += other.n_repaired
        self.n_rejected += other.n_rejected
        return self

    def summary(self) -> str:
        """'N checked, R repaired, X rejected' (one line)."""
        return (
            f"{self.n_checked:,} events checked: {self.n_repaired:,} repaired (clipped into the "
            f"physical range), {self.n_rejected:,} rejected (non-finite)"
        )


def enforce_physical(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> PhysicalCheck:
    """Count, and clip or mark, events outside m_mu <= E_mu <= E_nu, |cos_theta| <= 1 (GeV).

    Inputs are not modified. Non-finite rows are marked ``keep=False`` (rejected); finite rows
    outside the range are clipped (repaired).
    """
    E_nu = np.asarray(E_nu, dtype=np.float64)
    E_mu = np.asarray(E_mu, dtype=np.float64)
    cos = np.asarray(cos_theta, dtype=np.float64)
    keep = np.isfinite(E_mu) & np.isfinite(cos)
    bad = keep & ((E_mu < M_MU) | (E_mu > E_nu) | (np.abs(cos) > 1.0))
    n_repaired = int(bad.sum())
    if n_repaired:
        E_mu = np.where(bad, np.clip(E_mu, M_MU, np.maximum(E_nu, M_MU)), E_mu)
        cos = np.where(bad, np.clip(cos, -1.0, 1.0), cos)
    return PhysicalCheck(E_mu, cos, keep, len(E_mu), n_repaired, int((~keep).sum()))
