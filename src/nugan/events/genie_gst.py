"""Reader of GENIE ``gst`` summary trees (``gntpc -f gst``, tree ``gst``, flat branches, GeV).

What is read: ``E_nu`` = ``Ev``; ``E_mu`` = ``El`` (total energy of the primary lepton);
``cos_theta`` = ``cthl`` (angle to the neutrino direction) or, when absent, the angle between
(``pxv``, ``pyv``, ``pzv``) and (``pxl``, ``pyl``, ``pzl``); probe = ``neu``; target =
``Z``, ``A``; channel from the flags ``coh`` -> COH, ``qel`` -> QE, ``mec`` -> MEC, ``res`` -> RES,
``dis`` -> DIS, otherwise OTHER; ``weight`` = ``wght`` (dropped when all 1).

Kept: ``cc`` events whose final-state primary lepton ``fspl`` is a muon. ``XSec`` in gst is the
cross section of each event at its own energy, not flux-averaged, so ``xsec_cm2`` is unknown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nugan.events.loading import RawEvents, channels_from_flags, cos_between, weight_or_none
from nugan.events.root_io import open_tree, read_leaves
from nugan.events.table import SampleMeta

__all__ = ["TREE", "load_genie_gst"]

TREE = "gst"

_LEAVES = {
    "Ev": "Ev",
    "El": "El",
    "cthl": "cthl",
    "pxv": "pxv",
    "pyv": "pyv",
    "pzv": "pzv",
    "pxl": "pxl",
    "pyl": "pyl",
    "pzl": "pzl",
    "neu": "neu",
    "fspl": "fspl",
    "Z": "Z",
    "A": "A",
    "cc": "cc",
    "qel": "qel",
    "mec": "mec",
    "res": "res",
    "dis": "dis",
    "coh": "coh",
    "wght": "wght",
}
_OPTIONAL = ("cthl", "pxv", "pyv", "pzv", "pxl", "pyl", "pzl", "mec", "wght")


def _np(a: Any, dtype: type) -> np.ndarray:
    """Flat numpy copy of a leaf."""
    import awkward as ak

    return np.asarray(ak.to_numpy(a)).astype(dtype)


def _cos(a: dict[str, Any], path: Path) -> np.ndarray:
    """cthl if stored, else the angle between the neutrino and lepton momenta."""
    if "cthl" in a:
        return _np(a["cthl"], np.float64)
    need = ("pxv", "pyv", "pzv", "pxl", "pyl", "pzl")
    if not all(k in a for k in need):
        raise ValueError(f"{path}: gst tree has neither 'cthl' nor the momenta {list(need)}")
    v = np.stack([_np(a[k], np.float64) for k in need[:3]], axis=1)
    lep = np.stack([_np(a[k], np.float64) for k in need[3:]], axis=1)
    return cos_between(v, lep)


def load_genie_gst(path: str | os.PathLike[str]) -> RawEvents:
    """Every event of a GENIE gst file with CC/muon rejection masks (see module docstring)."""
    path = Path(path)
    a = read_leaves(open_tree(path, TREE), _LEAVES, path, optional=_OPTIONAL)
    n = len(a["Ev"])
    flags = {k: (_np(a[k], bool) if k in a else np.zeros(n, dtype=bool)) for k in ("coh", "qel", "mec", "res", "dis")}
    channel = channels_from_flags(
        {"COH": flags["coh"], "QE": flags["qel"], "MEC": flags["mec"], "RES": flags["res"], "DIS": flags["dis"]}, n
    )
    return RawEvents(
        E_nu=_np(a["Ev"], np.float64),
        E_mu=_np(a["El"], np.float64),
        cos_theta=_cos(a, path),
        probe_pdg=_np(a["neu"], np.int64),
        target_Z=_np(a["Z"], np.int64),
        target_A=_np(a["A"], np.int64),
        channel=channel,
        weight=weight_or_none(_np(a["wght"], np.float64)) if "wght" in a else None,
        rejects={
            "not charged current (cc flag)": ~_np(a["cc"], bool),
            "primary lepton is not a muon": np.abs(_np(a["fspl"], np.int64)) != 13,
        },
        meta=SampleMeta(source="genie", model="genie"),
    )
