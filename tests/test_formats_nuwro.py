"""NuWro ROOT reader on the real 500-event fixture, and ``nugan inspect`` on it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from nugan.constants import M_MU
from nugan.events.parquet_io import nuwro_dyn_to_channel
from nugan.events.readers import detect_format, load_events, read_events


def _expected_cc_muon(path: Path) -> tuple[int, np.ndarray]:
    """Independent count of CC events whose primary lepton is a muon, and the mean weight."""
    import awkward as ak
    import uproot

    t = uproot.open(path)["treeout"]
    cc = t["e/flag/flag.cc"].array(library="np")
    lep = ak.to_numpy(ak.fill_none(ak.firsts(t["e/out/out.pdg"].array()), 0))
    return int(np.sum(cc & (np.abs(lep) == 13))), t["e/weight"].array(library="np")


def test_nuwro_fixture_selection_and_units(nuwro_root_fixture: Path) -> None:
    expected, weight = _expected_cc_muon(nuwro_root_fixture)
    assert detect_format(nuwro_root_fixture) == "nuwro-root"
    res = load_events(nuwro_root_fixture)
    t = res.table
    print(f"NuWro fixture: {len(t)} CC events with a muon of {res.n_records}")
    assert res.n_records == 500
    assert len(t) == expected
    assert res.n_skipped == res.n_records - expected
    # GeV, beam 0.3-10 GeV, total muon energy above its mass and below E_nu
    assert t.E_nu.min() >= 0.3 and t.E_nu.max() <= 10.0
    assert t.E_mu.min() >= M_MU and np.all(t.E_mu <= t.E_nu)
    assert 0.3 <= t.E_mu.max() <= 10.0
    assert np.all(np.abs(t.cos_theta) <= 1.0)
    m = t.meta
    assert (m.probe_pdg, m.target_Z, m.target_A, m.target) == (14, 6, 12, "C12")
    assert m.source == "nuwro" and m.seed == 3001 and m.energy_range == (0.3, 10.0)
    assert m.xsec_cm2 == pytest.approx(weight.sum() / 500, rel=1e-12, abs=0)


def test_nuwro_lepton_kinematics_match_raw_leaves(nuwro_root_fixture: Path) -> None:
    import uproot

    tree = uproot.open(nuwro_root_fixture)["treeout"]
    a = tree.arrays(
        ["e/in/in.t", "e/in/in.z", "e/out/out.t", "e/out/out.x", "e/out/out.y", "e/out/out.z", "e/dyn"], entry_stop=5
    )
    t = read_events(nuwro_root_fixture)[:5]
    e_nu = np.array([v[0] for v in a["e/in/in.t"]]) / 1000.0
    lep = np.array([[a[f"e/out/out.{c}"][i][0] for c in "txyz"] for i in range(5)])
    assert np.allclose(t.E_nu, e_nu, rtol=1e-15)
    assert np.allclose(t.E_mu, lep[:, 0] / 1000.0, rtol=1e-15)
    # the fixture's beam runs along +z, so cos is p_z / |p| of the muon
    assert np.allclose(t.cos_theta, lep[:, 3] / np.linalg.norm(lep[:, 1:], axis=1), rtol=1e-12)


def test_nuwro_channels_agree_with_dyn(nuwro_root_fixture: Path) -> None:
    import uproot

    dyn = uproot.open(nuwro_root_fixture)["treeout"]["e/dyn"].array(library="np")
    t = read_events(nuwro_root_fixture)
    assert np.array_equal(t.channel, nuwro_dyn_to_channel(dyn))
    assert set(t.channel_fractions()) == {"QE", "MEC", "RES", "DIS", "COH"}


def test_nuwro_probe_target_filter(nuwro_root_fixture: Path) -> None:
    assert len(read_events(nuwro_root_fixture, probe="numu", target="C12")) == 500
    with pytest.raises(ValueError, match=r"no event matches probe=numubar.*\['numu'\]"):
        read_events(nuwro_root_fixture, probe="numubar")
    with pytest.raises(ValueError, match=r"no event matches .*target=Ar40.*\['C12'\]"):
        read_events(nuwro_root_fixture, target="Ar40")
    with pytest.raises(ValueError, match="unknown target 'Xx9'"):
        read_events(nuwro_root_fixture, target="Xx9")


def test_inspect_prints_count(nuwro_root_fixture: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from nugan.cli import app
    from nugan.commands import common

    monkeypatch.setattr(common.console, "width", 200)
    result = CliRunner().invoke(app, ["inspect", str(nuwro_root_fixture)])
    assert result.exit_code == 0, result.output
    assert re.search(r"events\s*│\s*500\s", result.output)
    assert "nuwro-root" in result.output
    assert re.search(r"cross section\s*│\s*3\.453e-38 cm\^2 per nucleon", result.output)
