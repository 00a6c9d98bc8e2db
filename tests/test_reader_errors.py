"""Every user-facing error of the event readers and writers, on small synthetic bad files.

Each case builds a bad file in ``tmp_path``, calls the public reader or writer and checks that the
message names the file and the problem; the reading cases run through ``nugan inspect`` too (rc 2,
``error:``, no traceback). Messages already tested elsewhere (unknown format, missing/empty file,
foreign bytes, no event TTree, no tree of that name, CSV missing columns and bad number, mixed or
unmatched probe/target, NuHepMC without a cross section, truncated NuHepMC, chunk of another
probe/target, unreadable Parquet, unknown output extension, invalid rows) are not repeated here,
except the ones whose only test needs ``../shared`` or a trained model (a truncated ROOT file, a
directory given as input).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uproot
from typer.testing import CliRunner

from nugan.cli import app
from nugan.commands import common
from nugan.events import EventTable, SampleMeta
from nugan.events.csv_io import write_csv
from nugan.events.genie_gst import load_genie_gst
from nugan.events.nuhepmc import NuHepMCWriter, write_nuhepmc
from nugan.events.parquet_io import ParquetEventWriter, read_meta, read_parquet, write_parquet
from nugan.events.readers import read_events
from nugan.events.table import CHANNELS

META = SampleMeta(probe_pdg=14, target_Z=6, target_A=12, xsec_cm2=1e-38)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """No line wrapping of messages in the captured CLI output."""
    monkeypatch.setattr(common.console, "width", 400)
    monkeypatch.setattr(common.err_console, "width", 400)


def _table(n: int = 3) -> EventTable:
    e = np.linspace(1.0, 3.0, n)
    return EventTable(e, 0.5 * e, np.linspace(-0.5, 0.9, n), meta=META)


# ------------------------------------------------------------------------------ file builders
def _text(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return p

    return build


def _ttree(path: Path, name: str, cols: dict[str, np.ndarray]) -> Path:
    with uproot.recreate(path) as f:
        f.mktree(name, {k: v.dtype for k, v in cols.items()})
        f[name].extend(cols)
    return path


def _gst_cols(n: int = 4, drop: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The gst branches the reader needs (numu CC QE on C12), minus ``drop``."""
    rng = np.random.default_rng(1)
    ev = rng.uniform(1.0, 3.0, n)  # not compressible: a damaged basket cannot go unnoticed
    cols = {
        "Ev": ev,
        "El": 0.5 * ev,
        "cthl": rng.uniform(-1, 1, n),
        "pxv": np.zeros(n),
        "pyv": np.zeros(n),
        "pzv": ev,
        "pxl": np.zeros(n),
        "pyl": np.zeros(n),
        "pzl": 0.4 * ev,
        "neu": np.full(n, 14, np.int32),
        "fspl": np.full(n, 13, np.int32),
        "Z": np.full(n, 6, np.int32),
        "A": np.full(n, 12, np.int32),
        "cc": np.ones(n, bool),
        "qel": np.ones(n, bool),
        "mec": np.zeros(n, bool),
        "res": np.zeros(n, bool),
        "dis": np.zeros(n, bool),
        "coh": np.zeros(n, bool),
        "wght": np.ones(n),
    }
    return {k: v for k, v in cols.items() if k not in drop}


def _gst(name: str, drop: tuple[str, ...] = ()) -> Callable[[Path], Path]:
    return lambda tmp: _ttree(tmp / name, "gst", _gst_cols(drop=drop))


