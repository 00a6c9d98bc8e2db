"""NuWro ROOT reader on a synthetic ``treeout`` written with uproot (no ``../shared`` needed).

NuWro writes one split branch ``e`` of class ``event``; uproot reads its leaves by path
(``e/in/in.t``, ``e/flag/flag.cc``, ``e/par/par.nucleus_p``, ...). uproot cannot write such a split
object branch (a ``TBranchElement`` tree with the ``event`` streamer); it writes plain branches.
It does accept a slash in a branch name, and reads a branch named ``e/in/in.t`` back under that
same path, so the tree below has exactly the leaf paths, types and shapes the reader asks for:
particle vectors as jagged float64/int32 leaves (one shared counter per vector, as ROOT's split
``vector<particle>``), flags as bool, ``weight`` as float64, ``par`` ints as int32 and
``par.beam_energy`` as a string. What it cannot check is the reading of the real split layout
itself; ``test_formats_nuwro.py`` does that on the real fixture when ``../shared`` is there.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from nugan.constants import M_MU
from nugan.events.loading import REASON_PROBE
from nugan.events.readers import detect_format, load_events, read_events
from nugan.events.table import CHANNEL_CODES

MEV = 1000.0
PARTICLE = ("t", "x", "y", "z", "pdg")
FLAGS = ("cc", "qel", "res", "dis", "coh", "mec", "hyp")
XSEC = 3.5e-38  # NuWro stores the flux-averaged total cross section as every event's weight
SKIPPED = (
    r"kept 6 of 9 events; skipped beam is not nu_mu / anti-nu_mu \(1\), "
    r"not charged current \(NC or other\) \(1\), primary lepton is not a muon \(1\)"
)


def _particle(E: float, p: float, cos: float, pdg: int, phi: float = 0.3) -> dict[str, float]:
    """A particle [MeV] of energy E and momentum p at polar angle acos(cos) to +z."""
    sin = np.sqrt(1.0 - cos**2)
    return {"t": E, "x": p * sin * np.cos(phi), "y": p * sin * np.sin(phi), "z": p * cos, "pdg": pdg}


def _nu(E_gev: float, pdg: int = 14) -> dict[str, float]:
    return _particle(E_gev * MEV, E_gev * MEV, 1.0, pdg)


def _lepton(E_gev: float, cos: float, pdg: int = 13, mass: float = M_MU) -> dict[str, float]:
    return _particle(E_gev * MEV, np.sqrt(E_gev**2 - mass**2) * MEV, cos, pdg)


NUCLEON = {"t": 938.27, "x": 50.0, "y": -20.0, "z": 10.0, "pdg": 2212}
PION = {"t": 400.0, "x": -100.0, "y": 30.0, "z": 350.0, "pdg": 211}

#: (E_nu, E_mu, cos_theta) [GeV] of the events a reader must keep, with their flag and channel.
KEPT = [
    (1.0, 0.62, 0.81, "qel", "QE"),
    (2.5, 1.30, 0.37, "res", "RES"),
    (7.0, 3.10, 0.95, "dis", "DIS"),
    (0.8, 0.45, -0.52, "mec", "MEC"),
    (4.0, 3.70, 0.998, "coh", "COH"),
    (1.6, 1.10, 0.12, "hyp", "OTHER"),  # hyperon production (NuWro also sets qel): OTHER first
]


def _events() -> list[dict]:
    """The kept events, then one NC event, one CC nu_e event and one event without an outgoing list."""
    evs = []
    for E_nu, E_mu, cos, flag, _ch in KEPT:
        flags = dict.fromkeys(FLAGS, False) | {"cc": True, flag: True}
        if flag == "hyp":
            flags["qel"] = True
        struck = [] if flag == "coh" else [NUCLEON] * (2 if flag == "mec" else 1)
        hadrons = [PION] if flag in ("res", "dis", "coh") else [NUCLEON]
        evs.append({"in": [_nu(E_nu), *struck], "out": [_lepton(E_mu, cos), *hadrons], "flags": flags})
    nc = dict.fromkeys(FLAGS, False) | {"qel": True}
    evs.append({"in": [_nu(1.2), NUCLEON], "out": [_lepton(0.9, 0.5, pdg=14, mass=0.0), NUCLEON], "flags": nc})
    cc_qe = dict.fromkeys(FLAGS, False) | {"cc": True, "qel": True}
    evs.append(
        {"in": [_nu(1.4, pdg=12), NUCLEON], "out": [_lepton(1.0, 0.6, pdg=11, mass=0.000511), NUCLEON], "flags": cc_qe}
    )
    evs.append({"in": [_nu(2.0), NUCLEON], "out": [], "flags": cc_qe})
    return evs


def write_nuwro_tree(
    path: Path,
    events: list[dict],
    drop: tuple[str, ...] = (),
    seed: int = 3001,
    beam_type: int = 0,
    beam_energy: str = "300 10000",
) -> Path:
    """A ROOT file with NuWro's ``treeout`` leaves (MeV) for ``events``, minus the ``drop`` paths."""
    n = len(events)
    cols: dict[str, object] = {}
    for vec in ("in", "out"):
        fields = {f: ak.Array([[p[f] for p in ev[vec]] for ev in events]) for f in PARTICLE}
        fields = {
            f: ak.values_astype(a, np.int32 if f == "pdg" else np.float64)
            for f, a in fields.items()
            if f"e/{vec}/{vec}.{f}" not in drop
        }
        cols[f"e/{vec}"] = ak.zip(fields)
    for flag in FLAGS:
        cols[f"e/flag/flag.{flag}"] = np.array([ev["flags"][flag] for ev in events], dtype=bool)
    cols["e/weight"] = np.full(n, XSEC)
    cols["e/par/par.nucleus_p"] = np.full(n, 6, dtype=np.int32)
    cols["e/par/par.nucleus_n"] = np.full(n, 6, dtype=np.int32)
    cols["e/par/par.random_seed"] = np.full(n, seed, dtype=np.int32)
    cols["e/par/par.beam_type"] = np.full(n, beam_type, dtype=np.int32)
    cols["e/par/par.beam_energy.string"] = ak.Array([beam_energy] * n)
    cols = {k: v for k, v in cols.items() if k not in drop}

    def branch_type(v: object) -> object:
        return v.type.content if isinstance(v, ak.Array) else v.dtype  # type: ignore[attr-defined]

    with uproot.recreate(path) as f:
        f.mktree(
            "treeout",
            {k: branch_type(v) for k, v in cols.items()},
            counter_name=lambda counted: "n" + counted.replace("/", "_"),
            field_name=lambda outer, inner: f"{outer}/{outer.rsplit('/', 1)[-1]}.{inner}",
            title="Tree of events",
        )
        f["treeout"].extend(cols)
    return path


