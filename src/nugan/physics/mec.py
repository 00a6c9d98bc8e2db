"""Empirical 2p2h/MEC (GENIE ``EmpiricalMECPXSec2015`` shape, spec Sec. 5).

Scattering on a nucleon pair at rest (mass M2 = 2M). The shape in (W2, Q2) is

    d^2 sigma/dW2 dQ2 ~ exp(-(W2 - 2.15)^2 / (2 0.05^2)) Q2 (1 + Q2/0.4)^-8 [A + (s-u)^2 C]

and the normalisation is fixed per neutrino energy to a fraction of the nuclear CCQE cross section.
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_MU, M_NUCLEON

__all__ = ["M_PAIR", "W2_PEAK", "W2_WIDTH", "mec_q2_shape", "mec_scale"]

M_PAIR = 2.0 * M_NUCLEON  # [GeV]
W2_PEAK = 2.15  # [GeV]
W2_WIDTH = 0.05  # [GeV]


def mec_q2_shape(E: np.ndarray | float, Q2: np.ndarray) -> np.ndarray:
    """Unnormalised Q2 dependence Q2 (1+Q2/0.4)^-8 [A + (s-u)^2 C] at fixed W2 (E, Q2 in GeV, GeV^2)."""
    E = np.asarray(E, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    m2 = M_MU * M_MU
    M2 = M_PAIR
    tau = Q2 / (4.0 * M2 * M2)
    a = (m2 + Q2) / (M2 * M2) * (tau * (1.0 + tau) - tau * tau * (1.0 - tau) + 4.0 * tau * tau) / (1.0 + tau) ** 2
    c = tau / (4.0 * (1.0 + tau))
    su = 4.0 * M2 * E - Q2 - m2
    val = Q2 * (1.0 + Q2 / 0.4) ** -8 * (a + su * su * c)
    return np.where(val > 0, val, 0.0)


def mec_scale(mec_fraction: float, n_neutrons: int, apower: float) -> float:
    """sigma_MEC / sigma_QE per nucleon: fraction * (N/6)^(apower - 1) (GENIE A-scaling relative to C12)."""
    return mec_fraction * (n_neutrons / 6.0) ** (apower - 1.0)
