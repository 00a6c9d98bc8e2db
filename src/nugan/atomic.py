"""Atomic file output: write beside the target under a temporary name, then rename over it.

A reader (or a resumed run) never sees a half-written file; an error removes the temporary file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["temporary_path", "atomic_path", "atomic_write_text", "AtomicStreamWriter"]


def temporary_path(path: Path) -> Path:
    """Temporary name beside ``path``, unique per process (concurrent writers do not collide)."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


class AtomicStreamWriter:
    """Base of chunked writers: a subclass opens ``self._writer`` on ``self._tmp`` and appends chunks.

    :meth:`close` finishes the file and moves it into place; :meth:`abort` (also on an exception inside a
    ``with`` block) removes the partial file.
    """

    _writer: Any

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temporary_path(self.path)
        self.n_written = 0

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and remove the partial temporary file."""
        self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicStreamWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