@pytest.fixture
def nuwro_file(tmp_path: Path) -> Path:
    return write_nuwro_tree(tmp_path / "nuwro.root", _events())


def test_synthetic_tree_has_the_reader_paths(nuwro_file: Path) -> None:
    """The written leaves sit at NuWro's paths with its shapes (jagged particle leaves)."""
    tree = uproot.open(nuwro_file)["treeout"]
    keys = set(tree.keys(recursive=True))
    assert {
        "e/in/in.t",
        "e/out/out.pdg",
        "e/flag/flag.cc",
        "e/weight",
        "e/par/par.nucleus_n",
        "e/par/par.beam_energy.string",
    } <= keys
    assert str(tree["e/in/in.t"].interpretation) == "AsJagged(AsDtype('>f8'))"
    assert str(tree["e/out/out.pdg"].interpretation) == "AsJagged(AsDtype('>i4'))"
    assert tree["e/in/in.pdg"].array().tolist()[4] == [14]  # coherent: the neutrino only


def test_nuwro_round_trip_known_kinematics(nuwro_file: Path) -> None:
    assert detect_format(nuwro_file) == "nuwro-root"
    res = load_events(nuwro_file)
    t = res.table
    assert res.fmt == "nuwro-root" and res.n_records == len(KEPT) + 3
    assert res.skipped == {REASON_PROBE: 1, "not charged current (NC or other)": 1, "primary lepton is not a muon": 1}
    want = np.array([k[:3] for k in KEPT])
    np.testing.assert_allclose(t.E_nu, want[:, 0], rtol=1e-14)
    np.testing.assert_allclose(t.E_mu, want[:, 1], rtol=1e-14)
    np.testing.assert_allclose(t.cos_theta, want[:, 2], rtol=1e-12, atol=1e-14)
    assert t.channel.tolist() == [CHANNEL_CODES[k[4]] for k in KEPT]
    m = t.meta
    assert (m.probe_pdg, m.target_Z, m.target_A, m.target) == (14, 6, 6 + 6, "C12")
    assert (m.source, m.model, m.seed, m.energy_range) == ("nuwro", "nuwro", 3001, (0.3, 10.0))
    # sum of the kept events' weights over all events in the file (scaled: pytest.approx's default
    # absolute tolerance of 1e-12 would accept any value in cm^2)
    assert m.xsec_cm2 / XSEC == pytest.approx(len(KEPT) / (len(KEPT) + 3), rel=1e-12)
    assert t.weight is None  # NuWro events are unweighted: the weight is the cross section