def _flat_cols(n: int = 4, drop: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The NUISANCE flat-tree branches the reader uses (numu CCQE on C12), minus ``drop``."""
    cols = {
        "Mode": np.ones(n, np.int32),
        "cc": np.ones(n, bool),
        "PDGnu": np.full(n, 14, np.int32),
        "PDGLep": np.full(n, 13, np.int32),
        "Enu_true": np.linspace(1, 2, n).astype(np.float32),
        "ELep": np.linspace(0.5, 1, n).astype(np.float32),
        "CosLep": np.linspace(0, 0.9, n).astype(np.float32),
        "tgt": np.full(n, 1000060120, np.int32),
        "tgta": np.full(n, 12, np.int32),
        "tgtz": np.full(n, 6, np.int32),
        "Weight": np.ones(n, np.float32),
        "fScaleFactor": np.full(n, 1e-40),
    }
    return {k: v for k, v in cols.items() if k not in drop}


def _flat(name: str, drop: tuple[str, ...] = ()) -> Callable[[Path], Path]:
    return lambda tmp: _ttree(tmp / name, "FlatTree_VARS", _flat_cols(drop=drop))


def _ghep(tmp: Path) -> Path:
    """A ROOT file holding GENIE's native GHEP tree name (gtree), as gevgen writes."""
    return _ttree(tmp / "ev.ghep.root", "gtree", {"iev": np.arange(3, dtype=np.int32)})


def _cut_root(keep: Callable[[int], int]) -> Callable[[Path], Path]:
    """A good gst file cut to ``keep(size)`` bytes (a copy that did not finish)."""

    def build(tmp: Path) -> Path:
        good = _ttree(tmp / "good.root", "gst", _gst_cols(n=5000))
        data = good.read_bytes()
        out = tmp / "cut.root"
        out.write_bytes(data[: keep(len(data))])
        return out

    return build


def _damaged_basket(tmp: Path) -> Path:
    """A good gst file whose 'Ev' basket bytes are overwritten (the tree metadata stays intact)."""
    path = _ttree(tmp / "bad.root", "gst", _gst_cols(n=5000))
    branch = uproot.open(path)["gst"]["Ev"]
    seek, size = int(branch.member("fBasketSeek")[0]), int(branch.member("fBasketBytes")[0])
    data = bytearray(path.read_bytes())
    start = seek + size // 2  # inside the compressed payload, past the basket's key
    data[start : start + 256] = b"\xa5" * 256
    path.write_bytes(bytes(data))
    return path


def _damaged_tree_object(tmp: Path) -> Path:
    """A gst file whose TTree object (its byte count and version header) is overwritten."""
    path = _ttree(tmp / "bad.root", "gst", _gst_cols())
    key = uproot.open(path).key("gst")
    start = key.fSeekKey + key.fKeylen + 20
    data = bytearray(path.read_bytes())
    data[start : start + 40] = b"\xa5" * 40
    path.write_bytes(bytes(data))
    return path


def _plain_parquet(name: str, cols: dict[str, object]) -> Callable[[Path], Path]:
    """A Parquet file without nugan metadata (as other tools write them)."""

    def build(tmp: Path) -> Path:
        p = tmp / name
        pq.write_table(pa.table(cols), p)
        return p

    return build


def _dir(name: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        (tmp / name).mkdir()
        return tmp / name

    return build


# HepMC2 as HepMC2's IO_GenEvent writes it: a blank line, the version line, the listing line.
HEPMC2 = (
    "\nHepMC::Version 2.06.09\nHepMC::IO_GenEvent-START_EVENT_LISTING\n"
    'E 0 -1 -1.0 -1.0 -1.0 0 0 1 10001 10002 0 1 1.0\nN 1 "0"\nU GEV MM\n'
    "V -1 0 0 0 0 0 1 1 0\nP 10001 14 0 0 1 1 0 4 0 0 -1 0\n"
    "P 10002 13 0 0 0.5 0.51 0.105 1 0 0 0 0\n"
    "HepMC::IO_GenEvent-END_EVENT_LISTING\n\n"
)


def _hepmc2_by_hepmc3(tmp: Path) -> Path:
    """HepMC2 as HepMC3's WriterAsciiHepMC2 writes it (version line 3.x, HepMC2 listing)."""
    import pyhepmc as hp

    ev = hp.GenEvent(hp.Units.GEV, hp.Units.MM)
    v = hp.GenVertex()
    v.add_particle_in(hp.GenParticle((0.0, 0.0, 1.0, 1.0), 14, 4))
    v.add_particle_out(hp.GenParticle((0.0, 0.3, 0.4, 0.51), 13, 1))
    ev.add_vertex(v)
    path = tmp / "h.hepmc"
    w = hp.io.WriterAsciiHepMC2(str(path))
    w.write_event(ev)
    w.close()
    assert path.read_text().startswith("HepMC::Version 3.")
    return path


def _hepmc3_without_events(tmp: Path) -> Path:
    """A complete HepMC3 listing without any event (pyhepmc's writer closed at once)."""
    import pyhepmc as hp

    path = tmp / "e.hepmc3"
    hp.io.WriterAscii(str(path)).close()
    return path


def _nuhepmc_without_events(tmp: Path) -> Path:
    """nugan's own NuHepMC writer given no event (run info written, no event)."""
    path = tmp / "e.hepmc3"
    with NuHepMCWriter(path, META):
        pass
    return path


TOP = len(CHANNELS) - 1


# ------------------------------------------------------------------------------ reading cases
@dataclass(frozen=True)
class ReadCase:
    """A bad input file, the format forced (None: detected) and the expected error."""

    build: Callable[[Path], Path]
    match: str
    fmt: str | None = None
    exc: type[Exception] = ValueError


READ_CASES: dict[str, ReadCase] = {
    # CSV
    "csv-channel-code-out-of-range": ReadCase(
        _text("c.csv", "E_nu,E_mu,cos_theta,channel\n1.0,0.5,0.1,QE\n2.0,1.0,0.2,9\n"),
        rf"c\.csv:3: channel code 9 is not in 0\.\.{TOP}",
    ),
    "csv-unknown-channel-label": ReadCase(
        _text("c.csv", "E_nu,E_mu,cos_theta,channel\n1.0,0.5,0.1,NCEL\n"),
        r"c\.csv:2: unknown channel 'NCEL'; known: \('QE'",
    ),
    "csv-unreadable-meta-line": ReadCase(
        _text("c.csv", '# nugan.meta {"probe_pdg": 14,\nE_nu,E_mu,cos_theta\n1.0,0.5,0.1\n'),
        r"c\.csv:1: unreadable nugan\.meta line \(",
    ),
    "csv-row-length": ReadCase(
        _text("c.csv", "E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n2.0,1.0\n"), r"c\.csv:3: 2 cells, header has 3"
    ),
    "csv-no-header": ReadCase(
        _text("c.csv", "# E_nu,E_mu,cos_theta\n# no data\n"), r"c\.csv: CSV file has no header line", fmt="csv"
    ),
    "csv-empty-integer-cell": ReadCase(
        _text("c.csv", "E_nu,E_mu,cos_theta,pdg_nu\n1.0,0.5,0.1,14\n2.0,1.0,0.2,\n"),
        r"c\.csv: column 'pdg_nu' has empty or non-finite cells",
    ),
    "csv-not-utf8": ReadCase(  # a Latin-1 comment past the 4 KiB that format detection looks at
        _text("c.csv", b"E_nu,E_mu,cos_theta\n" + b"1.0,0.5,0.1\n" * 400 + b"# caf\xe9\n"),
        r"c\.csv: not a text \(UTF-8\) CSV file \(invalid continuation byte\)",
    ),
    # GENIE
    "gst-no-angle": ReadCase(
        _gst("g.root", drop=("cthl", "pzl")),
        r"g\.root: gst tree has neither 'cthl' nor the momenta \['pxv', 'pyv', 'pzv', 'pxl'",
    ),
    "gst-missing-branch": ReadCase(
        _gst("g.root", drop=("El", "cc")), r"g\.root: tree 'gst' lacks the branch\(es\) \['El', 'cc'\]"
    ),
    "ghep-needs-genie": ReadCase(
        _ghep,
        r"ev\.ghep\.root: GENIE GHEP file \(tree 'gtree'\) needs the GENIE libraries; "
        r"convert it first with 'gntpc -f gst'",
    ),
    # NUISANCE
    "flat-no-target": ReadCase(
        _flat("f.root", drop=("tgt", "tgta", "tgtz")),
        r"f\.root: flat tree has neither 'tgtz'/'tgta' nor 'tgt' \(the target\)",
    ),
    "flat-half-target": ReadCase(  # tgtz without tgta is no target either
        _flat("f.root", drop=("tgt", "tgta")), r"f\.root: flat tree has neither 'tgtz'/'tgta' nor 'tgt'"
    ),
    "flat-missing-branch": ReadCase(
        _flat("f.root", drop=("CosLep",)), r"f\.root: tree 'FlatTree_VARS' lacks the branch\(es\) \['CosLep'\]"
    ),
    "flat-forced-on-gst": ReadCase(
        _gst("g.root"), r"g\.root: no NUISANCE flat tree \('FlatTree_VARS' or '\*_VARS'\) in the file", fmt="nuisance"
    ),
    # damaged ROOT files (each raise site of root_io: the key list, opening the file, the tree
    # object, a basket)
    "root-cut-in-header": ReadCase(
        _cut_root(lambda n: 100), r"cut\.root: cannot read the ROOT file; it looks truncated or corrupt"
    ),
    "root-cut-in-header-forced": ReadCase(
        _cut_root(lambda n: 100), r"cut\.root: cannot read the ROOT file; it looks truncated or corrupt", fmt="gst"
    ),
    "root-cut-in-baskets": ReadCase(
        _cut_root(lambda n: n // 2), r"cut\.root: cannot read the ROOT file; it looks truncated or corrupt"
    ),
    "root-damaged-tree-object": ReadCase(
        _damaged_tree_object, r"bad\.root: cannot read the ROOT file; it looks truncated or corrupt"
    ),
    "root-damaged-basket": ReadCase(
        _damaged_basket, r"bad\.root: cannot read the ROOT file; it looks truncated or corrupt"
    ),
    # HepMC
    "hepmc2": ReadCase(_text("h.hepmc", HEPMC2), r"h\.hepmc: HepMC2 file; nugan reads HepMC3 / NuHepMC only"),
    "hepmc2-by-hepmc3": ReadCase(_hepmc2_by_hepmc3, r"h\.hepmc: HepMC2 file; nugan reads HepMC3 / NuHepMC only"),
    "hepmc2-forced": ReadCase(_text("h.hepmc", HEPMC2), r"h\.hepmc: HepMC2 file; nugan reads HepMC3", fmt="nuhepmc"),
    "hepmc3-no-event": ReadCase(_hepmc3_without_events, r"e\.hepmc3: HepMC3 file holds no event"),
    "nuhepmc-no-event": ReadCase(_nuhepmc_without_events, r"e\.hepmc3: HepMC3 file holds no event"),
    # Parquet
    "parquet-missing-column": ReadCase(
        _plain_parquet("p.parquet", {"E_nu": [1.0], "E_mu": [0.5], "theta": [0.3]}),
        r"p\.parquet: Parquet file lacks column\(s\) \['cos_theta'\]; nugan needs E_nu, E_mu, cos_theta "
        r"in GeV \(found \['E_nu', 'E_mu', 'theta'\]\)",
    ),
    "parquet-text-column": ReadCase(
        _plain_parquet("p.parquet", {"E_nu": [1.0], "E_mu": ["0.5 GeV"], "cos_theta": [0.3]}),
        r"p\.parquet: column 'E_mu' has type string; nugan needs numbers \(GeV for E_mu\)",
    ),
    "parquet-text-weight": ReadCase(
        _plain_parquet("p.parquet", {"E_nu": [1.0], "E_mu": [0.5], "cos_theta": [0.3], "weight": ["1"]}),
        r"p\.parquet: column 'weight' has type string; nugan needs numbers \(float for weight\)",
    ),
    "parquet-mixed-probes": ReadCase(
        _plain_parquet(
            "p.parquet", {"E_nu": [1.0, 2.0], "E_mu": [0.5, 1.0], "cos_theta": [0.3, 0.2], "pdg_nu": [14, -14]}
        ),
        r"p\.parquet: column 'pdg_nu' mixes several values \[-14 +14\]; filter first",
    ),
    # any format
    "directory-as-input": ReadCase(_dir("events.parquet"), r"events\.parquet is a directory; give an event file"),
}


@pytest.mark.parametrize("name", list(READ_CASES))
def test_read_error(name: str, tmp_path: Path) -> None:
    case = READ_CASES[name]
    path = case.build(tmp_path)
    with pytest.raises(case.exc, match=case.match):
        read_events(path, fmt=case.fmt)


@pytest.mark.parametrize("name", list(READ_CASES))
def test_inspect_error(name: str, tmp_path: Path) -> None:
    """``nugan inspect`` reports the same message as a clean error (rc 2, no traceback)."""
    case = READ_CASES[name]
    path = case.build(tmp_path)
    args = ["inspect", str(path)] + (["--format", case.fmt] if case.fmt else [])
    result = CliRunner().invoke(app, args)
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "error:" in out
    assert re.search(case.match, out), out


def test_csv_channel_code_bounds_are_the_channel_list(tmp_path: Path) -> None:
    """The last code is accepted and the next one refused (the range follows CHANNELS)."""
    ok = tmp_path / "ok.csv"
    ok.write_text(f"E_nu,E_mu,cos_theta,channel\n1.0,0.5,0.1,{TOP}\n1.0,0.5,0.1,-1\n")
    assert read_events(ok, probe="numu", target="C12").channel.tolist() == [TOP, -1]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"E_nu,E_mu,cos_theta,channel\n1.0,0.5,0.1,{TOP + 1}\n")
    with pytest.raises(ValueError, match=rf"bad\.csv:2: channel code {TOP + 1} is not in"):
        read_events(bad)


# ------------------------------------------------------------------------------ direct reader calls
def test_reader_functions_on_missing_or_wrong_paths(tmp_path: Path) -> None:
    """The per-format readers check their path themselves (they are public too)."""
    with pytest.raises(FileNotFoundError, match=r"none\.root: no such file"):
        load_genie_gst(tmp_path / "none.root")
    with pytest.raises(FileNotFoundError, match=r"none\.parquet: no such file"):
        read_parquet(tmp_path / "none.parquet")
    (tmp_path / "d.parquet").mkdir()
    with pytest.raises(ValueError, match=r"d\.parquet is a directory; give a Parquet event file"):
        read_parquet(tmp_path / "d.parquet")
    plain = _plain_parquet("plain.parquet", {"E_nu": [1.0], "E_mu": [0.5], "cos_theta": [0.3]})(tmp_path)
    with pytest.raises(ValueError, match=r"plain\.parquet: no nugan metadata in the Parquet schema"):
        read_meta(plain)
    write_parquet(_table(), tmp_path / "own.parquet")
    assert read_meta(tmp_path / "own.parquet") == META


# ------------------------------------------------------------------------------ writing cases
def _csv_src(tmp: Path) -> Path:
    src = tmp / "s.csv"
    src.write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n2.0,1.0,0.2\n")
    return src


@dataclass(frozen=True)
class WriteCase:
    """A write into ``tmp_path / dst`` that must fail, leaving no file at ``dst``."""

    dst: str
    write: Callable[[Path], object]
    match: str
    make_dir: bool = False


def _chunk_without_weight(p: Path) -> None:
    with ParquetEventWriter(p, META, with_weight=True) as w:
        w.write(_table())


def _nuhepmc_with_xsec(xs: float) -> Callable[[Path], object]:
    return lambda p: write_nuhepmc(_table(), p, xsec_cm2=xs)


WRITE_CASES: dict[str, WriteCase] = {
    "parquet-to-csv-name": WriteCase(
        "o.csv",
        lambda p: write_parquet(_table(), p),
        r"o\.csv: a parquet writer needs a file name ending in \.parquet or \.pq, not '\.csv'; "
        r"nothing was written",
    ),
    "parquet-stream-no-extension": WriteCase(
        "events",
        lambda p: ParquetEventWriter(p, META),
        r"events: a parquet writer needs a file name ending in \.parquet or \.pq, not 'no extension'",
    ),
    "csv-to-config-name": WriteCase(
        "run.toml",
        lambda p: write_csv(_table(), p),
        r"run\.toml: a csv writer needs a file name ending in \.csv, not '\.toml'",
    ),
    "nuhepmc-to-parquet-name": WriteCase(
        "o.parquet",
        lambda p: write_nuhepmc(_table(), p),
        r"o\.parquet: a nuhepmc writer needs a file name ending in \.hepmc3 or \.hepmc, not '\.parquet'",
    ),
    "parquet-into-directory": WriteCase(
        "d.parquet",
        lambda p: write_parquet(_table(), p),
        r"d\.parquet is a directory; give an output file name",
        make_dir=True,
    ),
    "csv-into-directory": WriteCase(
        "d.csv", lambda p: write_csv(_table(), p), r"d\.csv is a directory; give an output file name", make_dir=True
    ),
    "nuhepmc-into-directory": WriteCase(
        "d.hepmc3",
        lambda p: NuHepMCWriter(p, META),
        r"d\.hepmc3 is a directory; give an output file name",
        make_dir=True,
    ),
    "parquet-chunk-lacks-declared-column": WriteCase(
        "w.parquet", _chunk_without_weight, r"chunk lacks column 'weight' declared for .*w\.parquet"
    ),
    "nuhepmc-zero-xsec": WriteCase(
        "x.hepmc3", _nuhepmc_with_xsec(0.0), r"x\.hepmc3: cross section must be finite and > 0, got 0\.0 cm\^2"
    ),
    "nuhepmc-negative-xsec": WriteCase(
        "x.hepmc3", _nuhepmc_with_xsec(-1e-38), r"x\.hepmc3: cross section must be finite and > 0, got -1e-38 cm\^2"
    ),
    "nuhepmc-nan-xsec": WriteCase(
        "x.hepmc3", _nuhepmc_with_xsec(math.nan), r"x\.hepmc3: cross section must be finite and > 0, got nan"
    ),
    "nuhepmc-inf-xsec": WriteCase(
        "x.hepmc3", _nuhepmc_with_xsec(math.inf), r"x\.hepmc3: cross section must be finite and > 0, got inf"
    ),
}


@pytest.mark.parametrize("name", list(WRITE_CASES))
def test_write_error(name: str, tmp_path: Path) -> None:
    case = WRITE_CASES[name]
    dst = tmp_path / case.dst
    if case.make_dir:
        dst.mkdir()
    with pytest.raises(ValueError, match=case.match):
        case.write(dst)
    assert dst.is_dir() if case.make_dir else not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([case.dst] if case.make_dir else [])


@pytest.mark.parametrize(
    ("dst", "extra", "match"),
    [
        ("d.parquet", (), r"d\.parquet is a directory; give an output file name"),
        ("x.hepmc3", ("--xsec", "0"), r"x\.hepmc3: cross section must be finite and > 0, got 0\.0 cm\^2"),
        ("x.hepmc3", ("--xsec", "nan"), r"x\.hepmc3: cross section must be finite and > 0, got nan"),
    ],
    ids=["into-directory", "zero-xsec", "nan-xsec"],
)
def test_convert_write_error(tmp_path: Path, dst: str, extra: tuple[str, ...], match: str) -> None:
    """``nugan convert`` reports the writers' refusals as clean errors and leaves no output."""
    if dst == "d.parquet":
        (tmp_path / dst).mkdir()
    args = ["convert", str(_csv_src(tmp_path)), str(tmp_path / dst), "--probe", "numu", "--target", "C12", *extra]
    result = CliRunner().invoke(app, args)
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and re.search(match, out), out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"s.csv", dst} if dst == "d.parquet" else {"s.csv"})


# ------------------------------------------------------------------------------ EventTable
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: EventTable([1.0, 2.0], [0.5], [0.1, 0.2]), r"column lengths differ: E_nu 2, E_mu 1, cos_theta 2"),
        (lambda: EventTable([1.0], [0.5], [0.1], weight=[1.0, 2.0]), r"weight has 2 rows, expected 1"),
        (lambda: EventTable([1.0], [0.5], [0.1], channel=[0, 1]), r"channel has 2 rows, expected 1"),
        (lambda: EventTable.concat([]), r"cannot concatenate an empty list of tables"),
        (lambda: _table().split(1.0, seed=0), r"split fraction must be in \(0, 1\), got 1\.0"),
    ],
    ids=["lengths", "weight-rows", "channel-rows", "concat-empty", "split-fraction"],
)
def test_event_table_error(make: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()
