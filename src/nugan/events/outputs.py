"""File-name checks shared by every event writer: the suffix must name the format written.

A writer refuses ``-o mycfg.toml`` (which would replace a config with Parquet bytes) or ``-o out.hepmc3`` for
a Parquet writer, before anything is written.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SUFFIXES", "check_output", "format_of"]

#: Format -> the file suffixes its writer accepts (case-insensitive).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet", ".pq"),
    "nuhepmc": (".hepmc3", ".hepmc"),
    "csv": (".csv",),
}


def format_of(path: str | os.PathLike[str], allowed: tuple[str, ...] = tuple(SUFFIXES)) -> str:
    """The format ``path``'s suffix names, among ``allowed`` formats (ValueError otherwise)."""
    p = Path(path)
    for fmt in allowed:
        if p.suffix.lower() in SUFFIXES[fmt]:
            return fmt
    known = ", ".join(s for f in allowed for s in SUFFIXES[f])
    raise ValueError(f"{p}: cannot tell the output format from the extension {p.suffix!r}; use one of {known}")


def check_output(path: str | os.PathLike[str], fmt: str) -> Path:
    """``path`` as a Path after checking that its suffix fits ``fmt`` and that it is not a directory."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES[fmt]:
        raise ValueError(
            f"{p}: a {fmt} writer needs a file name ending in {' or '.join(SUFFIXES[fmt])}, "
            f"not {p.suffix or 'no extension'!r}; nothing was written"
        )
    if p.is_dir():
        raise ValueError(f"{p} is a directory; give an output file name")
    return p
