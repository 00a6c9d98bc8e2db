"""Cabibbo-suppressed quasi-elastic hyperon production by anti-nu_mu (|Delta S| = 1, Delta S = Delta Q).

anti-nu_mu p -> mu+ Lambda, anti-nu_mu p -> mu+ Sigma0 and anti-nu_mu n -> mu+ Sigma-; neutrinos make no
hyperon quasi-elastically. The cross section is the Llewellyn-Smith one with G_F cos(theta_C) -> G_F
sin(theta_C) and the SU(3) (Cabibbo) transition form factors (e.g. Singh & Vicente Vacas, PRD 74 (2006) 053009;
Thorpe et al., PRC 104 (2021) 035502, arXiv:2010.12361, NuWro's implementation):

    p -> Lambda:  f_1,2 = -sqrt(3/2) F_1,2^p,          g_1 = -(1 + 2x)/sqrt(6) G_A(Q2)
    n -> Sigma-:  f_1,2 = -(F_1,2^p + 2 F_1,2^n),      g_1 = (1 - 2x) G_A(Q2)
    p -> Sigma0:  the Sigma- values / sqrt(2)

with x = F/(F + D) and the nucleon's Dirac/Pauli form factors F^p, F^n. The hadronic tensor is evaluated with
the mean of the nucleon and hyperon masses (an approximation of order (M_Y - M_N)/(M_Y + M_N) ~ 8-12 % on the
channel, itself a few % of the anti-nu cross section); the kinematics use the true masses.
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_NEUTRON, M_NUCLEON, M_PROTON
from nugan.physics.form_factors import COS_CABIBBO, G_A, axial_fa, sachs_bbba05, sachs_dipole
from nugan.physics.quasielastic import ls_dsigma_dQ2

__all__ = ["HYPERONS", "SIN2_CABIBBO", "AXIAL_F", "AXIAL_D", "M_KAON", "transition_form_factors", "dsigma_dQ2"]

#: (name, struck nucleon is a proton, hyperon mass [GeV]) (PDG 2022 masses).
HYPERONS: tuple[tuple[str, bool, float], ...] = (
    ("Lambda", True, 1.115683),
    ("Sigma0", True, 1.192642),
    ("Sigma-", False, 1.197449),
)
_BY_NAME = {name: (on_p, m) for name, on_p, m in HYPERONS}
SIN2_CABIBBO = 1.0 - COS_CABIBBO**2
#: SU(3) axial couplings, F + D = G_A (Cabibbo's F/D from hyperon semileptonic decays, F/D ~ 0.58).
AXIAL_F = 0.463
AXIAL_D = G_A - AXIAL_F
M_KAON = 0.493677  # [GeV], the pole of the induced pseudoscalar form factor


def _dirac_pauli(Q2: np.ndarray, vector_ff: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(F1^p, F2^p, F1^n, F2^n) at ``Q2`` [GeV^2] from the Sachs form factors."""
    gep, gmp, gen, gmn = sachs_bbba05(Q2) if vector_ff == "bbba05" else sachs_dipole(Q2)
    t = np.asarray(Q2, dtype=np.float64) / (4.0 * M_NUCLEON**2)
    return (gep + t * gmp) / (1.0 + t), (gmp - gep) / (1.0 + t), (gen + t * gmn) / (1.0 + t), (gmn - gen) / (1.0 + t)


def transition_form_factors(
    Q2: np.ndarray, hyperon: str, M_A: float, vector_ff: str = "bbba05"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f1, f2, g1) of the N -> ``hyperon`` ('Lambda', 'Sigma0', 'Sigma-') transition at ``Q2`` [GeV^2]."""
    f1p, f2p, f1n, f2n = _dirac_pauli(Q2, vector_ff)
    ga = axial_fa(Q2, M_A)
    x = AXIAL_F / (AXIAL_F + AXIAL_D)
    if hyperon == "Lambda":
        s = -np.sqrt(1.5)
        return s * f1p, s * f2p, -(1.0 + 2.0 * x) / np.sqrt(6.0) * ga
    if hyperon in ("Sigma-", "Sigma0"):
        k = 1.0 if hyperon == "Sigma-" else 1.0 / np.sqrt(2.0)
        return -k * (f1p + 2.0 * f1n), -k * (f2p + 2.0 * f2n), k * (1.0 - 2.0 * x) * ga
    raise ValueError(f"unknown hyperon {hyperon!r}; choose one of {[h[0] for h in HYPERONS]}")


def dsigma_dQ2(E: np.ndarray, Q2: np.ndarray, hyperon: str, M_A: float, vector_ff: str = "bbba05") -> np.ndarray:
    """d(sigma)/dQ2 [GeV^-4] of anti-nu_mu N -> mu+ ``hyperon`` on a free nucleon at rest, E [GeV] in its frame."""
    f1, f2, g1 = transition_form_factors(Q2, hyperon, M_A, vector_ff)  # refuses unknown names
    on_p, m_y = _BY_NAME[hyperon]
    m_n = M_PROTON if on_p else M_NEUTRON
    m = 0.5 * (m_n + m_y)
    gp = 2.0 * m * m * g1 / (M_KAON**2 + np.asarray(Q2, dtype=np.float64))
    return ls_dsigma_dQ2(E, Q2, -1, f1, f2, g1, gp, m, SIN2_CABIBBO, m_in=m_n, dm2=m_y * m_y - m_n * m_n)
