"""Deep-inelastic scattering: GRV94-LO PDFs with Bodek-Yang corrections (NuWro ``grv94_bodek``), spec Sec. 4.

The PDFs are tabulated once per process on a (ln xi, ln Q2) grid and read back by bilinear interpolation
(:class:`PdfGrid`). Cross sections are per nucleon in the nucleon rest frame [GeV units].
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nugan.constants import M_MU, M_NUCLEON
from nugan.physics.form_factors import G_F

__all__ = [
    "M_W",
    "grv94_lo",
    "PdfGrid",
    "pdf_grid",
    "bodek_yang_sf",
    "whitlow_R",
    "d2sigma_dxdy",
    "d2sigma_dQ2dW",
]

M_W = 80.385  # W boson mass [GeV]
Q2_FREEZE = 0.24  # PDFs are evaluated at max(Q2, 0.24) [GeV^2]
_LAM2 = 0.232**2
_MU2 = 0.23


def _s_evol(Q2: np.ndarray) -> np.ndarray:
    return np.log(np.log(Q2 / _LAM2) / np.log(_MU2 / _LAM2))


def grv94_lo(x: np.ndarray, Q2: np.ndarray) -> dict[str, np.ndarray]:
    """GRV94 LO momentum densities x*f(x, Q2): keys 'uv', 'dv', 'del' (x(dbar-ubar)), 'udb' (x(ubar+dbar)), 's'.

    Args:
        x: momentum fraction in (0, 1); Q2 [GeV^2] >= 0.24 (the caller freezes it).
    """
    x = np.asarray(x, dtype=np.float64)
    s = _s_evol(np.asarray(Q2, dtype=np.float64))
    s2 = s * s
    ss = np.sqrt(s)
    lx = np.log(1.0 / x)
    sx = np.sqrt(x)

    def val(N, a, A, b, B, C, D):
        return N * x**a * (1.0 + A * x**b + x * (B + C * sx)) * (1.0 - x) ** D

    uv = val(
        2.284 + 0.802 * s + 0.055 * s2,
        0.59 - 0.024 * s,
        -0.449 - 0.138 * s - 0.076 * s2,
        0.131 + 0.063 * s,
        0.213 + 2.669 * s - 0.728 * s2,
        8.854 - 9.135 * s + 1.979 * s2,
        2.997 + 0.753 * s - 0.076 * s2,
    )
    dv = val(
        0.371 + 0.083 * s + 0.039 * s2,
        0.376,
        -0.509 + 3.31 * s - 1.248 * s2,
        0.486 + 0.062 * s,
        12.41 - 10.52 * s + 2.267 * s2,
        6.373 - 6.208 * s + 1.418 * s2,
        3.691 + 0.799 * s - 0.071 * s2,
    )
    # x(dbar - ubar)
    a, b = 0.409 - 0.005 * s, 0.799 + 0.071 * s
    N, A, B, D = (
        0.082 + 0.014 * s + 0.008 * s2,
        -38.07 + 36.13 * s - 0.656 * s2,
        90.31 - 74.15 * s + 7.645 * s2,
        7.486 + 1.217 * s - 0.159 * s2,
    )
    dlt = N * x**a * (1.0 + A * x**b + B * x) * (1.0 - x) ** D
    # x(ubar + dbar)
    al, be = 1.451, 0.271
    a, b = 0.41 - 0.232 * s, 0.534 - 0.457 * s
    A, B, C = 0.89 - 0.14 * s, -0.981, 0.32 + 0.683 * s
    D, E, Ep = 4.752 + 1.164 * s + 0.286 * s2, 4.119 + 1.713 * s, 0.682 + 2.978 * s
    udb = (x**a * (A + B * x + C * x * x) * lx**b + s**al * np.exp(-E + np.sqrt(Ep * s**be * lx))) * (1.0 - x) ** D
    # x s = x sbar
    al, be = 0.914, 0.577
    a = 1.798 - 0.596 * s
    A, B = -5.548 + 3.669 * ss - 0.616 * s, 18.92 - 16.73 * ss + 5.168 * s
    D, E, Ep_s = 6.379 - 0.35 * s + 0.142 * s2, 3.981 + 1.638 * s, 6.402
    xs = s**al / lx**a * (1.0 + A * sx + B * x) * (1.0 - x) ** D * np.exp(-E + np.sqrt(Ep_s * s**be * lx))
    return {"uv": uv, "dv": dv, "del": dlt, "udb": udb, "s": xs}


@dataclass(frozen=True)
class PdfGrid:
    """GRV94 LO densities on a regular (ln x, ln Q2) grid; :meth:`__call__` interpolates bilinearly.

    Attributes:
        lnx: grid of ln x; lnq2: grid of ln Q2 [ln GeV^2]; values: (5, n_x, n_q2) for uv, dv, ubar, dbar, s.
    """

    lnx: np.ndarray
    lnq2: np.ndarray
    values: np.ndarray

    def __call__(self, x: np.ndarray, Q2: np.ndarray) -> np.ndarray:
        """Densities (5, n) = x*(u_v, d_v, ubar, dbar, s) at (x, max(Q2, 0.24)) by bilinear interpolation."""
        lx = np.log(np.clip(x, np.exp(self.lnx[0]), np.exp(self.lnx[-1])))
        lq = np.log(np.clip(Q2, Q2_FREEZE, np.exp(self.lnq2[-1])))
        fx = (lx - self.lnx[0]) / (self.lnx[1] - self.lnx[0])
        fq = (lq - self.lnq2[0]) / (self.lnq2[1] - self.lnq2[0])
        ix = np.clip(fx.astype(np.int64), 0, len(self.lnx) - 2)
        iq = np.clip(fq.astype(np.int64), 0, len(self.lnq2) - 2)
        tx = fx - ix
        tq = fq - iq
        v = self.values
        return (
            v[:, ix, iq] * ((1 - tx) * (1 - tq))
            + v[:, ix + 1, iq] * (tx * (1 - tq))
            + v[:, ix, iq + 1] * ((1 - tx) * tq)
            + v[:, ix + 1, iq + 1] * (tx * tq)
        )


@lru_cache(maxsize=1)
def pdf_grid(n_x: int = 500, n_q2: int = 80, x_min: float = 1e-5, q2_max: float = 500.0) -> PdfGrid:
    """Tabulate GRV94 LO (x u_v, x d_v, x ubar, x dbar, x s) once (milliseconds)."""
    lnx = np.linspace(np.log(x_min), np.log(1.0 - 1e-9), n_x)
    lnq2 = np.linspace(np.log(Q2_FREEZE), np.log(q2_max), n_q2)
    X, Q = np.meshgrid(np.exp(lnx), np.exp(lnq2), indexing="ij")
    p = grv94_lo(X, Q)
    ubar = 0.5 * (p["udb"] - p["del"])
    dbar = 0.5 * (p["udb"] + p["del"])
    vals = np.stack([p["uv"], p["dv"], ubar, dbar, p["s"]])
    vals = np.where(np.isfinite(vals), np.maximum(vals, 0.0), 0.0)
    return PdfGrid(lnx, lnq2, vals)


def whitlow_R(x: np.ndarray, Q2: np.ndarray) -> np.ndarray:
    """R = sigma_L/sigma_T of Whitlow et al. (with the low-Q2 continuation of spec Sec. 4.2)."""
    x = np.asarray(x, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)

    def r_of(q2: np.ndarray) -> np.ndarray:
        th = 1.0 + 12.0 * q2 / (q2 + 1.0) * 0.125**2 / (0.125**2 + x * x)
        return 0.0635 * th / np.log(q2 / 0.04) + 0.5747 / q2 - 0.3534 / (q2 * q2 + 0.09)

    q_hi = np.maximum(Q2, 0.35)
    r_hi = r_of(q_hi)
    r_lo = 3.207 * Q2 / (Q2 * Q2 + 1.0) * r_of(np.full_like(Q2, 0.35))
    return np.where(Q2 >= 0.35, r_hi, r_lo)


def bodek_yang_sf(
    x: np.ndarray, Q2: np.ndarray, eta: int, on_proton: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bodek-Yang (F1, F2, F3) for nu (eta=+1) / nubar (eta=-1) on proton or neutron (boolean array).

    xi_w = x(Q2+0.624)/(Q2+1.735x); PDFs at (xi_w, max(Q2,0.24)); F2 and xF3 times K = Q2/(Q2+0.188);
    F1 = F2 (1 + 4 M^2 x^2/Q2) / (2 xi_w (1+R)); F3 = xF3/xi_w (NuWro conventions).
    """
    x = np.asarray(x, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    xi = x * (Q2 + 0.624) / (Q2 + 1.735 * x)
    xi = np.clip(xi, 1e-6, 1.0 - 1e-9)
    uv, dv, ub, db, xs = pdf_grid()(xi, Q2)
    # proton vs neutron: swap u <-> d
    on_proton = np.asarray(on_proton, dtype=bool)
    u_v = np.where(on_proton, uv, dv)
    d_v = np.where(on_proton, dv, uv)
    u_b = np.where(on_proton, ub, db)
    d_b = np.where(on_proton, db, ub)
    if eta > 0:
        f2 = 2.0 * (d_v + d_b + xs + u_b)
        xf3 = 2.0 * (d_v + d_b + xs - u_b)
    else:
        f2 = 2.0 * (u_v + u_b + d_b + xs)
        xf3 = 2.0 * (u_v + u_b - d_b - xs)
    k = Q2 / (Q2 + 0.188)
    f2 = f2 * k
    xf3 = xf3 * k
    R = whitlow_R(x, Q2)
    f1 = f2 * (1.0 + 4.0 * M_NUCLEON**2 * x * x / Q2) / (2.0 * xi * (1.0 + R))
    f3 = xf3 / xi
    return f1, f2, f3


def d2sigma_dxdy(E: np.ndarray, x: np.ndarray, y: np.ndarray, eta: int, on_proton: np.ndarray) -> np.ndarray:
    """DIS d^2 sigma/dx dy per nucleon [GeV^-2] (Albright-Jarlskog), nucleon rest frame, Q2 = 2 M E x y."""
    E = np.asarray(E, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    M = M_NUCLEON
    m2 = M_MU * M_MU
    Q2 = 2.0 * M * E * x * y
    f1, f2, f3 = bodek_yang_sf(x, Q2, eta, on_proton)
    t1 = (x * y * y + m2 * y / (2.0 * M * E)) * f1
    t2 = (1.0 - y - M * x * y / (2.0 * E) - m2 / (4.0 * E * E) - m2 / (2.0 * M * E * x)) * f2
    t3 = eta * (x * y * (1.0 - y / 2.0) - m2 * y / (4.0 * M * E)) * f3
    val = G_F**2 * M * E / np.pi / (1.0 + Q2 / M_W**2) ** 2 * (t1 + t2 + t3)
    return np.where(np.isfinite(val) & (val > 0.0), val, 0.0)


def d2sigma_dQ2dW(E: np.ndarray, Q2: np.ndarray, W: np.ndarray, eta: int, on_proton: np.ndarray) -> np.ndarray:
    """DIS d^2 sigma/dQ2 dW [GeV^-5] = d^2 sigma/dxdy * W / (2 M^2 E omega), nucleon rest frame."""
    E = np.asarray(E, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    M = M_NUCLEON
    om = (W * W - M * M + Q2) / (2.0 * M)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = Q2 / (2.0 * M * om)
        y = om / E
        ok = (om > 0) & (x > 0) & (x < 1) & (y > 0) & (y < 1)
        val = d2sigma_dxdy(E, np.where(ok, x, 0.5), np.where(ok, y, 0.5), eta, on_proton)
        val = val * W / (2.0 * M * M * E * om)
    return np.where(ok, val, 0.0)
