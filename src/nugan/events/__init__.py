"""Event samples: the :class:`EventTable` type, validation, readers and writers.

The Parquet names (``read_parquet``, ``write_parquet``, ``ParquetEventWriter``) are imported on first use, so
that ``import nugan.events`` does not load pyarrow (start-up of commands that read other formats).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nugan.events.table import CHANNELS, EventTable, SampleMeta
from nugan.events.validation import InvalidEventsError, ValidationReport, validate

if TYPE_CHECKING:
    from nugan.events.parquet_io import ParquetEventWriter, read_parquet, write_parquet

__all__ = [
    "CHANNELS",
    "EventTable",
    "SampleMeta",
    "InvalidEventsError",
    "ValidationReport",
    "validate",
    "read_parquet",
    "write_parquet",
    "ParquetEventWriter",
]

_LAZY = {
    "read_parquet": "nugan.events.parquet_io",
    "write_parquet": "nugan.events.parquet_io",
    "ParquetEventWriter": "nugan.events.parquet_io",
}


def __getattr__(name: str) -> Any:
    """Lazy re-export of the Parquet reader and writers (PEP 562)."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
