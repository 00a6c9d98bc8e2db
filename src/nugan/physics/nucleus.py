"""Nuclear ground state: Fermi-gas nucleon momenta, removal energies and Pauli blocking (spec Sec. 2.3).

:func:`nuclear_config` turns a target and a :class:`~nugan.physics.models.ModelParams` into a
:class:`NuclearConfig`; :func:`sample_nucleons` draws struck nucleons from it (vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nugan.constants import M_NEUTRON, M_PROTON, TARGETS
from nugan.physics.models import ModelParams

__all__ = [
    "HBARC",
    "DENSITY_PROFILES",
    "GENIE_RFG",
    "NuclearConfig",
    "Nucleons",
    "nuclear_config",
    "sample_nucleons",
    "density",
    "S_1N",
    "REACTION_THRESHOLD",
    "S_2N",
    "SRC_PMAX_KF",
    "sample_src_tail",
    "src_removal",
    "coulomb_potential",
]

HBARC = 0.19733  # [GeV fm]

#: de Vries et al. (1987) charge-density shapes as in NuWro nucleus_data.cc:
#: ('ho', a [fm], alpha) harmonic oscillator or ('2pf', c [fm], z [fm]) two-parameter Fermi.
DENSITY_PROFILES: dict[str, tuple[str, float, float]] = {
    "C12": ("ho", 1.69, 1.08),
    "O16": ("ho", 1.833, 1.544),
    "Ar40": ("2pf", 3.53, 0.542),
    "Fe56": ("2pf", 4.111, 0.558),
}

#: GENIE RFG Fermi momenta (proton, neutron) and removal energy [GeV] (FermiMomentumTables, CommonParam).
GENIE_RFG: dict[str, tuple[float, float, float]] = {
    "C12": (0.221, 0.221, 0.025),
    "O16": (0.225, 0.225, 0.027),
    "Ar40": (0.242, 0.259, 0.0295),
    "Fe56": (0.251, 0.263, 0.036),
}


#: Two-nucleon (np) separation energies [GeV] from the AME2020 mass excesses, e.g. C12 -> B10 + n + p:
#: 12.051 + 8.071 + 7.289 - 0 MeV = 27.4 MeV. Threshold of the correlated (SRC) part of the spectral function.
S_2N: dict[str, float] = {"C12": 0.0274, "O16": 0.0230, "Ar40": 0.0206, "Fe56": 0.0204}

#: One-nucleon separation energies (S_p, S_n) [GeV] from the AME2020 mass tables: the removal energy at the
#: Fermi surface when ``ModelParams.separation_binding`` is on (e.g. C12: S_n = 18.72 MeV, Ar40: 9.87 MeV).
S_1N: dict[str, tuple[float, float]] = {
    "C12": (0.01596, 0.01872),
    "O16": (0.01213, 0.01566),
    "Ar40": (0.01253, 0.00987),
    "Fe56": (0.01018, 0.01120),
}

#: Ground-state reaction thresholds (nu_mu: A(Z) -> A(Z+1), anti-nu_mu: A(Z) -> A(Z-1)) in energy transfer [GeV]:
#: nuclear mass differences from the AME2020 atomic mass excesses (e.g. C12 -> B12: 13.369 + 0.511 MeV).
REACTION_THRESHOLD: dict[str, tuple[float, float]] = {
    "C12": (0.01683, 0.01388),
    "O16": (0.01491, 0.01093),
    "Ar40": (0.00099, 0.00799),
    "Fe56": (0.00406, 0.00421),
}

#: Upper end of the Bodek-Ritchie high-momentum tail, in units of the local Fermi momentum.
SRC_PMAX_KF = 4.0


def coulomb_potential(Z: int, A: int) -> float:
    """Mean Coulomb potential energy of a unit charge over a uniformly charged sphere, 1.2 Z alpha hbar c / R [GeV].

    R = 1.2 A^(1/3) fm; the average of V(r) = (Z alpha / 2R)(3 - r^2/R^2) over the sphere's volume: the
    effective-momentum-approximation shift of the outgoing lepton's energy (Engel, PRC 57 (1998) 2004).
    C12: 3.8 MeV, Ar40: 7.6 MeV.
    """
    alpha_hbarc = 1.439964e-3  # [GeV fm]
    return 1.2 * Z * alpha_hbarc / (1.2 * A ** (1.0 / 3.0))


def density(r: np.ndarray, target: str) -> np.ndarray:
    """Unnormalised nuclear density shape at radius ``r`` [fm]."""
    kind, p1, p2 = DENSITY_PROFILES[target]
    r = np.asarray(r, dtype=np.float64)
    if kind == "ho":
        return (1.0 + p2 * (r / p1) ** 2) * np.exp(-((r / p1) ** 2))
    return 1.0 / (1.0 + np.exp((r - p1) / p2))


@dataclass(frozen=True)
class NuclearConfig:
    """A nucleus in a given nuclear model.

    Attributes:
        target: 'C12', ...; Z, A: protons and nucleons.
        local: True for the local Fermi gas (k_F depends on r), False for a global Fermi gas.
        kf_p, kf_n: global Fermi momenta [GeV] (global models). eps_p, eps_n: removal energies [GeV].
        r_grid [fm], r_cdf: inverse-CDF table of r^2 rho(r) (local model).
        kfp_r, kfn_r: k_F^p(r), k_F^n(r) on ``r_grid`` [GeV] (local model), already scaled.
        binding_extra: LFG removal energy on top of E_F(r) [GeV] (protons; ``binding_extra_n`` for neutrons).
        src_fraction: share of nucleons in the correlated high-momentum tail (0 = pure Fermi gas).
        s2n: two-nucleon separation energy of the target [GeV] (removal-energy threshold of the tail).
        pb_kf_p, pb_kf_n: nucleus-averaged Fermi momenta [GeV] for Pauli blocking with ``pauli_kf='global'``.
    """

    target: str
    Z: int
    A: int
    local: bool
    kf_p: float = 0.0
    kf_n: float = 0.0
    eps_p: float = 0.0
    eps_n: float = 0.0
    r_grid: np.ndarray | None = None
    r_cdf: np.ndarray | None = None
    kfp_r: np.ndarray | None = None
    kfn_r: np.ndarray | None = None
    binding_extra: float = 0.0
    binding_extra_n: float | None = None
    src_fraction: float = 0.0
    s2n: float = 0.0
    pb_kf_p: float = 0.0
    pb_kf_n: float = 0.0


def nuclear_config(target: str, model: ModelParams) -> NuclearConfig:
    """Build the :class:`NuclearConfig` of ``target`` ('C12', 'O16', 'Ar40', 'Fe56') under ``model``."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; the simulator supports {sorted(TARGETS)}")
    Z, A = TARGETS[target]
    N = A - Z
    s = model.kf_scale
    fs, s2n = model.src_fraction, S_2N[target]
    pbp, pbn = GENIE_RFG[target][0] * s, GENIE_RFG[target][1] * s
    if model.nuclear_model == "rfg":
        kp, kn, erm = GENIE_RFG[target]
        return NuclearConfig(
            target, Z, A, False, kp * s, kn * s, erm, erm, src_fraction=fs, s2n=s2n, pb_kf_p=pbp, pb_kf_n=pbn
        )
    if model.nuclear_model == "gfg":
        kp = model.gfg_kf * (2.0 * Z / A) ** (1.0 / 3.0) * s
        kn = model.gfg_kf * (2.0 * N / A) ** (1.0 / 3.0) * s
        return NuclearConfig(
            target, Z, A, False, kp, kn, model.gfg_eb, model.gfg_eb, src_fraction=fs, s2n=s2n, pb_kf_p=pbp, pb_kf_n=pbn
        )
    r = np.linspace(0.0, 12.0, 4001)
    shape = density(r, target)
    norm = np.trapezoid(4.0 * np.pi * r * r * shape, r)
    rho = A * shape / norm  # nucleons / fm^3
    pdf = r * r * shape
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(r))])
    cdf /= cdf[-1]
    kfp = HBARC * np.cbrt(3.0 * np.pi**2 * rho * Z / A) * s
    kfn = HBARC * np.cbrt(3.0 * np.pi**2 * rho * N / A) * s
    if model.separation_binding:  # C12 neutrons keep binding_extra; the rest shift by their separation energies
        be_p = model.binding_extra + S_1N[target][0] - S_1N["C12"][1]
        be_n = model.binding_extra + S_1N[target][1] - S_1N["C12"][1]
    else:
        be_p = be_n = model.binding_extra
    return NuclearConfig(
        target,
        Z,
        A,
        True,
        r_grid=r,
        r_cdf=cdf,
        kfp_r=kfp,
        kfn_r=kfn,
        binding_extra=be_p,
        binding_extra_n=be_n,
        src_fraction=fs,
        s2n=s2n,
        pb_kf_p=pbp,
        pb_kf_n=pbn,
    )


