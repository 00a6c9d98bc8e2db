"""Physical constants shared by every stage (GeV, natural units)."""

from __future__ import annotations

__all__ = [
    "M_MU",
    "M_NUCLEON",
    "M_PROTON",
    "M_NEUTRON",
    "M_PION",
    "M_DELTA",
    "GEV2_TO_CM2",
    "PDG_NUMU",
    "PDG_NUMUBAR",
    "PROBES",
    "TARGETS",
    "probe_pdg",
    "probe_name",
    "target_za",
    "target_name",
    "nucleus_pdg",
]

M_MU = 0.105658  # muon mass [GeV]
M_PROTON = 0.938272  # [GeV]
M_NEUTRON = 0.939565  # [GeV]
M_NUCLEON = 0.9389  # average nucleon mass used for W, x (method.md) [GeV]
M_PION = 0.13957  # charged pion [GeV]
M_DELTA = 1.232  # Delta(1232) [GeV]
GEV2_TO_CM2 = 0.389379e-27  # 1 GeV^-2 in cm^2

PDG_NUMU = 14
PDG_NUMUBAR = -14

PROBES: dict[str, int] = {"numu": PDG_NUMU, "numubar": PDG_NUMUBAR}

# name -> (Z, A)
TARGETS: dict[str, tuple[int, int]] = {
    "C12": (6, 12),
    "O16": (8, 16),
    "Ar40": (18, 40),
    "Fe56": (26, 56),
}


def probe_pdg(name: str | int) -> int:
    """PDG code of a probe given as 'numu'/'numubar' or a PDG code (14/-14)."""
    if isinstance(name, int) or (isinstance(name, str) and name.lstrip("-").isdigit()):
        code = int(name)
        if code not in PROBES.values():
            raise ValueError(f"unsupported probe PDG code {code}; nugan models nu_mu (14) and anti-nu_mu (-14)")
        return code
    key = str(name).lower().replace("_", "").replace("-", "")
    aliases = {"numu": 14, "numubar": -14, "antinumu": -14, "anumu": -14}
    if key not in aliases:
        raise ValueError(f"unknown probe {name!r}; choose one of {sorted(PROBES)}")
    return aliases[key]


def probe_name(pdg: int) -> str:
    """'numu' or 'numubar' for a PDG code."""
    for k, v in PROBES.items():
        if v == pdg:
            return k
    raise ValueError(f"unsupported probe PDG code {pdg}")


def target_za(name: str) -> tuple[int, int]:
    """(Z, A) of a target given as 'C12', 'c12', 'Ar40', or a nuclear PDG code 10LZZZAAAI."""
    s = str(name).strip()
    if s.isdigit() and len(s) == 10:
        code = int(s)
        return (code // 10000) % 1000, (code // 10) % 1000
    for key, za in TARGETS.items():
        if key.lower() == s.lower():
            return za
    raise ValueError(f"unknown target {name!r}; choose one of {sorted(TARGETS)}")


def target_name(Z: int, A: int) -> str:
    """Conventional name ('C12') for (Z, A); 'Z{Z}A{A}' when not one of nugan's targets."""
    for key, za in TARGETS.items():
        if za == (Z, A):
            return key
    return f"Z{Z}A{A}"


def nucleus_pdg(Z: int, A: int) -> int:
    """Nuclear PDG code 10LZZZAAAI (L = I = 0)."""
    return 1000000000 + Z * 10000 + A * 10
