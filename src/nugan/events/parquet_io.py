"""Parquet read/write of :class:`EventTable` with its metadata (pyarrow).

nugan's own files carry the :class:`SampleMeta` as JSON under the schema metadata key ``nugan.meta``.
Plain Parquet files with columns ``E_nu, E_mu, cos_theta`` (GeV) are read too; the NuWro sample files in
``shared/data/nuwro`` (``channel`` = NuWro ``dyn`` code, sidecar ``.json``) are recognised.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nugan.atomic import AtomicStreamWriter, atomic_path
from nugan.events.outputs import check_output
from nugan.events.table import CHANNEL_CODES, UNKNOWN_CHANNEL, EventTable, SampleMeta

__all__ = [
    "META_KEY",
    "read_parquet",
    "write_parquet",
    "ParquetEventWriter",
    "nuwro_dyn_to_channel",
    "table_to_arrow",
    "read_meta",
]

META_KEY = b"nugan.meta"
REQUIRED = ("E_nu", "E_mu", "cos_theta")

# NuWro dyn code (CC) -> nugan channel label
_NUWRO_DYN = {0: "QE", 2: "RES", 4: "DIS", 6: "COH", 8: "MEC", 10: "OTHER", 20: "OTHER"}


def nuwro_dyn_to_channel(dyn: np.ndarray) -> np.ndarray:
    """Map NuWro ``dyn`` codes (0 QE, 2 RES, 4 DIS, 6 COH, 8 MEC, ...) to nugan int8 channel codes."""
    dyn = np.asarray(dyn)
    out = np.full(dyn.shape, UNKNOWN_CHANNEL, dtype=np.int8)
    for code, name in _NUWRO_DYN.items():
        out[(dyn == code) | (dyn == code + 1)] = CHANNEL_CODES[name]
    return out


def table_to_arrow(table: EventTable) -> pa.Table:
    """Arrow table with nugan columns and the metadata attached."""
    arrays = {k: pa.array(v) for k, v in table.columns().items()}
    t = pa.table(arrays)
    return t.replace_schema_metadata({META_KEY: table.meta.to_json().encode()})


def write_parquet(table: EventTable, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` atomically (temporary file + rename) to ``path``; returns the path."""
    check_output(path, "parquet")
    with atomic_path(path) as tmp:
        pq.write_table(table_to_arrow(table), tmp, compression="zstd")
    return Path(path)


class ParquetEventWriter(AtomicStreamWriter[EventTable]):
    """Streaming writer: append :class:`EventTable` chunks, file appears atomically on :meth:`close`.

    Use as a context manager; on an exception the partial temporary file is removed.
    """

    def __init__(
        self, path: str | os.PathLike[str], meta: SampleMeta, with_weight: bool = False, with_channel: bool = False
    ) -> None:
        super().__init__(check_output(path, "parquet"))
        fields = [pa.field(n, pa.float64()) for n in REQUIRED]
        if with_weight:
            fields.append(pa.field("weight", pa.float64()))
        if with_channel:
            fields.append(pa.field("channel", pa.int8()))
        self.schema = pa.schema(fields, metadata={META_KEY: meta.to_json().encode()})
        try:
            # dictionary encoding only pays for the small-integer channel column: on float columns it is
            # built, found too large and dropped, which costs ~25% of the write time
            self._writer = pq.ParquetWriter(
                self._tmp, self.schema, compression="zstd", use_dictionary=["channel"] if with_channel else False
            )
        except BaseException:  # a SIGTERM while the writer opens the file: its partial file goes too
            self.abort()
            raise

    def write(self, table: EventTable) -> None:
        cols = table.columns()
        arrays = []
        for f in self.schema:
            if f.name not in cols:
                raise ValueError(f"chunk lacks column {f.name!r} declared for {self.path}")
            arrays.append(pa.array(cols[f.name], type=f.type))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.n_written += len(table)


