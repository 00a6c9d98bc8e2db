"""Delta(1232) production: Lalakulich-Paschos hadronic tensor as in NuWro-classic (spec Sec. 3).

All functions are pure and vectorised; energies in the nucleon rest frame [GeV].
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_DELTA, M_MU, M_NUCLEON, M_PION
from nugan.physics.form_factors import G_F

__all__ = [
    "SECOND_RES",
    "RES2_WINDOW",
    "second_res_shape",
    "COS_CABIBBO_RES",
    "GAMMA0",
    "W_MIN",
    "breit_wigner",
    "delta_ffs",
    "d2sigma_dQ2dW",
    "isospin_factor",
]

COS_CABIBBO_RES = 0.975  # NuWro's value in the RES code
GAMMA0 = 0.120  # Delta width [GeV]
W_MIN = 1.08  # lowest hadronic mass of the inelastic channels (NuWro) [GeV]


#: Second and third resonance regions: (mass, width) [GeV] of D13(1520), S11(1535), D15(1675), F15(1680)
#: (PDG 2022 Breit-Wigner estimates; the broad P11(1440) is left in the continuum).
SECOND_RES: tuple[tuple[float, float], ...] = ((1.515, 0.110), (1.530, 0.150), (1.675, 0.145), (1.685, 0.120))
#: W window [GeV] in which the resonance modulation redistributes the DIS strength (local duality).
RES2_WINDOW = (1.40, 1.90)


def second_res_shape(W: np.ndarray) -> np.ndarray:
    """Sum of the three Breit-Wigners of :data:`SECOND_RES` in W, normalised to mean 1 over :data:`RES2_WINDOW`.

    Zero outside the window. Used as a local-duality (Bloom-Gilman) modulation of the DIS continuum:
    within the window DIS x [(1 - a) + a B(W)] keeps the integral over W for a flat continuum.
    """
    W = np.asarray(W, dtype=np.float64)
    lo, hi = RES2_WINDOW
    return np.where((lo <= W) & (hi >= W), _res2_raw(W) / _res2_mean(), 0.0)


def _res2_raw(W: np.ndarray) -> np.ndarray:
    out = np.zeros_like(np.asarray(W, dtype=np.float64))
    for m, g in SECOND_RES:
        out = out + (1.0 / np.pi) * m * g / ((W * W - m * m) ** 2 + m * m * g * g)
    return out


def _res2_mean() -> float:
    w = np.linspace(*RES2_WINDOW, 2001)
    return float(np.mean(_res2_raw(w)))


def _q_pion(W: np.ndarray) -> np.ndarray:
    M = M_NUCLEON
    arg = (W * W + M * M - M_PION**2) ** 2 - 4.0 * W * W * M * M
    return np.sqrt(np.clip(arg, 0.0, None)) / (2.0 * W)


def breit_wigner(W: np.ndarray, pole_shift: float = 0.0) -> np.ndarray:
    """Relativistic Breit-Wigner with P-wave width Gamma(W) = Gamma0 (q_pi(W)/q_pi(M_D))^3 M_D/W [GeV^-2].

    ``pole_shift`` [GeV] moves the pole to M_D + pole_shift; the width keeps its free-Delta form.
    """
    W = np.asarray(W, dtype=np.float64)
    gam = GAMMA0 * (_q_pion(W) / _q_pion(np.array(M_DELTA))) ** 3 * M_DELTA / W
    pole = M_DELTA + pole_shift
    return (1.0 / np.pi) * pole * gam / ((W * W - pole**2) ** 2 + pole**2 * gam * gam)


def delta_ffs(Q2: np.ndarray, C5A0: float, MA_delta: float) -> tuple[np.ndarray, ...]:
    """Graczyk-Sobczyk N-Delta form factors (C3V, C4V, C4A, C5A, C6A) at ``Q2`` [GeV^2]."""
    Q2 = np.asarray(Q2, dtype=np.float64)
    gv = 1.0 / (1.0 + Q2 / 0.84**2) ** 2 / (1.0 + Q2 / (4.0 * 0.84**2))
    c3v = 2.13 * gv
    c4v = -1.51 * gv
    c5a = C5A0 / (1.0 + Q2 / MA_delta**2) ** 2
    c4a = -0.25 * c5a
    c6a = c5a * M_NUCLEON**2 / (Q2 + M_PION**2)
    return c3v, c4v, c4a, c5a, c6a


def d2sigma_dQ2dW(
    E: np.ndarray,
    Q2: np.ndarray,
    W: np.ndarray,
    eta: int,
    C5A0: float = 1.19,
    MA_delta: float = 0.94,
    pole_shift: float = 0.0,
) -> np.ndarray:
    """d^2 sigma / dQ2 dW [GeV^-5] for nu p -> mu- Delta++ (eta=+1) or nubar n -> mu+ Delta- (eta=-1).

    Args:
        E: neutrino energy in the nucleon rest frame [GeV]; Q2 [GeV^2]; W hadronic mass [GeV].
        eta: +1 neutrino, -1 antineutrino. C5A0, MA_delta: axial N-Delta parameters.
        pole_shift: shift of the propagator's pole from M_Delta [GeV] (:func:`breit_wigner`); the tensor keeps M_Delta.
    Negative values (outside the physical region) are returned as zero.
    """
    E = np.asarray(E, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    M = M_NUCLEON
    MD = M_DELTA
    M2 = M * M
    MD2 = MD * MD
    m2 = M_MU * M_MU
    c3v, c4v, c4a, c5a, c6a = delta_ffs(Q2, C5A0, MA_delta)
    kp = M * E
    qp = 0.5 * (Q2 + W * W - M2)
    K = M * MD
    Sig = qp + M2 + M * MD
    D = qp - Q2
    c3v2, c4v2, c4a2, c5a2, c6a2 = c3v**2, c4v**2, c4a**2, c5a**2, c6a**2

    V1 = (
        2.0 * c3v2 / (M2 * MD2) * (D * D * (qp + M2) + MD2 * (qp * qp + Q2 * M2 + Q2 * K))
        + 2.0 * c4v2 / M2**2 * D * D * (qp + M2 - K)
        + 2.0 * c3v * c4v / (M2 * K) * D * (D * (qp + M2 - 2.0 * K) + MD2 * qp)
        + 2.0 * (c4a2 * D * D / M2**2 + c5a2 + 2.0 * c4a * c5a * D / M2) * Sig
    )
    V2 = (
        2.0 * c3v2 / MD2 * Q2 * (qp + M2 + MD2)
        + 2.0 * c4v2 / M2 * Q2 * (qp + M2 - K)
        + 2.0 * c3v * c4v / K * Q2 * (qp + (MD - M) ** 2)
        + 2.0 * (c5a2 * M2 / MD2 + c4a2 * Q2 / M2) * Sig
    )
    V3 = (4.0 / MD) * (-c3v * c4a * D / M - c3v * c5a * M) * (2.0 * MD2 + 2.0 * K + Q2 - qp) + 4.0 * D * (
        -c4v * c4a * D / M2 - c4v * c5a
    )
    tq = 2.0 * qp - Q2
    V4 = (
        2.0 * c3v2 / MD2 * (tq * (qp + M2) - MD2 * (M2 + K))
        + 2.0 * c4v2 / M2 * tq * (qp + M2 - K)
        + 2.0 * c3v * c4v / K * (tq * (qp + M2 - 2.0 * K) + qp * MD2)
        + 2.0
        * (
            c5a2 * M2 / MD2
            + c4a2 * tq / M2
            + c6a2 * ((Q2 - qp) ** 2 + Q2 * MD2) / (M2 * MD2)
            + 2.0 * c4a * c5a
            - 2.0 * c4a * c6a * qp / M2
            - 2.0 * c5a * c6a * (MD2 + Q2 - qp) / MD2
        )
        * Sig
    )
    V5 = (
        2.0 * c3v2 / MD2 * qp * (qp + M2 + MD2)
        + 2.0 * c4v2 / M2 * qp * (qp + M2 - K)
        + 2.0 * c3v * c4v / K * qp * (qp + (MD - M) ** 2)
        + 2.0 * (c4a2 * qp / M2 + c5a2 * M2 / MD2 + c4a * c5a - c4a * c6a * Q2 / M2 - c5a * c6a * (Q2 - qp) / MD2) * Sig
    )
    W1 = -V1 / (2.0 * K)
    W2 = V2 / (2.0 * K)
    W3 = V3 / (2.0 * K)
    W4 = V4 / (2.0 * K)
    W5 = V5 / K
    L = MD * (
        2.0 * W1 * (-Q2 - m2)
        + (2.0 * W2 / M2) * (2.0 * kp * (kp - qp) - 0.5 * M2 * (Q2 + m2))
        - eta * (2.0 * W3 / M2) * (Q2 * kp - 0.5 * qp * (Q2 + m2))
        + (W4 / M2) * m2 * (Q2 + m2)
        - (W5 / M2) * m2 * kp
    )
    val = G_F**2 * COS_CABIBBO_RES**2 / (4.0 * np.pi * M * E * E) * W * breit_wigner(W, pole_shift) * L
    return np.where(np.isfinite(val) & (val > 0.0), val, 0.0)


def isospin_factor(eta: int, on_proton: np.ndarray) -> np.ndarray:
    """Isospin weight of the Delta channel: 1 for nu p / nubar n (I=3/2), 1/3 for nu n / nubar p."""
    on_proton = np.asarray(on_proton, dtype=bool)
    full = on_proton if eta > 0 else ~on_proton
    return np.where(full, 1.0, 1.0 / 3.0)
