"""Llewellyn-Smith CCQE cross section on a free nucleon (spec Sec. 2.1).

``dsigma_dQ2`` is the differential cross section in the nucleon rest frame [GeV^-4 per GeV^-2 units,
i.e. GeV^-2 / GeV^2]; multiply by :data:`nugan.constants.GEV2_TO_CM2` for cm^2/GeV^2.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from nugan.constants import GEV2_TO_CM2, M_MU, M_NEUTRON, M_NUCLEON, M_PROTON
from nugan.physics.form_factors import (
    COS_CABIBBO,
    G_F,
    axial_fa,
    isovector_f1_f2,
    pseudoscalar_fp,
)

__all__ = [
    "dsigma_dQ2",
    "ls_dsigma_dQ2",
    "q2_range",
    "free_sigma",
    "TEM_A",
    "TEM_B",
    "tem_dsigma_dQ2",
    "BERPA",
    "berpa",
    "lh_contraction",
    "deforest_dsigma_dQ2",
]

#: Transverse enhancement R_T = 1 + A Q2 exp(-Q2/B) of Bodek, Budd & Christy, EPJC 71 (2011) 1726 [-, GeV^2].
TEM_A = 6.0
TEM_B = 0.34

#: BeRPA nominal (A, B, D, E, U [GeV^2]): C. Wilkinson's fit to the Nieves et al. RPA/no-RPA ratio of CCQE on
#: C12 (Nieves, Amaro, Valverde, PRC 70 (2004) 055503), the "BeRPA" form of T2K's interaction model and nusystematics.
BERPA = (0.59, 1.05, 1.13, 0.88, 1.20)


def berpa(Q2: np.ndarray, params: tuple[float, float, float, float, float] = BERPA) -> np.ndarray:
    """BeRPA factor on the CCQE cross section at ``Q2`` [GeV^2] (1 = no RPA).

    Below U a cubic Bernstein polynomial in x = Q2/U with end values A (Q2 = 0) and D (Q2 = U); above U
    1 + (D - 1) exp(-E (Q2 - U)); C = D + U E (D - 1)/3 makes the two pieces join smoothly.
    """
    a, b, d, e, u = params
    Q2 = np.clip(np.asarray(Q2, dtype=np.float64), 0.0, None)
    x = np.minimum(Q2 / u, 1.0)
    y = 1.0 - x
    c = d + u * e * (d - 1.0) / 3.0
    low = a * y**3 + 3.0 * b * y * y * x + 3.0 * c * y * x * x + d * x**3
    high = 1.0 + (d - 1.0) * np.exp(-e * (Q2 - u))
    return np.where(x < 1.0, low, high)


def dsigma_dQ2(
    E: np.ndarray,
    Q2: np.ndarray,
    eta: int,
    M_A: float,
    vector_ff: str = "bbba05",
    gm_scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Llewellyn-Smith d(sigma)/dQ2 [GeV^-4] for nu n -> mu- p (``eta=+1``) or nubar p -> mu+ n (``eta=-1``).

    Args:
        E: neutrino energy in the nucleon rest frame [GeV].
        Q2: four-momentum transfer squared [GeV^2].
        eta: +1 neutrino, -1 antineutrino.
        M_A: axial mass [GeV].
        vector_ff: vector form factor set ('bbba05' or 'dipole').
        gm_scale: factor on the isovector magnetic form factor G_M^V (1 = free nucleon; the transverse
            enhancement of :func:`tem_dsigma_dQ2` uses sqrt(R_T)).
    Returns zero where the result would be negative (outside physical phase space).
    """
    E = np.asarray(E, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    M = M_NUCLEON
    tau = Q2 / (4.0 * M * M)
    f1, f2 = isovector_f1_f2(Q2, vector_ff)
    if not np.all(np.asarray(gm_scale) == 1.0):
        # F1 + F2 = G_M and tau F2 - F1 ... : rebuild (F1, F2) from G_E = F1 - tau F2 and the scaled G_M
        ge = f1 - tau * f2
        gm = (f1 + f2) * gm_scale
        f1 = (ge + tau * gm) / (1.0 + tau)
        f2 = (gm - ge) / (1.0 + tau)
    fa = axial_fa(Q2, M_A)
    fp = pseudoscalar_fp(Q2, fa)
    return ls_dsigma_dQ2(E, Q2, eta, f1, f2, fa, fp, M, COS_CABIBBO**2)


def ls_dsigma_dQ2(
    E: np.ndarray,
    Q2: np.ndarray,
    eta: int,
    f1: np.ndarray,
    f2: np.ndarray,
    fa: np.ndarray,
    fp: np.ndarray,
    M: float,
    ckm2: float,
    m_in: float | None = None,
    dm2: float = 0.0,
) -> np.ndarray:
    """Llewellyn-Smith d(sigma)/dQ2 [GeV^-4] for given vector (f1, f2), axial (fa) and pseudoscalar (fp) form factors.

    ``M`` [GeV] is the baryon mass of the hadronic tensor, ``ckm2`` |V_ud|^2 (or |V_us|^2 for hyperons);
    for a transition between unequal masses ``m_in`` is the struck baryon's mass and ``dm2`` = M_f^2 - M_i^2
    [GeV^2] enters s - u = 4 m_in E - Q2 - m_mu^2 - dm2. Zero where the result would be negative.
    """
    E = np.asarray(E, dtype=np.float64)
    Q2 = np.asarray(Q2, dtype=np.float64)
    m2 = M_MU * M_MU
    tau = Q2 / (4.0 * M * M)
    a = (
        (m2 + Q2)
        / (M * M)
        * (
            (1.0 + tau) * fa**2
            - (1.0 - tau) * f1**2
            + tau * (1.0 - tau) * f2**2
            + 4.0 * tau * f1 * f2
            - m2 / (4.0 * M * M) * ((f1 + f2) ** 2 + (fa + 2.0 * fp) ** 2 - 4.0 * (1.0 + tau) * fp**2)
        )
    )
    b = Q2 / (M * M) * fa * (f1 + f2)
    c = 0.25 * (fa**2 + f1**2 + tau * f2**2)
    su = 4.0 * (M if m_in is None else m_in) * E - Q2 - m2 - dm2
    pref = G_F**2 * ckm2 * M * M / (8.0 * np.pi * E * E)
    val = pref * (a + eta * b * su / (M * M) + c * su * su / M**4)
    return np.where(val > 0.0, val, 0.0)


def tem_dsigma_dQ2(E: np.ndarray, Q2: np.ndarray, eta: int, M_A: float, vector_ff: str = "bbba05") -> np.ndarray:
    """2p2h part of the transverse enhancement model [GeV^-4]: LS with G_M^2 -> R_T G_M^2, minus LS.

    R_T(Q2) = 1 + TEM_A Q2 exp(-Q2 / TEM_B) (Bodek, Budd & Christy 2011); arguments as :func:`dsigma_dQ2`.
    """
    Q2 = np.nan_to_num(np.clip(np.asarray(Q2, dtype=np.float64), 0.0, None))
    rt = 1.0 + TEM_A * Q2 * np.exp(-Q2 / TEM_B)
    enh = dsigma_dQ2(E, Q2, eta, M_A, vector_ff, gm_scale=np.sqrt(rt))
    return np.clip(enh - dsigma_dQ2(E, Q2, eta, M_A, vector_ff), 0.0, None)


def q2_range(E: np.ndarray, M_i: float, M_f: float) -> tuple[np.ndarray, np.ndarray]:
    """(Q2_min, Q2_max) [GeV^2] for nu + N(M_i at rest) -> mu + X(M_f); NaN below threshold."""
    E = np.asarray(E, dtype=np.float64)
    s = M_i * M_i + 2.0 * M_i * E
    rs = np.sqrt(s)
    e_nu = (s - M_i * M_i) / (2.0 * rs)
    e_mu = (s + M_MU**2 - M_f * M_f) / (2.0 * rs)
    with np.errstate(invalid="ignore"):
        p_mu = np.sqrt(e_mu * e_mu - M_MU**2)
    return 2.0 * e_nu * (e_mu - p_mu) - M_MU**2, 2.0 * e_nu * (e_mu + p_mu) - M_MU**2


@lru_cache(maxsize=4)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def free_sigma(E: float, probe_pdg: int, M_A: float = 1.03, vector_ff: str = "bbba05", n: int = 400) -> float:
    """Free-nucleon CCQE cross section [cm^2] at neutrino energy ``E`` [GeV] (Gauss-Legendre in Q2).

    ``probe_pdg`` 14: nu_mu n -> mu- p; -14: anti-nu_mu p -> mu+ n. Zero below threshold.
    """
    eta = 1 if probe_pdg > 0 else -1
    M_i, M_f = (M_NEUTRON, M_PROTON) if eta > 0 else (M_PROTON, M_NEUTRON)
    lo, hi = q2_range(np.array([E]), M_i, M_f)
    if not np.isfinite(hi[0]) or hi[0] <= lo[0]:
        return 0.0
    # integrate in t = ln(1 + Q2) to resolve the low-Q2 region
    xg, wg = _gauss_legendre(n)
    ta, tb = np.log1p(lo[0]), np.log1p(hi[0])
    t = 0.5 * (tb - ta) * xg + 0.5 * (tb + ta)
    q2 = np.expm1(t)
    f = dsigma_dQ2(np.full_like(q2, E), q2, eta, M_A, vector_ff) * (1.0 + q2)
    return float(0.5 * (tb - ta) * np.sum(wg * f) * GEV2_TO_CM2)


def _mdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minkowski product of (n, 4) four-vectors (E, px, py, pz), metric (+, -, -, -)."""
    return a[:, 0] * b[:, 0] - np.einsum("ij,ij->i", a[:, 1:], b[:, 1:])


def lh_contraction(
    k: np.ndarray, kp: np.ndarray, p: np.ndarray, q: np.ndarray, eta: int, Q2_ff: np.ndarray, M_A: float, vector_ff: str
) -> np.ndarray:
    """Lepton-hadron tensor contraction L_{mu nu} H^{mu nu} of CCQE on a nucleon [GeV^4, up to a constant].

    Four-vectors (n, 4) [GeV]: neutrino ``k``, muon ``kp``, on-shell initial nucleon ``p``, four-momentum transfer
    ``q`` given to the hadronic vertex (``k - kp`` for a free nucleon; de Forest's q~ off shell); form factors at
    ``Q2_ff`` [GeV^2]. The hadronic tensor is Llewellyn Smith's (Phys. Rep. 3 (1972) 261) in terms of the
    structure functions h1 = F_A^2 (1 + tau) + tau (F1 + F2)^2, h2 = F_A^2 + F1^2 + tau F2^2,
    h3 = -eta 2 F_A (F1 + F2) (the V-A interference; the sign for this module's F_A(0) = G_A, checked against
    :func:`dsigma_dQ2`), h4 = F2^2 (1 - tau)/4 + F1 F2/2 + F_A F_P - tau F_P^2,
    contracted with the lepton tensor as in the de Forest off-shell prescription (NPA 392 (1983) 232).
    """
    tau = Q2_ff / (4.0 * M_NUCLEON**2)
    f1, f2 = isovector_f1_f2(Q2_ff, vector_ff)
    fa = axial_fa(Q2_ff, M_A)
    fp = pseudoscalar_fp(Q2_ff, fa)
    M2 = M_NUCLEON**2
    kk, pk, pkp = _mdot(k, kp), _mdot(p, k), _mdot(p, kp)
    pq, kq, kpq, qq = _mdot(p, q), _mdot(k, q), _mdot(kp, q), _mdot(q, q)
    a1 = 2.0 * M2 * kk
    a2 = 2.0 * pk * pkp - M2 * kk + pk * kpq + pkp * kq - kk * pq
    a3 = pkp * kq - pk * kpq
    a4 = kk * qq - 2.0 * kq * kpq
    h1 = fa * fa * (1.0 + tau) + (f1 + f2) ** 2 * tau
    h2 = fa * fa + f1 * f1 + f2 * f2 * tau
    h3 = -2.0 * fa * (f1 + f2) * eta  # sign of :func:`dsigma_dQ2`'s convention (F_A(0) = G_A)
    h4 = 0.25 * f2 * f2 * (1.0 - tau) + 0.5 * f1 * f2 + fa * fp - fp * fp * tau
    return 2.0 * (a1 * h1 + a2 * h2 + a3 * h3 + a4 * h4)


def deforest_dsigma_dQ2(
    E: float,
    e_mu: np.ndarray,
    p_mu: np.ndarray,
    p_n: np.ndarray,
    binding: np.ndarray,
    eta: int,
    M_A: float,
    vector_ff: str = "bbba05",
) -> np.ndarray:
    """CCQE d(sigma)/dQ2 [GeV^-4] on a bound nucleon in de Forest's off-shell prescription.

    G_F^2 |V_ud|^2 / (8 pi) L H(q~) / (k.p)^2: the free-nucleon formula (exactly :func:`dsigma_dQ2` when
    ``binding`` is 0 and the nucleon at rest) with the hadronic vertex struck by q~ = (omega - binding, q) and
    form factors at Q~2 = |q|^2 - (omega - binding)^2 (de Forest, NPA 392 (1983) 232; NuWro's spectral-function
    QE does the same). ``E`` neutrino energy along +z [GeV]; muon energy ``e_mu`` (n,) and momentum ``p_mu``
    (n, 3), nucleon momentum ``p_n`` (n, 3) and ``binding`` (n,) = its on-shell minus off-shell energy [GeV].
    """
    n = len(e_mu)
    k = np.zeros((n, 4))
    k[:, 0] = E
    k[:, 3] = E
    kp = np.concatenate([e_mu[:, None], p_mu], axis=1)
    p = np.concatenate([np.sqrt(M_NUCLEON**2 + np.einsum("ij,ij->i", p_n, p_n))[:, None], p_n], axis=1)
    qt = k - kp
    qt[:, 0] -= binding
    Q2t = np.clip(-_mdot(qt, qt), 0.0, None)
    lh = lh_contraction(k, kp, p, qt, eta, Q2t, M_A, vector_ff)
    val = G_F**2 * COS_CABIBBO**2 / (8.0 * np.pi) * lh / _mdot(k, p) ** 2
    return np.where(val > 0.0, val, 0.0)
