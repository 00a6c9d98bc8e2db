"""Read events from any supported file: :func:`read_events` detects the format by content.

Formats (names accepted by ``fmt``; aliases in parentheses):

* ``parquet``: nugan / plain Parquet (:mod:`nugan.events.parquet_io`);
* ``nuwro-root`` (``nuwro``): raw NuWro output, tree ``treeout`` (:mod:`nugan.events.nuwro_root`);
* ``genie-gst`` (``gst``, ``genie``): GENIE gst tree (:mod:`nugan.events.genie_gst`);
* ``nuisance-flat`` (``nuisance``, ``flat``): NUISANCE flat tree (:mod:`.nuisance_flat`);
* ``nuhepmc`` (``hepmc3``, ``hepmc``): NuHepMC / HepMC3 ASCII (:mod:`nugan.events.nuhepmc`);
* ``csv``: CSV with header ``E_nu,E_mu,cos_theta[,weight,channel]`` (:mod:`nugan.events.csv_io`).

Generator files may hold events nugan does not model (NC, other beams); those are skipped and
counted per reason (:class:`~nugan.events.loading.ReadResult`), never dropped silently.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nugan.events.loading import RawEvents, ReadResult, select_events
from nugan.events.table import EventTable
from nugan.events.validation import validate

__all__ = ["read_events", "load_events", "detect_format", "canonical_format", "FORMATS"]

FORMATS: tuple[str, ...] = (
    "parquet",
    "nuwro-root",
    "genie-gst",
    "nuisance-flat",
    "nuhepmc",
    "csv",
)
_ALIASES = {
    "nuwro": "nuwro-root",
    "gst": "genie-gst",
    "genie": "genie-gst",
    "nuisance": "nuisance-flat",
    "flat": "nuisance-flat",
    "hepmc3": "nuhepmc",
    "hepmc": "nuhepmc",
}
_HEPMC3 = (b"HepMC::Version", b"HepMC::Asciiv3")


def canonical_format(fmt: str) -> str:
    """Canonical format name for a name or alias (case-insensitive)."""
    key = fmt.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return key


def _input_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path after checking that it is an existing file (not a directory)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give an event file (e.g. {path}/events.parquet)")
    return path


def _root_format(path: Path) -> str:
    """Which generator tree a ROOT file holds."""
    from nugan.events.nuisance_flat import find_flat_tree
    from nugan.events.root_io import root_keys

    keys = root_keys(path)
    if keys.get("treeout") == "TTree":
        return "nuwro-root"
    if keys.get("gst") == "TTree":
        return "genie-gst"
    if find_flat_tree(keys):
        return "nuisance-flat"
    if "gtree" in keys:
        raise ValueError(
            f"{path}: GENIE GHEP file (tree 'gtree') needs the GENIE libraries; "
            "convert it first with 'gntpc -f gst' and read the gst file"
        )
    found = ", ".join(f"{k} ({v})" for k, v in sorted(keys.items())) or "nothing"
    raise ValueError(f"{path}: ROOT file holds no known event TTree (treeout, gst, FlatTree_VARS); found {found}")


def _text_format(path: Path, head: bytes) -> str | None:
    """'nuhepmc' or 'csv' from the first bytes of a text file, else None."""
    from nugan.events.csv_io import csv_header
    from nugan.events.nuhepmc import refuse_hepmc2

    refuse_hepmc2(path, head)  # before the HepMC3 test: a HepMC2 file starts 'HepMC::Version' too
    if any(head.lstrip().startswith(m) for m in _HEPMC3):
        return "nuhepmc"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut at the end of the block
            return None
        text = head[: err.start].decode("utf-8")
    if any(not c.isprintable() and c not in "\r\n\t" for c in text):
        return None
    header = csv_header(text)
    return "csv" if header is not None and len(header) > 1 else None


def detect_format(path: str | os.PathLike[str]) -> str:
    """Format of ``path`` from its content (magic bytes, trees inside, header line)."""
    path = _input_file(path)
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        raise ValueError(f"{path}: file is empty")
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:4] == b"root":
        return _root_format(path)
    fmt = _text_format(path, head)
    if fmt is not None:
        return fmt
    raise ValueError(f"{path}: unrecognised file format (first bytes {head[:8]!r}); supported: {', '.join(FORMATS)}")


def _parquet_raw(path: Path) -> RawEvents:
    """A Parquet sample as RawEvents (its single probe/target spread over the rows)."""
    from nugan.events.parquet_io import read_parquet

    t = read_parquet(path)
    n = len(t)
    m = t.meta
    return RawEvents(
        E_nu=t.E_nu,
        E_mu=t.E_mu,
        cos_theta=t.cos_theta,
        probe_pdg=np.full(n, m.probe_pdg),
        target_Z=np.full(n, m.target_Z),
        target_A=np.full(n, m.target_A),
        channel=t.channel,
        weight=t.weight,
        meta=m,
    )


def _loader(fmt: str) -> Callable[[Path], RawEvents]:
    """The RawEvents loader of a canonical format (heavy modules imported lazily)."""
    if fmt == "parquet":
        return _parquet_raw
    if fmt == "nuwro-root":
        from nugan.events.nuwro_root import load_nuwro_root

        return load_nuwro_root
    if fmt == "genie-gst":
        from nugan.events.genie_gst import load_genie_gst

        return load_genie_gst
    if fmt == "nuisance-flat":
        from nugan.events.nuisance_flat import load_nuisance_flat

        return load_nuisance_flat
    if fmt == "nuhepmc":
        from nugan.events.nuhepmc import load_nuhepmc

        return load_nuhepmc
    from nugan.events.csv_io import load_csv

    return load_csv


def load_events(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    probe: str | int | None = None,
    target: str | None = None,
    strict: bool | None = None,
) -> ReadResult:
    """Read ``path`` with full bookkeeping of what was kept (see :class:`ReadResult`).

    Args:
        path: event file.
        fmt: format name or alias; None detects it from the content.
        probe: keep only this beam ('numu', 'numubar', 14, -14).
        target: keep only this nucleus ('C12', 'Ar40', ...).
        strict: None returns values as read (validate separately); True raises
            :class:`~nugan.events.InvalidEventsError` on unphysical rows; False drops them
            with a warning and counts them in ``n_invalid``.
    """
    path = _input_file(path)
    name = canonical_format(fmt) if fmt else detect_format(path)
    result = select_events(_loader(name)(path), str(path), probe=probe, target=target)
    result.fmt = name
    if strict is not None and len(result.table):
        report = validate(result.table, strict=strict, source=str(path))
        result.table = report.table
        result.invalid = dict(report.failures)
        result.n_invalid = report.n_bad
    return result


def read_events(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    probe: str | int | None = None,
    target: str | None = None,
    strict: bool | None = None,
) -> EventTable:
    """Read an event file into an :class:`EventTable` (arguments as :func:`load_events`).

    Events not kept (NC, other beams, filtered probe/target) are reported in a warning.
    """
    result = load_events(path, fmt, probe=probe, target=target, strict=strict)
    if result.skipped:
        warnings.warn(
            f"{path}: kept {len(result.table) + result.n_invalid} of "
            f"{result.n_records} events; skipped {result.skipped_summary()}",
            stacklevel=2,
        )
    return result.table
