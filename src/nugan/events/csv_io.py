"""Plain CSV event files (GeV): header ``E_nu,E_mu,cos_theta[,weight][,channel]``.

Optional columns: ``weight``; ``channel`` (a label such as ``QE`` or an int code into
:data:`~nugan.events.CHANNELS`, empty for unknown); ``pdg_nu`` (probe PDG code); ``target_Z`` and
``target_A``. Lines starting with ``#`` are comments; :func:`write_csv` stores the sample metadata
in a leading ``# nugan.meta {json}`` line, which :func:`load_csv` restores. Empty cells and ``nan``
read as NaN (validation reports them).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from nugan.atomic import atomic_path
from nugan.events.loading import RawEvents
from nugan.events.outputs import check_output
from nugan.events.table import CHANNELS, UNKNOWN_CHANNEL, EventTable, SampleMeta, channel_code

__all__ = ["REQUIRED", "META_PREFIX", "load_csv", "write_csv", "csv_header"]

REQUIRED = ("E_nu", "E_mu", "cos_theta")
META_PREFIX = "# nugan.meta "


def csv_header(text: str) -> list[str] | None:
    """Column names of the first non-comment line of ``text``, or None if there is none."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return [c.strip() for c in next(csv.reader([line]))]
    return None


def _float(cell: str, path: Path, line: int, col: str) -> float:
    """A cell as float; empty -> NaN; anything else unparsable raises naming the line."""
    s = cell.strip()
    if not s:
        return float("nan")
    try:
        return float(s)
    except ValueError:
        raise ValueError(f"{path}:{line}: column {col!r} value {s!r} is not a number") from None


def _channel(cell: str, path: Path, line: int) -> int:
    """Channel cell (label or int code; empty = unknown) as int8 code."""
    s = cell.strip()
    if not s or s == str(UNKNOWN_CHANNEL):
        return UNKNOWN_CHANNEL
    if s.lstrip("-").isdigit():
        code = int(s)
        if not 0 <= code < len(CHANNELS):
            top = len(CHANNELS) - 1
            raise ValueError(f"{path}:{line}: channel code {code} is not in 0..{top}")
        return code
    try:
        return channel_code(s)
    except ValueError as err:
        raise ValueError(f"{path}:{line}: {err}") from None


def _meta_line(text: str, path: Path, line: int) -> SampleMeta:
    """SampleMeta from the JSON of a ``# nugan.meta`` line."""
    try:
        return SampleMeta.from_json(text)
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise ValueError(f"{path}:{line}: unreadable nugan.meta line ({err})") from None


def _parse(path: Path, text: str) -> tuple[dict[str, list], SampleMeta | None]:
    """Columns (lists) and the stored metadata of a CSV text."""
    meta = None
    header: list[str] | None = None
    cols: dict[str, list] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            if line.startswith(META_PREFIX):
                meta = _meta_line(line[len(META_PREFIX) :], path, lineno)
            continue
        row = next(csv.reader([line]))
        if header is None:
            header = [c.strip() for c in row]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise ValueError(
                    f"{path}: CSV header lacks column(s) {missing}; nugan needs "
                    f"{','.join(REQUIRED)} in GeV (found {header})"
                )
            cols = {c: [] for c in header}
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}:{lineno}: {len(row)} cells, header has {len(header)}")
        for name, cell in zip(header, row, strict=True):
            if name == "channel":
                cols[name].append(_channel(cell, path, lineno))
            else:
                cols[name].append(_float(cell, path, lineno, name))
    if header is None:
        raise ValueError(f"{path}: CSV file has no header line")
    return cols, meta


def _int_col(cols: dict[str, list], name: str, path: Path) -> np.ndarray | None:
    """An integer column (probe, target), or None if absent; NaN is an error."""
    if name not in cols:
        return None
    v = np.asarray(cols[name], dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{path}: column {name!r} has empty or non-finite cells")
    return v.astype(np.int64)


def load_csv(path: str | os.PathLike[str]) -> RawEvents:
    """Rows of a CSV event file (values unchanged; validation is separate)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text (UTF-8) CSV file ({err.reason})") from None
    cols, stored = _parse(path, text)
    meta = stored or SampleMeta(source=path.name)
    f64 = {k: np.asarray(cols[k], dtype=np.float64) for k in REQUIRED}
    n = len(f64["E_nu"])
    probe = _int_col(cols, "pdg_nu", path)
    Z, A = _int_col(cols, "target_Z", path), _int_col(cols, "target_A", path)
    if stored is not None:  # the metadata line records probe and target
        probe = np.full(n, stored.probe_pdg) if probe is None else probe
        Z = np.full(n, stored.target_Z) if Z is None else Z
        A = np.full(n, stored.target_A) if A is None else A
    return RawEvents(
        E_nu=f64["E_nu"],
        E_mu=f64["E_mu"],
        cos_theta=f64["cos_theta"],
        probe_pdg=probe,
        target_Z=Z,
        target_A=A,
        channel=np.asarray(cols["channel"], dtype=np.int8) if "channel" in cols else None,
        weight=np.asarray(cols["weight"], dtype=np.float64) if "weight" in cols else None,
        meta=meta,
    )


def write_csv(table: EventTable, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` as CSV (exact float64 text, channel as label, metadata line); atomic."""
    path = check_output(path, "csv")
    cols = table.columns()
    names = list(cols)
    labels = [*CHANNELS]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(META_PREFIX + table.meta.to_json() + "\n")
        w = csv.writer(f)
        w.writerow(names)
        for i in range(len(table)):
            w.writerow(
                [
                    (labels[cols[n][i]] if cols[n][i] >= 0 else "") if n == "channel" else repr(float(cols[n][i]))
                    for n in names
                ]
            )
    return path
