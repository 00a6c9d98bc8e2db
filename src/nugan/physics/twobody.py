"""Two-body lepton kinematics nu + P_i -> mu + X(W) for a moving, off-shell initial state (vectorised).

The neutrino moves along +z in the lab. Q2 fixes the CM scattering angle; the azimuth is drawn uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nugan.constants import M_MU

__all__ = ["TwoBody", "cm_setup", "lepton_lab"]


@dataclass
class TwoBody:
    """CM quantities of nu(E) + P_i -> mu + X(W); arrays of length n [GeV].

    Attributes: beta (n,3) CM velocity, gamma, e_nu/e_mu/p_mu CM energies and muon momentum,
    q2_min/q2_max kinematic Q2 limits, ok (above threshold), k_cm (n,3) neutrino momentum in the CM.
    """

    beta: np.ndarray
    gamma: np.ndarray
    e_nu: np.ndarray
    e_mu: np.ndarray
    p_mu: np.ndarray
    q2_min: np.ndarray
    q2_max: np.ndarray
    ok: np.ndarray
    k_cm: np.ndarray


def cm_setup(E: np.ndarray | float, p_i: np.ndarray, e_i: np.ndarray, W: np.ndarray) -> TwoBody:
    """CM kinematics for neutrino energy ``E`` on initial 4-momentum (``e_i``, ``p_i`` (n,3)), final mass ``W``."""
    E = np.broadcast_to(np.asarray(E, dtype=np.float64), e_i.shape)
    P0 = E + e_i
    P = p_i.copy()
    P[:, 2] += E
    s = P0 * P0 - np.einsum("ij,ij->i", P, P)
    ok = s > (M_MU + W) ** 2
    s = np.where(ok, s, (M_MU + W + 1e-6) ** 2)
    rs = np.sqrt(s)
    beta = P / P0[:, None]
    # below-threshold trials (ok False, weight 0 downstream) may be spacelike: keep their boost finite
    b2 = np.minimum(np.einsum("ij,ij->i", beta, beta), 1.0 - 1e-9)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    # boost k = (E, 0, 0, E) by -beta
    bk = beta[:, 2] * E
    e_nu = gamma * (E - bk)
    coef = (gamma - 1.0) * bk / b2 - gamma * E
    k_cm = beta * coef[:, None]
    k_cm[:, 2] += E
    e_mu = (s + M_MU**2 - W * W) / (2.0 * rs)
    p_mu = np.sqrt(np.clip(e_mu * e_mu - M_MU**2, 0.0, None))
    q2_min = 2.0 * e_nu * (e_mu - p_mu) - M_MU**2
    q2_max = 2.0 * e_nu * (e_mu + p_mu) - M_MU**2
    return TwoBody(beta, gamma, e_nu, e_mu, p_mu, q2_min, q2_max, ok, k_cm)


def lepton_lab(tb: TwoBody, Q2: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Lab muon (energy (n,), momentum (n,3)) for the given Q2, with a uniform CM azimuth."""
    cth = np.clip((tb.e_mu - (Q2 + M_MU**2) / (2.0 * tb.e_nu)) / np.where(tb.p_mu > 0, tb.p_mu, 1.0), -1.0, 1.0)
    sth = np.sqrt(1.0 - cth * cth)
    e1 = tb.k_cm / np.linalg.norm(tb.k_cm, axis=1)[:, None]
    # a vector not parallel to e1
    a = np.zeros_like(e1)
    use_x = np.abs(e1[:, 0]) < 0.9
    a[use_x, 0] = 1.0
    a[~use_x, 1] = 1.0
    e2 = np.cross(e1, a)
    e2 /= np.linalg.norm(e2, axis=1)[:, None]
    e3 = np.cross(e1, e2)
    phi = 2.0 * np.pi * rng.random(len(Q2))
    pc = tb.p_mu[:, None] * (cth[:, None] * e1 + sth[:, None] * (np.cos(phi)[:, None] * e2 + np.sin(phi)[:, None] * e3))
    b = tb.beta
    b2 = np.einsum("ij,ij->i", b, b)
    bp = np.einsum("ij,ij->i", b, pc)
    e_lab = tb.gamma * (tb.e_mu + bp)
    coef = (tb.gamma - 1.0) * bp / b2 + tb.gamma * tb.e_mu
    p_lab = pc + b * coef[:, None]
    return e_lab, p_lab
