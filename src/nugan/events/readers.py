"""Read events from any supported file: :func:`read_events` detects the format by content."""

from __future__ import annotations

import os
from pathlib import Path

from nugan.events.parquet_io import read_parquet
from nugan.events.table import EventTable

__all__ = ["read_events", "detect_format", "FORMATS"]

FORMATS: tuple[str, ...] = ("parquet",)


def detect_format(path: str | os.PathLike[str]) -> str:
    """Format of ``path`` from its first bytes (not only its extension)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise ValueError(f"{path}: file is empty")
    if head[:4] == b"PAR1":
        return "parquet"
    raise ValueError(f"{path}: unrecognised file format (first bytes {head!r}); supported: {FORMATS}")


def read_events(path: str | os.PathLike[str], fmt: str | None = None) -> EventTable:
    """Read an event file into an :class:`EventTable` (values unchanged; validate separately)."""
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return read_parquet(path)
    raise ValueError(f"{path}: unsupported format {fmt!r}; supported: {FORMATS}")
