"""Derived lepton kinematics as pure vectorised functions (GeV, lab frame, nu along z).

Definitions follow ``shared/docs/method.md``: Q2 = 2 E_nu (E_mu - p_mu cos) - m_mu^2, omega = E_nu - E_mu,
W^2 = M^2 + 2 M omega - Q2 with the nucleon at rest (M = 0.9389 GeV), x = Q2 / (2 M omega), y = omega / E_nu.
"""

from __future__ import annotations

import numpy as np

from nugan.constants import M_MU, M_NUCLEON

__all__ = ["p_mu", "omega", "Q2", "q3", "W", "W2", "bjorken_x", "inelasticity_y"]


def p_mu(E_mu: np.ndarray) -> np.ndarray:
    """Muon momentum [GeV] from its total energy; 0 at (or below) rest."""
    E_mu = np.asarray(E_mu, dtype=np.float64)
    return np.sqrt(np.clip(E_mu * E_mu - M_MU * M_MU, 0.0, None))


def omega(E_nu: np.ndarray, E_mu: np.ndarray) -> np.ndarray:
    """Energy transfer omega = E_nu - E_mu [GeV]."""
    return np.asarray(E_nu, dtype=np.float64) - np.asarray(E_mu, dtype=np.float64)


def Q2(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """Four-momentum transfer squared Q2 = -q^2 [GeV^2]."""
    E_nu = np.asarray(E_nu, dtype=np.float64)
    E_mu = np.asarray(E_mu, dtype=np.float64)
    return 2.0 * E_nu * (E_mu - p_mu(E_mu) * np.asarray(cos_theta, dtype=np.float64)) - M_MU**2


def q3(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """Three-momentum transfer |q| = sqrt(Q2 + omega^2) [GeV]."""
    w = omega(E_nu, E_mu)
    return np.sqrt(np.clip(Q2(E_nu, E_mu, cos_theta) + w * w, 0.0, None))


def W2(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """Hadronic invariant mass squared, struck nucleon at rest [GeV^2] (can be negative)."""
    M = M_NUCLEON
    return M * M + 2.0 * M * omega(E_nu, E_mu) - Q2(E_nu, E_mu, cos_theta)


def W(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """Hadronic invariant mass W [GeV], nucleon at rest; 0 where W^2 < 0 (far off-shell)."""
    return np.sqrt(np.clip(W2(E_nu, E_mu, cos_theta), 0.0, None))


def bjorken_x(E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """Bjorken x = Q2 / (2 M omega); NaN where omega <= 0."""
    w = omega(E_nu, E_mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w > 0, Q2(E_nu, E_mu, cos_theta) / (2.0 * M_NUCLEON * w), np.nan)


def inelasticity_y(E_nu: np.ndarray, E_mu: np.ndarray) -> np.ndarray:
    """Inelasticity y = omega / E_nu."""
    return omega(E_nu, E_mu) / np.asarray(E_nu, dtype=np.float64)
