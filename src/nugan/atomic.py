"""Atomic file output: write beside the target under a temporary name, then rename over it.

A reader (or a resumed run) never sees a half-written file; an error (or SIGTERM, turned into an exit by
the CLI) removes the temporary file. Concurrent writers of one path are refused: each writer first claims
``NAME.lock`` with exclusive creation (it holds the writer's pid); a second writer finds the lock of a live
process and gets a clear error instead of silently losing one of the two outputs. Temporary files and locks
left by a killed process (``kill -9``) are removed by the next writer of the same path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

__all__ = [
    "temporary_path",
    "atomic_path",
    "atomic_write_text",
    "AtomicStreamWriter",
    "claim",
    "release",
    "clean_stale",
    "pid_alive",
    "WriterBusyError",
]

ChunkT = TypeVar("ChunkT")


class WriterBusyError(ValueError):
    """Another live process is writing the same output file."""


#: Locks this process holds now (a lock with our pid that is not here was leaked by a failed writer).
_HELD: set[Path] = set()


def temporary_path(path: Path) -> Path:
    """Temporary name beside ``path``, unique per process (concurrent writers do not collide)."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def _lock_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.lock")


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(path: Path) -> list[Path]:
    """Remove ``NAME.<pid>.tmp`` files beside ``path`` whose process is gone; returns what was removed."""
    pattern = re.compile(re.escape(path.name) + r"\.(\d+)\.tmp")
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    for p in path.parent.iterdir():
        m = pattern.fullmatch(p.name)
        if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _lock_owner(lock: Path) -> int:
    try:
        return int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def claim(path: Path) -> Path:
    """Claim ``path`` for writing by this process (exclusive creation of ``NAME.lock``); returns the lock.

    A lock of a dead process is taken over (its temporary files are removed first).

    Raises:
        WriterBusyError: another live process holds the lock.
    """
    lock = _lock_path(path)
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _lock_owner(lock)
            if owner == os.getpid() and lock.resolve() in _HELD:
                raise WriterBusyError(f"{path}: this process is already writing it") from None
            if owner and owner != os.getpid() and pid_alive(owner):
                raise WriterBusyError(
                    f"{path}: another nugan process (pid {owner}) is writing this file; wait for "
                    "it to finish or choose another output"
                ) from None
            lock.unlink(missing_ok=True)  # left by a killed process
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        _HELD.add(lock.resolve())
        clean_stale(path)
        return lock
    raise WriterBusyError(f"{path}: cannot claim {lock.name} for writing")


def release(lock: Path) -> None:
    """Remove a lock taken by :func:`claim` (only if this process still owns it)."""
    _HELD.discard(lock.resolve())
    if _lock_owner(lock) == os.getpid():
        lock.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the usual permissions for a new file (some libraries write 0600) and move it over ``path``."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a file name")
    lock = claim(path)
    tmp = temporary_path(path)
    try:
        try:
            yield tmp
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _publish(tmp, path)
    finally:
        release(lock)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


class AtomicStreamWriter(Generic[ChunkT]):
    """Base of chunked writers: a subclass opens ``self._writer`` on ``self._tmp`` and appends chunks (:meth:`write`).

    :meth:`close` finishes the file and moves it into place; :meth:`abort` (also on an exception inside a
    ``with`` block) removes the partial file. The output path is claimed (see :func:`claim`) from creation
    to close or abort.
    """

    _writer: Any

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a directory; give a file name")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock: Path | None = claim(self.path)
        self._tmp = temporary_path(self.path)
        self.n_written = 0

    def _release(self) -> None:
        if self._lock is not None:
            release(self._lock)
            self._lock = None

    def write(self, chunk: ChunkT) -> None:
        """Append one chunk (an EventTable for the event writers)."""
        raise NotImplementedError

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            self._writer.close()
            _publish(self._tmp, self.path)
        finally:
            self._release()
        return self.path

    def abort(self) -> None:
        """Close and remove the partial temporary file."""
        try:
            if getattr(self, "_writer", None) is not None:
                self._writer.close()
        finally:
            self._tmp.unlink(missing_ok=True)
            self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
