"""GENIE gst and NUISANCE flat-tree readers on small synthetic files with the real branch names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import uproot

from nugan.events.loading import REASON_PROBE
from nugan.events.nuisance_flat import neut_mode_to_channel
from nugan.events.readers import detect_format, load_events, read_events
from nugan.events.table import CHANNEL_CODES

QE, MEC, RES, DIS, COH, OTHER = (CHANNEL_CODES[c] for c in ("QE", "MEC", "RES", "DIS", "COH", "OTHER"))


def _write_ttree(path: Path, name: str, cols: dict[str, np.ndarray], extra: dict[str, object] | None = None) -> None:
    """A ROOT file with one TTree (mktree, as generators write TTrees) and optional objects."""
    with uproot.recreate(path) as f:
        f.mktree(name, {k: v.dtype for k, v in cols.items()})
        f[name].extend(cols)
        for key, obj in (extra or {}).items():
            f[key] = obj


def _gst(path: Path, with_cthl: bool = True, ar40_rows: int = 0) -> dict[str, np.ndarray]:
    """8 C12 events (+ optional Ar40 ones): 6 CC numu of each channel, 1 NC, 1 CC nue."""
    n = 8 + ar40_rows
    ev = np.array([1.0, 2.0, 1.5, 4.0, 3.0, 2.5, 1.2, 5.0] + [2.0] * ar40_rows)
    el = 0.5 * ev
    cth = np.linspace(-0.9, 0.95, n)
    pl = np.sqrt(el**2 - 0.105658**2)
    flags = {k: np.zeros(n, dtype=bool) for k in ("qel", "mec", "res", "dis", "coh")}
    for i, k in enumerate(("qel", "mec", "res", "dis", "coh")):
        flags[k][i] = True
    cc = np.ones(n, dtype=bool)
    cc[5] = False  # NC event (also flagged nowhere)
    neu = np.full(n, 14, dtype=np.int32)
    neu[6] = 12  # nu_e CC
    fspl = np.full(n, 13, dtype=np.int32)
    fspl[5], fspl[6] = 14, 11
    Z = np.array([6] * 8 + [18] * ar40_rows, dtype=np.int32)
    A = np.array([12] * 8 + [40] * ar40_rows, dtype=np.int32)
    cols = {
        "iev": np.arange(n, dtype=np.int32),
        "neu": neu,
        "fspl": fspl,
        "tgt": (1000000000 + Z * 10000 + A * 10).astype(np.int32),
        "Z": Z,
        "A": A,
        **flags,
        "cc": cc,
        "nc": ~cc,
        "wght": np.ones(n),
        "Ev": ev,
        "pxv": np.zeros(n),
        "pyv": np.zeros(n),
        "pzv": ev,
        "El": el,
        "pxl": pl * np.sqrt(1 - cth**2),
        "pyl": np.zeros(n),
        "pzl": pl * cth,
        "pl": pl,
        "XSec": np.full(n, 1.3),
    }
    if with_cthl:
        cols["cthl"] = cth
    _write_ttree(path, "gst", cols)
    return cols


def test_genie_gst_values_and_channels(tmp_path: Path) -> None:
    cols = _gst(tmp_path / "g.gst.root")
    assert detect_format(tmp_path / "g.gst.root") == "genie-gst"
    res = load_events(tmp_path / "g.gst.root")
    t = res.table
    assert res.skipped == {REASON_PROBE: 1, "not charged current (cc flag)": 1}
    keep = [0, 1, 2, 3, 4, 7]
    np.testing.assert_array_equal(t.E_nu, cols["Ev"][keep])
    np.testing.assert_array_equal(t.E_mu, cols["El"][keep])
    np.testing.assert_array_equal(t.cos_theta, cols["cthl"][keep])
    assert t.channel.tolist() == [QE, MEC, RES, DIS, COH, OTHER]
    assert (t.meta.probe_pdg, t.meta.target, t.meta.source) == (14, "C12", "genie")
    assert t.weight is None and t.meta.xsec_cm2 is None


def test_genie_gst_cos_from_momenta_without_cthl(tmp_path: Path) -> None:
    cols = _gst(tmp_path / "g.root", with_cthl=False)
    with pytest.warns(UserWarning, match=r"kept 6 of 8 events; skipped beam is not nu_mu"):
        t = read_events(tmp_path / "g.root", fmt="gst")
    np.testing.assert_allclose(t.cos_theta, np.linspace(-0.9, 0.95, 8)[[0, 1, 2, 3, 4, 7]], rtol=1e-12, atol=1e-14)
    assert len(cols["Ev"]) == 8


def test_genie_gst_mixed_targets_need_filter(tmp_path: Path) -> None:
    _gst(tmp_path / "g.root", ar40_rows=3)
    with pytest.raises(ValueError, match=r"mixes several targets \(Ar40, C12\).*--target"):
        read_events(tmp_path / "g.root")
    res = load_events(tmp_path / "g.root", target="Ar40")
    assert len(res.table) == 3 and res.table.meta.target == "Ar40"
    assert res.skipped["target is not Ar40"] == 6


def _flat(path: Path) -> dict[str, np.ndarray]:
    """NUISANCE flat tree: numu CC of every NEUT class, one numubar CCQE, one NC, one diffractive."""
    mode = np.array([1, 2, 11, 12, 13, 16, 21, 26, 15, -1, 31], dtype=np.int32)
    n = len(mode)
    pdgnu = np.where(mode < 0, -14, 14).astype(np.int32)
    cc = np.abs(mode) < 30
    pdglep = np.where(cc, np.sign(pdgnu) * 13, pdgnu).astype(np.int32)
    enu = np.linspace(0.5, 6.0, n).astype(np.float32)
    cols = {
        "Mode": mode,
        "cc": cc,
        "PDGnu": pdgnu,
        "Enu_true": enu,
        "tgt": np.full(n, 1000060120, dtype=np.int32),
        "tgta": np.full(n, 12, dtype=np.int32),
        "tgtz": np.full(n, 6, dtype=np.int32),
        "PDGLep": pdglep,
        "ELep": (0.6 * enu).astype(np.float32),
        "CosLep": np.linspace(-0.5, 0.99, n).astype(np.float32),
        "Q2": np.ones(n, dtype=np.float32),
        "Weight": np.ones(n, dtype=np.float32),
        "InputWeight": np.ones(n, dtype=np.float32),
        "RWWeight": np.ones(n, dtype=np.float32),
        "fScaleFactor": np.full(n, 2.5e-40),
        "flagCCINC": cc,
    }
    _write_ttree(path, "FlatTree_VARS", cols, extra={"FlatTree_FLUX": np.histogram(np.linspace(0.5, 6, 50), bins=10)})
    return cols


def test_nuisance_flat_values_channels_and_xsec(tmp_path: Path) -> None:
    cols = _flat(tmp_path / "flat.root")
    assert detect_format(tmp_path / "flat.root") == "nuisance-flat"
    with pytest.raises(ValueError, match=r"mixes several probes \(numu, numubar\)"):
        read_events(tmp_path / "flat.root")
    res = load_events(tmp_path / "flat.root", probe="numu")
    t = res.table
    assert res.skipped == {"not charged current (cc / Mode)": 1, "probe is not numu": 1}
    keep = np.arange(9)
    np.testing.assert_array_equal(t.E_nu, cols["Enu_true"][keep].astype(np.float64))
    np.testing.assert_array_equal(t.E_mu, cols["ELep"][keep].astype(np.float64))
    np.testing.assert_array_equal(t.cos_theta, cols["CosLep"][keep].astype(np.float64))
    assert t.channel.tolist() == [QE, MEC, RES, RES, RES, COH, DIS, DIS, OTHER]
    assert t.meta.xsec_cm2 == pytest.approx(9 * 2.5e-40, rel=1e-12, abs=0)
    with pytest.warns(UserWarning, match=r"kept 1 of 11 events;.*probe is not numubar \(9\)"):
        bar = read_events(tmp_path / "flat.root", probe="numubar")
    assert len(bar) == 1 and bar.meta.probe_pdg == -14 and bar.channel.tolist() == [QE]


def test_neut_mode_mapping_ignores_sign() -> None:
    got = neut_mode_to_channel(np.array([-1, -2, -11, -16, -26, 17, 22, 23, 41]))
    assert got.tolist() == [QE, MEC, RES, COH, DIS, RES, RES, RES, OTHER]
