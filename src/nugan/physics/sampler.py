"""Tier 2 of the simulator (spec Sec. 8): fast unweighted sampling from :class:`KinematicTables`.

Per event: interpolate sigma_channel(E) in ln E and draw the channel; pick one of the two neighbouring
energy nodes with the interpolation weight; draw a (t, x) cell with one ``searchsorted`` on a global CDF
(row offsets make it monotone over all (node, channel) rows); jitter uniformly inside the cell; map
omega = t^2 E, Q2 = 2 M omega x to (E_mu, cos_theta). Cells cut by the kinematic boundary at the actual E
are re-jittered inside the same cell; events still unphysical after that are redrawn from scratch.
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_MU, M_NUCLEON
from nugan.physics.tables import KinematicTables

__all__ = ["TableSampler"]


class TableSampler:
    """Unweighted (E_mu, cos_theta, channel) sampler for given neutrino energies.

    Args:
        tables: built tables of one (probe, target, model).
    """

    def __init__(self, tables: KinematicTables) -> None:
        self.tables = tables
        g = tables.grid
        # channels with no cross section anywhere (hyperons for nu) take no rows: they are never drawn
        self.active = np.flatnonzero(np.asarray(tables.sigma).any(axis=1))
        sigma, hist = np.asarray(tables.sigma)[self.active], np.asarray(tables.hist)[self.active]
        self.n_ch, self.n_E = sigma.shape
        self.n_t, self.n_x, self.x_max = g.n_t, g.n_x, g.x_max
        self.n_cells = g.n_t * g.n_x
        self.lnE = np.log(tables.E_nodes)
        self.dlnE = self.lnE[1] - self.lnE[0]
        self.sigma = np.asarray(sigma, dtype=np.float64)
        # rows ordered (node, channel); empty rows redirect to the nearest non-empty node of that channel
        h = np.asarray(hist, dtype=np.float64).transpose(1, 0, 2, 3).reshape(self.n_E * self.n_ch, -1)
        nonempty = (h.sum(axis=1) > 0).reshape(self.n_E, self.n_ch)
        redirect = np.zeros((self.n_E, self.n_ch), dtype=np.int64)
        for c in range(self.n_ch):
            ok = np.flatnonzero(nonempty[:, c])
            for j in range(self.n_E):
                jj = ok[np.argmin(np.abs(ok - j))] if len(ok) else j
                redirect[j, c] = jj * self.n_ch + c
        self.row_of = redirect  # (n_E, n_ch) -> row
        cdf = np.cumsum(h, axis=1)
        tot = cdf[:, -1:]
        cdf = np.where(tot > 0, cdf / np.where(tot > 0, tot, 1.0), 1.0)
        # one sorted array over all rows (row index + within-row CDF) holding only the cells with weight: a draw
        # row + u finds the first cell whose CDF exceeds u, which always has weight, so dropping the empty
        # (kinematically closed) cells changes no draw and shortens the binary search
        keep = (h > 0).reshape(-1)
        self.gcdf = (cdf + np.arange(len(cdf))[:, None]).reshape(-1)[keep]
        self.cell_of = np.tile(np.arange(self.n_cells, dtype=np.int32), len(cdf))[keep]

    @property
    def E_range(self) -> tuple[float, float]:
        """Energy range covered by the tables [GeV]."""
        return float(self.tables.E_nodes[0]), float(self.tables.E_nodes[-1])

    def sigma_at(self, E: np.ndarray) -> np.ndarray:
        """(n_active, n) cross sections of the channels :attr:`active` at ``E`` [cm^2 per nucleon], linear in ln E."""
        return np.stack([np.interp(np.log(E), self.lnE, s) for s in self.sigma])

    def _draw(self, E: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = len(E)
        f = (np.log(E) - self.lnE[0]) / self.dlnE
        j0 = np.clip(np.floor(f).astype(np.int64), 0, self.n_E - 2)
        w = np.clip(f - j0, 0.0, 1.0)
        s = self.sigma[:, j0] * (1.0 - w) + self.sigma[:, j0 + 1] * w  # (n_ch, n)
        cs = np.cumsum(s, axis=0)
        u = rng.random(n) * cs[-1]
        ch = (u[None, :] >= cs[:-1]).sum(axis=0).astype(np.int64)
        j = j0 + (rng.random(n) < w)
        row = self.row_of[j, ch]
        pos = np.searchsorted(self.gcdf, row + rng.random(n), side="right")
        cell = self.cell_of[np.minimum(pos, len(self.cell_of) - 1)].astype(np.int64)
        return ch, cell // self.n_x, cell % self.n_x, row

    def _map(
        self, E: np.ndarray, it: np.ndarray, ix: np.ndarray, rng: np.random.Generator, E_node: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(E)
        t = (it + rng.random(n)) / self.n_t
        x = (ix + rng.random(n)) * (self.x_max / self.n_x)
        if E_node is not None:
            x = _carry_x(x, t, E_node, E)
        om = t * t * E
        e_mu = E - om
        pm = np.sqrt(np.clip(e_mu * e_mu - M_MU * M_MU, 0.0, None))
        q2 = 2.0 * M_NUCLEON * om * x
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (2.0 * E * e_mu - M_MU * M_MU - q2) / (2.0 * E * pm)
        ok = (e_mu > M_MU) & (np.abs(cos) <= 1.0)
        return e_mu, cos, ok

    def sample(
        self, E: np.ndarray, rng: np.random.Generator, max_rejitter: int = 16
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(E_mu [GeV], cos_theta, channel index into ``tables.channels``) for each energy in ``E`` [GeV]."""
        E = np.asarray(E, dtype=np.float64)
        lo, hi = self.E_range
        if E.size and (E.min() < lo * (1 - 1e-12) or E.max() > hi * (1 + 1e-12)):
            raise ValueError(f"energies must lie in the table range [{lo}, {hi}] GeV")
        e_mu = np.empty_like(E)
        cos = np.empty_like(E)
        chan = np.empty(len(E), dtype=np.int64)
        todo = np.arange(len(E))
        for _ in range(1000):
            if len(todo) == 0:
                break
            Et = E[todo]
            ch, it, ix, row = self._draw(Et, rng)
            En = self.tables.E_nodes[row // self.n_ch]
            em, cs, ok = self._map(Et, it, ix, rng, En)
            bad = np.flatnonzero(~ok)
            for _k in range(max_rejitter):
                if len(bad) == 0:
                    break
                em2, cs2, ok2 = self._map(Et[bad], it[bad], ix[bad], rng, En[bad])
                em[bad[ok2]] = em2[ok2]
                cs[bad[ok2]] = cs2[ok2]
                ok[bad[ok2]] = True
                bad = bad[~ok2]
            e_mu[todo[ok]] = em[ok]
            cos[todo[ok]] = cs[ok]
            chan[todo[ok]] = ch[ok]
            todo = todo[~ok]
        if len(todo):
            raise RuntimeError(f"{len(todo)} events could not be placed in the physical region")
        return e_mu, cos, self.active[chan]


def _x_range(t: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinematic range of x = Q2/(2 M omega) at omega = t^2 E: (cos_theta = +1, cos_theta = -1); NaN-free."""
    om = np.maximum(t * t * E, 1e-12)
    e_mu = E - om
    pm = np.sqrt(np.clip(e_mu * e_mu - M_MU * M_MU, 0.0, None))
    lo = (2.0 * E * (e_mu - pm) - M_MU * M_MU) / (2.0 * M_NUCLEON * om)
    hi = (2.0 * E * (e_mu + pm) - M_MU * M_MU) / (2.0 * M_NUCLEON * om)
    return lo, hi


def _carry_x(x: np.ndarray, t: np.ndarray, E_node: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Move x drawn from the table node at ``E_node`` to the event energy ``E`` [GeV].

    Piecewise linear in x with fixed points at the kinematic ends (cos_theta = +-1) and at the QE ridge x = 1,
    so a node's backward edge lands on the event's backward edge (no pile-up at cos_theta = -1 from the
    higher node's cells being squeezed into the boundary cell) and the QE peak stays at x = 1. Where the node
    has no physical range at this t, x is left as it is.
    """
    lo_j, hi_j = _x_range(t, E_node)
    lo_e, hi_e = _x_range(t, E)
    good = (hi_j > lo_j) & (hi_e > lo_e)
    ridge = good & (lo_j < 1.0) & (hi_j > 1.0) & (lo_e < 1.0) & (hi_e > 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        affine = lo_e + (x - lo_j) * (hi_e - lo_e) / (hi_j - lo_j)
        below = lo_e + (x - lo_j) * (1.0 - lo_e) / (1.0 - lo_j)
        above = 1.0 + (x - 1.0) * (hi_e - 1.0) / (hi_j - 1.0)
    piece = np.where(x <= 1.0, below, above)
    return np.where(ridge, piece, np.where(good, affine, x))
