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
        binding_extra: LFG removal energy on top of E_F(r) [GeV].
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


def nuclear_config(target: str, model: ModelParams) -> NuclearConfig:
    """Build the :class:`NuclearConfig` of ``target`` ('C12', 'O16', 'Ar40', 'Fe56') under ``model``."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; the simulator supports {sorted(TARGETS)}")
    Z, A = TARGETS[target]
    N = A - Z
    s = model.kf_scale
    if model.nuclear_model == "rfg":
        kp, kn, erm = GENIE_RFG[target]
        return NuclearConfig(target, Z, A, False, kp * s, kn * s, erm, erm)
    if model.nuclear_model == "gfg":
        kp = model.gfg_kf * (2.0 * Z / A) ** (1.0 / 3.0) * s
        kn = model.gfg_kf * (2.0 * N / A) ** (1.0 / 3.0) * s
        return NuclearConfig(target, Z, A, False, kp, kn, model.gfg_eb, model.gfg_eb)
    r = np.linspace(0.0, 12.0, 4001)
    shape = density(r, target)
    norm = np.trapezoid(4.0 * np.pi * r * r * shape, r)
    rho = A * shape / norm  # nucleons / fm^3
    pdf = r * r * shape
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(r))])
    cdf /= cdf[-1]
    kfp = HBARC * np.cbrt(3.0 * np.pi**2 * rho * Z / A) * s
    kfn = HBARC * np.cbrt(3.0 * np.pi**2 * rho * N / A) * s
    return NuclearConfig(
        target, Z, A, True, r_grid=r, r_cdf=cdf, kfp_r=kfp, kfn_r=kfn, binding_extra=model.binding_extra
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


def sample_nucleons(cfg: NuclearConfig, n: int, rng: np.random.Generator, proton_prob: float) -> Nucleons:
    """Draw ``n`` struck nucleons: protons with probability ``proton_prob``, uniform in the Fermi sphere.

    In the local model the radius is drawn from r^2 rho(r) and k_F, eps = E_F(r) + binding_extra depend on r.
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
    cth = 2.0 * rng.random(n) - 1.0
    phi = 2.0 * np.pi * rng.random(n)
    sth = np.sqrt(1.0 - cth * cth)
    p = np.stack([pmag * sth * np.cos(phi), pmag * sth * np.sin(phi), pmag * cth], axis=1)
    if cfg.local:
        eps = np.sqrt(kf * kf + mass * mass) - mass + cfg.binding_extra
    else:
        eps = np.where(on_p, cfg.eps_p, cfg.eps_n)
    energy = np.sqrt(mass * mass + pmag * pmag) - eps
    return Nucleons(on_p, p, energy, mass, kfp, kfn)