def test_nuwro_beam_direction_is_taken_from_the_neutrino(tmp_path: Path) -> None:
    """cos_theta is the angle to in[0]'s momentum, not to +z: tilt beam and lepton together."""
    ev = _events()[0]
    tilt = np.deg2rad(25.0)
    rot = np.array([[np.cos(tilt), 0.0, np.sin(tilt)], [0.0, 1.0, 0.0], [-np.sin(tilt), 0.0, np.cos(tilt)]])
    tilted = dict(ev)
    for vec in ("in", "out"):
        tilted[vec] = []
        for p in ev[vec]:
            x, y, z = rot @ np.array([p["x"], p["y"], p["z"]])
            tilted[vec].append({**p, "x": x, "y": y, "z": z})
    t = read_events(write_nuwro_tree(tmp_path / "tilted.root", [tilted]))  # one CC event: no warning
    assert t.cos_theta[0] == pytest.approx(KEPT[0][2], rel=1e-12)
    assert t.E_nu[0] == pytest.approx(KEPT[0][0], rel=1e-14)


def test_nuwro_without_optional_leaves(tmp_path: Path) -> None:
    """hyp, the seed and the beam card are optional: without them hyperon events read as QE."""
    path = write_nuwro_tree(
        tmp_path / "old.root",
        _events(),
        drop=("e/flag/flag.hyp", "e/par/par.random_seed", "e/par/par.beam_type", "e/par/par.beam_energy.string"),
    )
    with pytest.warns(UserWarning, match=SKIPPED):
        t = read_events(path)
    assert len(t) == len(KEPT)
    assert t.channel[-1] == CHANNEL_CODES["QE"]
    assert t.meta.seed is None and t.meta.energy_range is None


@pytest.mark.parametrize(
    ("beam_type", "card", "expected"),
    [
        (0, "500 1000 1 2 3 2 1", (0.5, 1.0)),  # inline histogram: its edges, MeV -> GeV
        (0, "2000", (2.0, 2.0)),  # monoenergetic
        (5, "300 10000", None),  # a flux from a ROOT file: the card does not give the range
    ],
)
def test_nuwro_energy_range_from_the_beam_card(
    tmp_path: Path, beam_type: int, card: str, expected: tuple[float, float] | None
) -> None:
    path = write_nuwro_tree(tmp_path / "b.root", _events(), beam_type=beam_type, beam_energy=card)
    with pytest.warns(UserWarning, match=SKIPPED):
        assert read_events(path).meta.energy_range == expected


@pytest.mark.parametrize(
    "missing",
    [
        ("e/weight",),
        ("e/flag/flag.cc",),
        ("e/par/par.nucleus_n",),
        ("e/out/out.z",),
        ("e/in/in.pdg", "e/flag/flag.mec"),
    ],
)
def test_nuwro_missing_branch(tmp_path: Path, missing: tuple[str, ...]) -> None:
    path = write_nuwro_tree(tmp_path / "cut.root", _events(), drop=missing)
    assert detect_format(path) == "nuwro-root"
    listed = ", ".join(repr(m) for m in sorted(missing, key=_reader_order))
    with pytest.raises(ValueError, match=rf"cut\.root: tree 'treeout' lacks the branch\(es\) \[{listed}\]"):
        read_events(path)


def _reader_order(leaf: str) -> int:
    from nugan.events.nuwro_root import _LEAVES

    return list(_LEAVES.values()).index(leaf)


def test_inspect_on_synthetic_nuwro(nuwro_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from nugan.cli import app
    from nugan.commands import common

    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.err_console, "width", 300)
    result = CliRunner().invoke(app, ["inspect", str(nuwro_file)])
    out = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "nuwro-root" in out and f"events │ {len(KEPT)} " in out
    assert f"skipped │ 3 of {len(KEPT) + 3}" in out
