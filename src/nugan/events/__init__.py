"""Event samples: the :class:`EventTable` type, validation, readers and writers."""

from __future__ import annotations

from nugan.events.parquet_io import ParquetEventWriter, read_parquet, write_parquet
from nugan.events.table import CHANNELS, EventTable, SampleMeta
from nugan.events.validation import InvalidEventsError, ValidationReport, validate

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