@dataclass
class Nucleons:
    """A batch of struck nucleons (arrays of length n).

    Attributes:
        on_proton: True for protons. p: momenta (n, 3) [GeV]. energy: off-shell energy sqrt(M^2+p^2) - eps
        [GeV]. mass: on-shell mass [GeV]. kf_p, kf_n: local proton/neutron Fermi momenta at the
        interaction point [GeV] (for Pauli blocking).
    """

    on_proton: np.ndarray
    p: np.ndarray
    energy: np.ndarray
    mass: np.ndarray
    kf_p: np.ndarray
    kf_n: np.ndarray


def sample_src_tail(kf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Momenta [GeV] of the Bodek-Ritchie tail n(p) ~ p^-4 on [k_F, 4 k_F] (|p| density ~ p^-2), from uniforms ``u``."""
    return kf / (1.0 - (1.0 - 1.0 / SRC_PMAX_KF) * u)


def src_removal(p: np.ndarray, s2n: float, A: int) -> np.ndarray:
    """Mean removal energy [GeV] of a correlated nucleon of momentum ``p`` [GeV] (Ciofi degli Atti-Simula 1996).

    E(p) = S_2N + (A - 2)/(A - 1) p^2 / (2 M): the partner nucleon takes the recoil of the correlated pair.
    """
    return s2n + (A - 2.0) / (A - 1.0) * p * p / (2.0 * M_NEUTRON)


def sample_nucleons(cfg: NuclearConfig, n: int, rng: np.random.Generator, proton_prob: float) -> Nucleons:
    """Draw ``n`` struck nucleons: protons with probability ``proton_prob``, uniform in the Fermi sphere.

    In the local model the radius is drawn from r^2 rho(r) and k_F, eps = E_F(r) + binding_extra depend on r.
    A share ``cfg.src_fraction`` of the nucleons is drawn instead from the correlated high-momentum tail
    (:func:`sample_src_tail`) with the removal energy of :func:`src_removal`; their off-shell energy is
    M - E(p) - p^2 / (2 M (A - 1)) (recoiling A-1 system).
    """
    on_p = rng.random(n) < proton_prob
    if cfg.local:
        assert cfg.r_cdf is not None and cfg.r_grid is not None and cfg.kfp_r is not None and cfg.kfn_r is not None
        r = np.interp(rng.random(n), cfg.r_cdf, cfg.r_grid)
        kfp = np.interp(r, cfg.r_grid, cfg.kfp_r)
        kfn = np.interp(r, cfg.r_grid, cfg.kfn_r)
    else:
        kfp = np.full(n, cfg.kf_p)
        kfn = np.full(n, cfg.kf_n)
    kf = np.where(on_p, kfp, kfn)
    mass = np.where(on_p, M_PROTON, M_NEUTRON)
    pmag = kf * np.cbrt(rng.random(n))
    tail = rng.random(n) < cfg.src_fraction if cfg.src_fraction > 0 else np.zeros(n, dtype=bool)
    if tail.any():
        pmag = np.where(tail, sample_src_tail(kf, rng.random(n)), pmag)
    cth = 2.0 * rng.random(n) - 1.0
    phi = 2.0 * np.pi * rng.random(n)
    sth = np.sqrt(1.0 - cth * cth)
    p = np.stack([pmag * sth * np.cos(phi), pmag * sth * np.sin(phi), pmag * cth], axis=1)
    if cfg.local:
        be_n = cfg.binding_extra if cfg.binding_extra_n is None else cfg.binding_extra_n
        eps = np.sqrt(kf * kf + mass * mass) - mass + np.where(on_p, cfg.binding_extra, be_n)
    else:
        eps = np.where(on_p, cfg.eps_p, cfg.eps_n)
    energy = np.sqrt(mass * mass + pmag * pmag) - eps
    if tail.any():
        e_src = mass - src_removal(pmag, cfg.s2n, cfg.A) - pmag * pmag / (2.0 * mass * (cfg.A - 1))
        energy = np.where(tail, e_src, energy)
    return Nucleons(on_p, p, energy, mass, kfp, kfn)
