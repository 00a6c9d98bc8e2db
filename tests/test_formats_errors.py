"""Unreadable, foreign and invalid input files: each error names the file and the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import uproot

from nugan.events import EventTable, InvalidEventsError, SampleMeta, write_parquet
from nugan.events.csv_io import write_csv
from nugan.events.readers import canonical_format, detect_format, load_events, read_events

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def test_missing_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.root: no such file"):
        read_events(tmp_path / "nope.root")
    (tmp_path / "empty.root").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.root: file is empty"):
        read_events(tmp_path / "empty.root")


def test_truncated_root_file(nuwro_root_fixture: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.root"
    cut.write_bytes(nuwro_root_fixture.read_bytes()[:10_000])
    with pytest.raises(ValueError, match=r"cut\.root: cannot read the ROOT file; it looks trunc"):
        read_events(cut)
    with pytest.raises(ValueError, match=r"cut\.root: cannot read the ROOT file"):
        read_events(cut, fmt="nuwro")


def test_truncated_parquet(tmp_path: Path) -> None:
    t = EventTable(np.full(100, 2.0), np.full(100, 1.0), np.zeros(100))
    write_parquet(t, tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    assert detect_format(tmp_path / "cut.parquet") == "parquet"
    with pytest.raises(ValueError, match=r"cut\.parquet: not a readable Parquet file"):
        read_events(tmp_path / "cut.parquet")


@pytest.mark.parametrize("content", [PNG, np.random.default_rng(5).bytes(3000)], ids=["png", "random"])
def test_foreign_bytes(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.dat").write_bytes(content)
    with pytest.raises(ValueError, match=r"x\.dat: unrecognised file format .*supported: parquet"):
        read_events(tmp_path / "x.dat")


def test_root_file_without_event_tree(tmp_path: Path) -> None:
    with uproot.recreate(tmp_path / "h.root") as f:
        f["flux"] = np.histogram([1.0, 2.0], bins=3)
        f.mktree("other", {"x": np.float64})
        f["other"].extend({"x": np.arange(3.0)})
    with pytest.raises(
        ValueError,
        match=r"h\.root: ROOT file holds no known event TTree .*"
        r"found flux \(TH1D\), other \(TTree\)",
    ):
        read_events(tmp_path / "h.root")
    with pytest.raises(ValueError, match=r"h\.root: ROOT file has no tree 'treeout'"):
        read_events(tmp_path / "h.root", fmt="nuwro-root")


def test_unknown_forced_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'root6'"):
        canonical_format("root6")
    assert canonical_format("GST") == "genie-gst"


def test_csv_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("E_nu,E_mu,weight\n1.0,0.5,1\n")
    assert detect_format(tmp_path / "m.csv") == "csv"
    with pytest.raises(ValueError, match=r"m\.csv: CSV header lacks column\(s\) \['cos_theta'\]"):
        read_events(tmp_path / "m.csv")


def test_csv_bad_cell_names_line(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n2.0,abc,0.3\n")
    with pytest.raises(ValueError, match=r"b\.csv:3: column 'E_mu' value 'abc' is not a number"):
        read_events(tmp_path / "b.csv", probe="numu", target="C12")


def _bad_csv(path: Path) -> None:
    path.write_text(
        "E_nu,E_mu,cos_theta,channel\n"
        "1.0,0.5,0.1,QE\n"
        "2.0,nan,0.2,RES\n"  # NaN
        "3.0,1.5,-0.3,DIS\n"
        "1.0,1.2,0.4,QE\n"  # E_mu > E_nu
        "4.0,2.0,0.9,MEC\n"
    )


def test_csv_invalid_rows_strict_and_lenient(tmp_path: Path) -> None:
    _bad_csv(tmp_path / "v.csv")
    with pytest.raises(
        InvalidEventsError,
        match=r"v\.csv: 2 of 5 rows invalid: non-finite value \(NaN/inf\) \(1\), "
        r"E_mu > E_nu \(1\)",
    ):
        read_events(tmp_path / "v.csv", probe="numu", target="C12", strict=True)
    with pytest.warns(UserWarning, match=r"v\.csv: dropped 2 of 5 rows invalid"):
        res = load_events(tmp_path / "v.csv", probe="numu", target="C12", strict=False)
    t = res.table
    assert res.n_invalid == 2 and res.invalid == {"non-finite value (NaN/inf)": 1, "E_mu > E_nu": 1}
    np.testing.assert_array_equal(t.E_nu, [1.0, 3.0, 4.0])
    np.testing.assert_array_equal(t.E_mu, [0.5, 1.5, 2.0])
    assert t.channel_fractions() == {"QE": 1 / 3, "DIS": 1 / 3, "MEC": 1 / 3}
    # unvalidated reading keeps the values as they are
    assert len(read_events(tmp_path / "v.csv", probe="numu", target="C12")) == 5


def test_csv_without_probe_is_labelled_with_warning(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n")
    with pytest.warns(UserWarning, match=r"p\.csv: the file does not record the beam"):
        t = read_events(tmp_path / "p.csv", target="O16")
    assert (t.meta.probe_pdg, t.meta.target) == (14, "O16")
    t = read_events(tmp_path / "p.csv", probe="numubar", target="Ar40")
    assert (t.meta.probe_pdg, t.meta.target) == (-14, "Ar40")


def test_csv_round_trip_keeps_values_and_meta(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    e_nu = rng.uniform(1, 5, 40)
    meta = SampleMeta(probe_pdg=-14, target_Z=8, target_A=16, model="m", seed=7, xsec_cm2=1e-38)
    t = EventTable(
        e_nu,
        0.5 * e_nu,
        rng.uniform(-1, 1, 40),
        meta=meta,
        weight=rng.uniform(0.5, 2, 40),
        channel=rng.integers(-1, 6, 40),
    )
    write_csv(t, tmp_path / "t.csv")
    back = read_events(tmp_path / "t.csv")
    for col in ("E_nu", "E_mu", "cos_theta", "weight", "channel"):
        np.testing.assert_array_equal(getattr(back, col), getattr(t, col))
    assert back.meta == meta


def test_probe_filter_on_parquet(tmp_path: Path) -> None:
    t = EventTable([2.0], [1.0], [0.5], meta=SampleMeta(probe_pdg=-14, target_Z=18, target_A=40))
    write_parquet(t, tmp_path / "a.parquet")
    assert len(read_events(tmp_path / "a.parquet", probe=-14, target="ar40")) == 1
    with pytest.raises(
        ValueError,
        match=r"a\.parquet: no event matches probe=numu target=None; "
        r"the file has probe\(s\) \['numubar'\]",
    ):
        read_events(tmp_path / "a.parquet", probe="numu")
    with pytest.raises(ValueError, match="unknown probe 'nue'"):
        read_events(tmp_path / "a.parquet", probe="nue")
