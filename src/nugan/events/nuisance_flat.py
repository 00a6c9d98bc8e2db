"""Reader of NUISANCE flat trees (``nuisflat``, tree ``FlatTree_VARS`` or another ``*_VARS``, GeV).

What is read: ``E_nu`` = ``Enu_true``; ``E_mu`` = ``ELep`` (total energy); ``cos_theta`` =
``CosLep``; probe = ``PDGnu``; target = ``tgtz``/``tgta`` (or decoded from the nuclear PDG code
``tgt``); channel from the NEUT ``Mode`` (see :func:`neut_mode_to_channel`); ``weight`` =
``Weight`` (dropped when all 1).

Kept: CC events (``cc`` branch, or ``|Mode| < 30`` without it) whose lepton ``PDGLep`` is a muon.
Cross section: NUISANCE normalises so that ``sum(Weight * fScaleFactor)`` over any set of events is
its flux-averaged cross section per nucleon [cm^2]; ``xsec_cm2`` is that sum over the kept events.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nugan.events.loading import RawEvents, weight_or_none
from nugan.events.root_io import open_tree, read_leaves, root_keys
from nugan.events.table import CHANNEL_CODES, SampleMeta

__all__ = ["TREE", "find_flat_tree", "neut_mode_to_channel", "load_nuisance_flat"]

TREE = "FlatTree_VARS"

# |NEUT mode| of CC processes -> nugan channel; other CC modes (e.g. 15 diffractive) are OTHER.
_NEUT_CC = {
    1: "QE",
    2: "MEC",
    11: "RES",
    12: "RES",
    13: "RES",
    16: "COH",
    17: "RES",
    21: "DIS",
    22: "RES",
    23: "RES",
    26: "DIS",
}

_LEAVES = {
    "Enu": "Enu_true",
    "ELep": "ELep",
    "CosLep": "CosLep",
    "PDGnu": "PDGnu",
    "PDGLep": "PDGLep",
    "Mode": "Mode",
    "cc": "cc",
    "tgt": "tgt",
    "tgta": "tgta",
    "tgtz": "tgtz",
    "Weight": "Weight",
    "fScaleFactor": "fScaleFactor",
}
_OPTIONAL = ("PDGLep", "cc", "tgt", "tgta", "tgtz", "Weight", "fScaleFactor")


def neut_mode_to_channel(mode: np.ndarray) -> np.ndarray:
    """int8 nugan channels from NEUT interaction modes (sign ignored; NC modes -> OTHER).

    1 QE; 2 MEC (2p2h); 11, 12, 13 (1 pi), 17 (1 gamma), 22 (1 eta), 23 (1 K) RES; 16 COH;
    21 (multi-pi), 26 DIS; anything else OTHER.
    """
    m = np.abs(np.asarray(mode, dtype=np.int64))
    out = np.full(m.shape, CHANNEL_CODES["OTHER"], dtype=np.int8)
    for code, name in _NEUT_CC.items():
        out[m == code] = CHANNEL_CODES[name]
    return out


def find_flat_tree(keys: dict[str, str]) -> str | None:
    """Name of the NUISANCE flat tree among ROOT ``{name: class}`` keys, or None."""
    if keys.get(TREE) == "TTree":
        return TREE
    trees = sorted(k for k, v in keys.items() if v == "TTree" and k.endswith("_VARS"))
    return trees[0] if trees else None


def _np(a: Any, dtype: type) -> np.ndarray:
    """Flat numpy copy of a leaf."""
    import awkward as ak

    return np.asarray(ak.to_numpy(a)).astype(dtype)


def _target(a: dict[str, Any], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(Z, A) per event from tgtz/tgta or the nuclear PDG code tgt."""
    if "tgtz" in a and "tgta" in a:
        return _np(a["tgtz"], np.int64), _np(a["tgta"], np.int64)
    if "tgt" in a:
        code = _np(a["tgt"], np.int64)
        return (code // 10000) % 1000, (code // 10) % 1000
    raise ValueError(f"{path}: flat tree has neither 'tgtz'/'tgta' nor 'tgt' (the target)")


def load_nuisance_flat(path: str | os.PathLike[str]) -> RawEvents:
    """Every event of a NUISANCE flat tree with CC/muon rejection masks (see module docstring)."""
    path = Path(path)
    name = find_flat_tree(root_keys(path))
    if name is None:
        raise ValueError(f"{path}: no NUISANCE flat tree ('{TREE}' or '*_VARS') in the file")
    a = read_leaves(open_tree(path, name), _LEAVES, path, optional=_OPTIONAL)
    mode = _np(a["Mode"], np.int64)
    cc = _np(a["cc"], bool) if "cc" in a else (np.abs(mode) < 30)
    Z, A = _target(a, path)
    w = _np(a["Weight"], np.float64) if "Weight" in a else np.ones(len(mode))
    share = w * _np(a["fScaleFactor"], np.float64) if "fScaleFactor" in a else None
    rejects = {"not charged current (cc / Mode)": ~cc}
    if "PDGLep" in a:
        rejects["primary lepton is not a muon"] = np.abs(_np(a["PDGLep"], np.int64)) != 13
    return RawEvents(
        E_nu=_np(a["Enu"], np.float64),
        E_mu=_np(a["ELep"], np.float64),
        cos_theta=_np(a["CosLep"], np.float64),
        probe_pdg=_np(a["PDGnu"], np.int64),
        target_Z=Z,
        target_A=A,
        channel=neut_mode_to_channel(mode),
        weight=weight_or_none(w),
        xsec_share=share,
        rejects=rejects,
        meta=SampleMeta(source="nuisance", model="unknown", extra={"tree": name}),
    )
