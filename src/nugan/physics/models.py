"""Named, versioned interaction-model parameter sets (spec Sec. 7) and user models from TOML/YAML.

A model is a frozen :class:`ModelParams`; :func:`get_model` returns a built-in one by name or loads a
file (``.toml``, ``.yaml``/``.yml``) whose keys are :class:`ModelParams` fields. Files may name a
``base`` built-in model and override only some fields, e.g.::

    name = "my-ma"
    base = "default"
    version = "1"
    description = "default with M_A = 1.1"
    M_A = 1.1
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ModelParams", "BUILTIN_MODELS", "list_models", "get_model", "load_model_file"]

_NUCLEAR = ("lfg", "rfg", "gfg")
_TRANSITION = ("blend", "cut")
_VECTOR = ("bbba05", "dipole")
_PAULI = ("local", "global")
_MEC = ("empirical", "tem")
#: options whose "off" value leaves the physics (and so the table fingerprint) as it was before they existed
_OFF: dict[str, float | bool] = {
    "qe_potential_u0": 0.0,
    "qe_potential_slope": 0.0,
    "moving_flux": False,
    "qe_deforest": False,
    "delta_pole_shift": 0.0,
}


@dataclass(frozen=True)
class ModelParams:
    """Every parameter of the built-in simulator (GeV units).

    Attributes:
        name, version, description: identification (``description`` is one line).
        nuclear_model: 'lfg' (local Fermi gas, eps = E_F(r) + binding_extra), 'rfg' (global relativistic
            Fermi gas with GENIE k_F and removal energies per target) or 'gfg' (global Fermi gas with
            ``gfg_kf`` and ``gfg_eb`` for every target).
        kf_scale: multiplies every Fermi momentum.
        binding_extra: LFG removal energy on top of E_F(r) [GeV] (NuWro 0.007).
        gfg_kf, gfg_eb: Fermi momentum and binding energy of the 'gfg' model [GeV].
        vector_ff: 'bbba05' or 'dipole'. M_A: QE axial mass [GeV]. pauli_blocking: QE Pauli blocking.
        C5A0, MA_delta: N-Delta axial coupling and mass [GeV].
        delta_pole_shift: shift of the Delta propagator's pole from 1.232 GeV [GeV], an effective parameter for the
            single-pion strength that NuWro's hybrid model puts below the Delta peak (its non-resonant background
            and the background-Delta interference); the hadronic tensor and the width keep the free Delta. 0 = off.
        transition: 'blend' (NuWro-classic linear alpha(W) between W_s and W_e) or 'cut' (RES below
            W_cut, DIS x dis_below_cut there, DIS only above).
        W_s, W_e, alpha0: blending parameters [GeV]; alpha0 applies to the mixed-isospin channels.
        W_cut, dis_below_cut: hard-cut parameters.
        dis_norm: DIS normalisation. mec_fraction: sigma_MEC / sigma_QE of the 'empirical' MEC; 0 turns MEC off
            in both models ('tem' has its own rate and ignores any other value).
        mec_apower: per-nucleus scaling exponent, sigma_MEC ~ (N/6)^(mec_apower - 1) ('empirical' MEC).
        separation_binding: LFG removal energy at the Fermi surface = the target's one-nucleon separation
            energy (S_p for protons, S_n for neutrons; AME2020) instead of ``binding_extra``.
        coulomb: shift the outgoing muon's energy by the nucleus' mean Coulomb potential (mu- lose, mu+ gain).
        neutron_coulomb: anti-nu QE (outgoing neutron) leaves the nucleus with the mean Coulomb potential V_C less
            energy transfer than a proton would: the real potential of an outgoing neutron is the proton's minus its
            Coulomb part, U_n = U_p - V_C (the tuned ``binding_extra`` carries U_p, fixed by nu QE with an outgoing
            proton), so the mu+ of anti-nu QE takes V_C more energy. Acts only with ``coulomb``; nu is unchanged.
        qe_potential_u0, qe_potential_slope: real potential of the outgoing QE nucleon as a function of its kinetic
            energy T, U(T) = min(u0 + slope T, 0) [GeV, -], with T = Q2/2M from the lepton; the muon takes -U(T)
            more energy (attractive at low T, vanishing above -u0/slope). 0, 0 = off (the default).
        src_fraction: share of nucleons in the correlated high-momentum tail (Bodek-Ritchie p^-4 to 4 k_F,
            removal energy of Ciofi degli Atti-Simula); 0 = pure Fermi gas.
        moving_flux: weight interactions on a moving nucleon with the flux factor of a moving target,
            (k.p)/(E_nu E_N) = 1 - p_z/E_N (on-shell E_N; the neutrino moves along +z): nucleons moving towards
            the neutrino meet more of the beam. Off (False) evaluates the rest-frame cross section only.
        qe_deforest: QE hadronic vertex off shell in de Forest's prescription (q~ = (omega - binding, q), form
            factors at Q~2; :func:`nugan.physics.quasielastic.deforest_dsigma_dQ2`), as NuWro's spectral-function QE.
        pauli_kf: QE Pauli blocking with the local k_F(r) ('local') or the nucleus-averaged k_F ('global').
        mec_model: 'empirical' (GENIE 2015 shape on a pair at rest, sigma = mec_fraction x QE) or 'tem'
            (Bodek-Budd-Christy transverse enhancement rate on a Fermi-moving nucleon pair).
        mec_w_mass, mec_w_width: Gaussian of the final pair mass [GeV] (both MEC models); with
            ``mec_w_lepton`` ('tem' only) a Gaussian in the lepton-level W of the pair at rest instead, the pair
            mass then rising with Q2 as W_f^2 = 4 M^2 + 2 (W^2 - M^2) + Q2.
        qe_rpa: strength of the RPA correction on QE: the cross section is multiplied by
            1 + qe_rpa (BeRPA(Q2) - 1), BeRPA being the fit to the Nieves RPA/no-RPA ratio on C12
            (:func:`nugan.physics.quasielastic.berpa`, used for every target); 0 = off, 1 = nominal.
        hyperons: anti-nu_mu quasi-elastic hyperon production (Lambda, Sigma0, Sigma-; channel 'HYP', written
            with the label OTHER as NuWro's hyperon events are).
        res2_share: resonant share of the DIS continuum in W 1.4-1.9 GeV, redistributed as D13/S11/D15/F15
            Breit-Wigners and labelled RES (0 = Delta only).
        E_min, E_max: supported neutrino energies [GeV].
    """

    name: str
    version: str
    description: str
    nuclear_model: str = "lfg"
    kf_scale: float = 1.0
    binding_extra: float = 0.007
    gfg_kf: float = 0.220
    gfg_eb: float = 0.034
    vector_ff: str = "bbba05"
    M_A: float = 1.03
    pauli_blocking: bool = True
    C5A0: float = 1.19
    MA_delta: float = 0.94
    delta_pole_shift: float = 0.0
    transition: str = "blend"
    W_s: float = 1.3
    W_e: float = 1.6
    alpha0: float = 0.25
    W_cut: float = 1.7
    dis_below_cut: float = 0.2
    dis_norm: float = 1.0
    mec_fraction: float = 0.30
    mec_apower: float = 0.9
    separation_binding: bool = False
    coulomb: bool = False
    neutron_coulomb: bool = False
    qe_potential_u0: float = 0.0
    qe_potential_slope: float = 0.0
    src_fraction: float = 0.0
    moving_flux: bool = False
    qe_deforest: bool = False
    pauli_kf: str = "local"
    mec_model: str = "empirical"
    mec_w_mass: float = 2.15
    mec_w_width: float = 0.05
    mec_w_lepton: bool = False
    res2_share: float = 0.0
    qe_rpa: float = 0.0
    hyperons: bool = False
    E_min: float = 0.1
    E_max: float = 20.0

    def __post_init__(self) -> None:
        problems = []
        if self.nuclear_model not in _NUCLEAR:
            problems.append(f"nuclear_model must be one of {_NUCLEAR}, got {self.nuclear_model!r}")
        if self.transition not in _TRANSITION:
            problems.append(f"transition must be one of {_TRANSITION}, got {self.transition!r}")
        if self.pauli_kf not in _PAULI:
            problems.append(f"pauli_kf must be one of {_PAULI}, got {self.pauli_kf!r}")
        if self.mec_model not in _MEC:
            problems.append(f"mec_model must be one of {_MEC}, got {self.mec_model!r}")
        if self.qe_potential_u0 > 0 or self.qe_potential_slope < 0:
            problems.append(
                f"need qe_potential_u0 <= 0 and qe_potential_slope >= 0, got {self.qe_potential_u0}, "
                f"{self.qe_potential_slope}"
            )
        if not 0.0 <= self.src_fraction < 1.0:
            problems.append(f"src_fraction must be in [0, 1), got {self.src_fraction!r}")
        if not 0.0 <= self.qe_rpa <= 1.0:
            problems.append(f"qe_rpa must be in [0, 1], got {self.qe_rpa!r}")
        if not -0.1 <= self.delta_pole_shift <= 0.1:
            problems.append(f"delta_pole_shift must be within [-0.1, 0.1] GeV, got {self.delta_pole_shift!r}")
        if not 0.0 <= self.res2_share <= 1.0:
            problems.append(f"res2_share must be in [0, 1], got {self.res2_share!r}")
        if not (self.mec_w_width > 0 and self.mec_w_mass > (0.9 if self.mec_w_lepton else 1.8)):
            problems.append(f"need mec_w_width > 0 and a larger mec_w_mass, got {self.mec_w_width}, {self.mec_w_mass}")
        if self.vector_ff not in _VECTOR:
            problems.append(f"vector_ff must be one of {_VECTOR}, got {self.vector_ff!r}")
        for key in ("kf_scale", "M_A", "MA_delta", "C5A0", "dis_norm", "gfg_kf"):
            if not getattr(self, key) > 0:
                problems.append(f"{key} must be > 0, got {getattr(self, key)!r}")
        for key in ("mec_fraction", "binding_extra", "gfg_eb", "alpha0", "dis_below_cut"):
            if getattr(self, key) < 0:
                problems.append(f"{key} must be >= 0, got {getattr(self, key)!r}")
        if not 1.08 < self.W_s < self.W_e:
            problems.append(f"need 1.08 < W_s < W_e, got W_s={self.W_s}, W_e={self.W_e}")
        if not self.W_cut > 1.08:
            problems.append(f"W_cut must exceed 1.08 GeV, got {self.W_cut}")
        if not 0.0 < self.E_min < self.E_max:
            problems.append(f"need 0 < E_min < E_max, got {self.E_min}, {self.E_max}")
        if problems:
            raise ValueError(f"model {self.name!r}: " + "; ".join(problems))

    @property
    def label(self) -> str:
        """'name@version'."""
        return f"{self.name}@{self.version}"

    def physics_dict(self) -> dict[str, Any]:
        """Parameters that change the physics (everything except name/version/description)."""
        d = dataclasses.asdict(self)
        for k in ("name", "version", "description"):
            d.pop(k)
        return d

    def fingerprint(self) -> str:
        """Short hash of :meth:`physics_dict` (used to key cached tables).

        Options added after tables were shipped (:data:`_OFF`) enter the hash only when switched on, so a model
        that leaves them off keeps its tables.
        """
        d = self.physics_dict()
        for key, off in _OFF.items():
            if d[key] == off:
                d.pop(key)
        text = json.dumps(d, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


#: The default before 2.4 (kept as the built-in "default-2.3"); 2.4 is it with the changes of docs/physics.md item 13.
_DEFAULT_23 = ModelParams(
    name="default-2.3",
    version="2.3",
    description="the default before 2.4: LFG (S_N-shifted binding) + SRC tail + RPA x0.5, Coulomb (mu and "
    "outgoing n), BBBA05, M_A=1.03, Delta (M_A 1.05) + 2nd/3rd res. duality fill + BY-DIS blend 1.3-1.9, TEM "
    "2p2h on Fermi-moving pairs, nubar hyperons",
    binding_extra=0.003,
    separation_binding=True,
    coulomb=True,
    neutron_coulomb=True,
    MA_delta=1.05,
    W_e=1.9,
    src_fraction=0.2,
    pauli_kf="local",
    mec_model="tem",
    mec_w_mass=1.10,
    mec_w_width=0.12,
    mec_w_lepton=True,
    res2_share=0.3,
    qe_rpa=0.5,
    hyperons=True,
)


BUILTIN_MODELS: dict[str, ModelParams] = {
    m.name: m
    for m in (
        dataclasses.replace(
            _DEFAULT_23,
            name="default",
            version="2.4",
            description="LFG (S_N-shifted binding) + SRC tail + RPA x0.5, Coulomb (mu and outgoing n), outgoing QE "
            "nucleon's U(T), BBBA05, M_A=1.03, Delta (M_A 1.05, pole -20 MeV) + 2nd/3rd res. duality fill + BY-DIS "
            "blend 1.3-1.9 (x1.05, no background under the Delta), TEM 2p2h on Fermi-moving pairs, nubar hyperons",
            qe_potential_u0=-0.010,
            qe_potential_slope=0.1,
            delta_pole_shift=-0.020,
            alpha0=0.0,
            dis_norm=1.05,
        ),
        ModelParams(
            name="genie-like",
            version="1.0",
            description="GENIE-like: global RFG, dipole FF, M_A=0.99, M_A(Delta)=1.12, W_cut 1.7, DIS x1.07",
            nuclear_model="rfg",
            vector_ff="dipole",
            M_A=0.99,
            MA_delta=1.12,
            transition="cut",
            dis_norm=1.07,
        ),
        ModelParams(
            name="high-ma-nomec",
            version="1.0",
            description="Global Fermi gas k_F=0.220, E_b=0.034, M_A=1.35, no MEC (strong QE-normalisation shift)",
            nuclear_model="gfg",
            M_A=1.35,
            mec_fraction=0.0,
        ),
        ModelParams(
            name="strong-nuclear",
            version="1.0",
            description="LFG with eps+10 MeV, k_F x1.1, C5A(0)=1.00, MEC 0.45xQE (shifted peaks and widths)",
            kf_scale=1.1,
            binding_extra=0.017,
            C5A0=1.00,
            mec_fraction=0.45,
        ),
        _DEFAULT_23,
    )
}


def list_models() -> list[ModelParams]:
    """The built-in models, in a fixed order."""
    return list(BUILTIN_MODELS.values())


def load_model_file(path: str | Path) -> ModelParams:
    """Read a user model from TOML or YAML (keys = :class:`ModelParams` fields, optional ``base``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: model file not found")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        data = tomllib.loads(path.read_text())
    elif suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(path.read_text()) or {}
    else:
        raise ValueError(f"{path}: model files must be .toml, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of model parameters")
    base_name = data.pop("base", "default")
    if base_name not in BUILTIN_MODELS:
        raise ValueError(f"{path}: unknown base model {base_name!r}; choose one of {sorted(BUILTIN_MODELS)}")
    names = {f.name for f in dataclasses.fields(ModelParams)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{path}: unknown model parameter(s) {unknown}; known: {sorted(names)}")
    data.setdefault("name", path.stem)
    data.setdefault("version", "user")
    data.setdefault("description", f"user model from {path.name} (base {base_name})")
    return dataclasses.replace(BUILTIN_MODELS[base_name], **data)


def get_model(model: str | ModelParams) -> ModelParams:
    """A built-in model by name, a :class:`ModelParams` unchanged, or a model loaded from a TOML/YAML path."""
    if isinstance(model, ModelParams):
        return model
    key = str(model)
    if key in BUILTIN_MODELS:
        return BUILTIN_MODELS[key]
    if key.lower().endswith((".toml", ".yaml", ".yml")):
        return load_model_file(key)
    raise ValueError(f"unknown model {key!r}; choose one of {sorted(BUILTIN_MODELS)} or give a .toml/.yaml file")