def _meta_from_sidecar(path: Path, columns: dict[str, np.ndarray]) -> SampleMeta:
    """Metadata for a plain Parquet file: sidecar JSON (NuWro samples) and per-row pdg/Z/A columns."""
    kw: dict = {"source": path.name}
    side = path.with_suffix(".json")
    if side.exists():
        try:
            info = json.loads(side.read_text())
        except (OSError, json.JSONDecodeError):
            info = {}
        if "beam_pdg" in info:
            kw["probe_pdg"] = int(info["beam_pdg"])
        if "target_Z" in info:
            kw["target_Z"], kw["target_A"] = int(info["target_Z"]), int(info["target_A"])
        if info.get("generator"):
            kw["source"] = str(info["generator"]).lower()
            kw["model"] = str(info.get("sample", info["generator"]))
        if info.get("nuwro_version"):
            kw["generator_version"] = str(info["nuwro_version"])
        if info.get("random_seed") is not None:
            kw["seed"] = int(info["random_seed"])
        if info.get("cross_section_total_cm2_per_nucleon"):
            kw["xsec_cm2"] = float(info["cross_section_total_cm2_per_nucleon"])
        e = str(info.get("beam_energy_param_MeV", "")).split()
        if len(e) == 2:
            kw["energy_range"] = (float(e[0]) / 1000.0, float(e[1]) / 1000.0)
        elif len(e) == 1:
            kw["energy_range"] = (float(e[0]) / 1000.0, float(e[0]) / 1000.0)
    for col, key in (("pdg_nu", "probe_pdg"), ("target_Z", "target_Z"), ("target_A", "target_A")):
        if col in columns and key not in kw and len(columns[col]):
            vals = np.unique(columns[col])
            if len(vals) != 1:
                raise ValueError(f"{path}: column {col!r} mixes several values {vals[:5]}; filter first")
            kw[key] = int(vals[0])
    return SampleMeta(**kw)


def _arrow_to_table(t: pa.Table, path: Path) -> EventTable:
    missing = [c for c in REQUIRED if c not in t.column_names]
    if missing:
        raise ValueError(
            f"{path}: Parquet file lacks column(s) {missing}; nugan needs E_nu, E_mu, cos_theta in GeV "
            f"(found {t.column_names[:12]})"
        )
    md = t.schema.metadata or {}
    for c in (*REQUIRED, "weight", "channel"):
        if c in t.column_names and not (
            pa.types.is_floating(t.schema.field(c).type) or pa.types.is_integer(t.schema.field(c).type)
        ):
            raise ValueError(
                f"{path}: column {c!r} has type {t.schema.field(c).type}; nugan needs numbers "
                f"({'GeV' if c.startswith('E_') else 'float'} for {c})"
            )
    cols = {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}
    channel = None
    if META_KEY in md:
        meta = SampleMeta.from_json(md[META_KEY].decode())
        channel = cols.get("channel")
    else:
        meta = _meta_from_sidecar(path, cols)
        if "channel" in cols and meta.source == "nuwro":
            channel = nuwro_dyn_to_channel(cols["channel"])
        elif "channel" in cols:
            # without nugan metadata or the NuWro sidecar JSON the codes' meaning is unknown (NuWro dyn 4 is
            # DIS, nugan code 4 is COH): never guess, drop them
            warnings.warn(
                f"{path}: column 'channel' ignored: the file has no nugan metadata and no sidecar "
                f"{path.with_suffix('.json').name} saying which generator's codes it holds (copy the "
                "JSON next to it to keep channels)",
                stacklevel=4,
            )
    return EventTable(
        cols["E_nu"], cols["E_mu"], cols["cos_theta"], meta=meta, weight=cols.get("weight"), channel=channel
    )


def read_parquet(path: str | os.PathLike[str], columns_only: bool = False) -> EventTable:
    """Read a Parquet event file into an :class:`EventTable` (values unchanged; validate separately)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a Parquet event file")
    try:
        t = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise ValueError(f"{path}: not a readable Parquet file ({err})") from err
    return _arrow_to_table(t, path)


def read_meta(path: str | os.PathLike[str]) -> SampleMeta:
    """The :class:`SampleMeta` of a nugan Parquet file from its schema alone (no event is read)."""
    md = pq.read_schema(path).metadata or {}
    if META_KEY not in md:
        raise ValueError(f"{path}: no nugan metadata in the Parquet schema")
    return SampleMeta.from_json(md[META_KEY].decode())
