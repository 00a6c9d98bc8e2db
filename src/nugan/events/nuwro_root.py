"""Reader of raw NuWro output ROOT files (tree ``treeout``, branch ``e`` of class ``event``).

What is read (uproot, split leaves; NuWro works in MeV, converted to GeV):

* ``E_nu`` = ``in[0].t``; ``E_mu`` = ``out[0].t`` (the primary lepton, total energy);
  ``cos_theta`` = angle between the 3-momenta of ``in[0]`` and ``out[0]``.
* channel from ``flag.*``: hyp -> OTHER, qel -> QE, mec -> MEC, res -> RES, dis -> DIS,
  coh -> COH, anything else (e.g. ``lep``) -> OTHER.
* probe = ``in[0].pdg``; target Z/A = ``par.nucleus_p`` / ``par.nucleus_p + par.nucleus_n``.
* ``xsec_cm2``: NuWro stores the flux-averaged total cross section per nucleon as every
  event's ``weight``; the sample's value is ``sum(weight of kept events) / N_file``.
* seed = ``par.random_seed``; energy range from ``par.beam_energy`` when ``beam_type == 0``.
  NuWro does not write its version into the file, so ``generator_version`` stays empty.

Only CC events whose primary lepton is a muon are kept; NC events and events without a muon are
counted per reason in :class:`~nugan.events.loading.ReadResult.skipped`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nugan.events.loading import RawEvents, channels_from_flags, cos_between
from nugan.events.root_io import open_tree, read_leaves
from nugan.events.table import SampleMeta

__all__ = ["TREE", "load_nuwro_root", "nuwro_energy_range"]

TREE = "treeout"
_MEV = 1e-3  # MeV -> GeV

_LEAVES = {
    "in_t": "e/in/in.t",
    "in_x": "e/in/in.x",
    "in_y": "e/in/in.y",
    "in_z": "e/in/in.z",
    "in_pdg": "e/in/in.pdg",
    "out_t": "e/out/out.t",
    "out_x": "e/out/out.x",
    "out_y": "e/out/out.y",
    "out_z": "e/out/out.z",
    "out_pdg": "e/out/out.pdg",
    "cc": "e/flag/flag.cc",
    "qel": "e/flag/flag.qel",
    "res": "e/flag/flag.res",
    "dis": "e/flag/flag.dis",
    "coh": "e/flag/flag.coh",
    "mec": "e/flag/flag.mec",
    "hyp": "e/flag/flag.hyp",
    "weight": "e/weight",
    "Z": "e/par/par.nucleus_p",
    "N": "e/par/par.nucleus_n",
    "seed": "e/par/par.random_seed",
    "beam_type": "e/par/par.beam_type",
    "beam_energy": "e/par/par.beam_energy.string",
}
_OPTIONAL = ("hyp", "seed", "beam_type", "beam_energy")


def _first(arr: Any, fill: float) -> np.ndarray:
    """First entry of each list of a jagged array; ``fill`` for empty lists."""
    import awkward as ak

    return ak.to_numpy(ak.fill_none(ak.firsts(arr), fill)).astype(np.float64)


def nuwro_energy_range(beam_energy: str, beam_type: int) -> tuple[float, float] | None:
    """(E_min, E_max) [GeV] from NuWro's ``beam_energy`` card (MeV); None unless beam_type 0."""
    parts = str(beam_energy).split()
    if beam_type != 0 or not parts:
        return None
    try:
        values = [float(p) * _MEV for p in parts[:2]]
    except ValueError:
        return None
    return (values[0], values[-1])


def _meta(a: dict[str, Any]) -> SampleMeta:
    """Provenance from the ``par`` leaves of the first event."""
    kw: dict[str, Any] = {"source": "nuwro", "model": "nuwro"}
    if "seed" in a and len(a["seed"]):
        kw["seed"] = int(a["seed"][0])
    if "beam_energy" in a and "beam_type" in a and len(a["beam_type"]):
        kw["energy_range"] = nuwro_energy_range(str(a["beam_energy"][0]), int(a["beam_type"][0]))
    return SampleMeta(**kw)


def load_nuwro_root(path: str | os.PathLike[str]) -> RawEvents:
    """Every event of a NuWro ROOT file with CC/muon rejection masks (see module docstring)."""
    import awkward as ak

    path = Path(path)
    tree = open_tree(path, TREE)
    a = read_leaves(tree, _LEAVES, path, optional=_OPTIONAL)
    n = len(a["weight"])
    nu = np.stack([_first(a[f"in_{c}"], np.nan) for c in "txyz"], axis=1) * _MEV
    lep = np.stack([_first(a[f"out_{c}"], np.nan) for c in "txyz"], axis=1) * _MEV
    lep_pdg = _first(a["out_pdg"], 0).astype(np.int64)
    flag = {k: ak.to_numpy(a[k]).astype(bool) for k in ("cc", "qel", "res", "dis", "coh", "mec")}
    hyp = ak.to_numpy(a["hyp"]).astype(bool) if "hyp" in a else np.zeros(n, dtype=bool)
    channel = channels_from_flags(
        {
            "OTHER": hyp,
            "QE": flag["qel"],
            "MEC": flag["mec"],
            "RES": flag["res"],
            "DIS": flag["dis"],
            "COH": flag["coh"],
        },
        n,
    )
    Z = ak.to_numpy(a["Z"]).astype(np.int64)
    weight = ak.to_numpy(a["weight"]).astype(np.float64)
    return RawEvents(
        E_nu=nu[:, 0],
        E_mu=lep[:, 0],
        cos_theta=cos_between(nu[:, 1:], lep[:, 1:]),
        probe_pdg=_first(a["in_pdg"], 0).astype(np.int64),
        target_Z=Z,
        target_A=Z + ak.to_numpy(a["N"]).astype(np.int64),
        channel=channel,
        xsec_share=weight / n if n else weight,
        rejects={
            "not charged current (NC or other)": ~flag["cc"],
            "primary lepton is not a muon": np.abs(lep_pdg) != 13,
        },
        meta=_meta(a),
    )
