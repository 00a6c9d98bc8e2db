"""Nucleon form factors and electroweak constants for CC scattering (GeV, natural units).

Spec: ``shared/docs/physics.md`` Sec. 2.2 (BBBA05 / dipole vector form factors, dipole axial form factor,
PCAC pseudoscalar form factor). All functions are pure and vectorised over ``Q2`` [GeV^2].
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_NUCLEON, M_PION

__all__ = [
    "G_F",
    "COS_CABIBBO",
    "MU_P",
    "MU_N",
    "G_A",
    "MV2",
    "sachs_bbba05",
    "sachs_dipole",
    "isovector_f1_f2",
    "axial_fa",
    "pseudoscalar_fp",
]

G_F = 1.16637e-5  # Fermi constant [GeV^-2]
COS_CABIBBO = 0.97418  # cos(theta_C) used for QE
MU_P = 2.7928  # proton magnetic moment [nuclear magnetons]
MU_N = -1.9130  # neutron magnetic moment
G_A = 1.267  # axial coupling |g_A| (F_A(0) > 0 in the sign convention of Sec. 2.1)
MV2 = 0.71  # vector dipole mass squared [GeV^2]


def _tau(Q2: np.ndarray) -> np.ndarray:
    return np.asarray(Q2, dtype=np.float64) / (4.0 * M_NUCLEON**2)


def sachs_bbba05(Q2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BBBA05 Sachs form factors (G_E^p, G_M^p, G_E^n, G_M^n) at ``Q2`` [GeV^2] (valid Q2 < 18)."""
    t = _tau(Q2)
    gep = (1.0 - 0.0578 * t) / (1.0 + 11.1 * t + 13.6 * t**2 + 33.0 * t**3)
    gmp = MU_P * (1.0 + 0.15 * t) / (1.0 + 11.1 * t + 19.6 * t**2 + 7.54 * t**3)
    gen = (1.25 * t + 1.30 * t**2) / (1.0 - 9.86 * t + 305.0 * t**2 - 758.0 * t**3 + 802.0 * t**4)
    gmn = MU_N * (1.0 + 1.81 * t) / (1.0 + 14.1 * t + 20.7 * t**2 + 68.7 * t**3)
    return gep, gmp, gen, gmn


def sachs_dipole(Q2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dipole Sachs form factors with M_V^2 = 0.71 GeV^2 and the Galster G_E^n."""
    Q2 = np.asarray(Q2, dtype=np.float64)
    t = _tau(Q2)
    gd = 1.0 / (1.0 + Q2 / MV2) ** 2
    return gd, MU_P * gd, -MU_N * t * gd / (1.0 + 5.6 * t), MU_N * gd


def isovector_f1_f2(Q2: np.ndarray, vector_ff: str = "bbba05") -> tuple[np.ndarray, np.ndarray]:
    """Isovector Dirac/Pauli form factors (F1, F2) for CC scattering; F2(0) = mu_p - mu_n - 1 = 3.706.

    Args:
        Q2: four-momentum transfer squared [GeV^2].
        vector_ff: ``"bbba05"`` or ``"dipole"``.
    """
    if vector_ff == "bbba05":
        gep, gmp, gen, gmn = sachs_bbba05(Q2)
    elif vector_ff == "dipole":
        gep, gmp, gen, gmn = sachs_dipole(Q2)
    else:
        raise ValueError(f"unknown vector form factor set {vector_ff!r}; choose 'bbba05' or 'dipole'")
    t = _tau(Q2)
    ge = gep - gen
    gm = gmp - gmn
    f1 = (ge + t * gm) / (1.0 + t)
    f2 = (gm - ge) / (1.0 + t)
    return f1, f2


def axial_fa(Q2: np.ndarray, M_A: float) -> np.ndarray:
    """Dipole axial form factor F_A = g_A / (1 + Q2/M_A^2)^2 (positive), ``M_A`` [GeV]."""
    return G_A / (1.0 + np.asarray(Q2, dtype=np.float64) / (M_A * M_A)) ** 2


def pseudoscalar_fp(Q2: np.ndarray, fa: np.ndarray) -> np.ndarray:
    """PCAC pion-pole pseudoscalar form factor F_P = 2 M^2 F_A / (m_pi^2 + Q2)."""
    return 2.0 * M_NUCLEON**2 * fa / (M_PION**2 + np.asarray(Q2, dtype=np.float64))
