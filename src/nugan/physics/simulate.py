"""Public entry points of the built-in simulator: :func:`simulate` and :func:`simulate_to_file`.

Events are unweighted CC-inclusive (E_nu, E_mu, cos_theta) with channel labels, drawn from the cached
kinematic tables (:mod:`nugan.physics.tables`) by :class:`~nugan.physics.sampler.TableSampler`.
The same arguments and seed give identical events: they are drawn in blocks of :data:`SIM_BLOCK` events,
block ``k`` with the generator ``PCG64(SeedSequence(seed, spawn_key=(k,)))`` (the ``k``-th child of
``SeedSequence(seed)``, made when needed), and handed out in chunks of at most ``chunk_size`` events, so the
chunk size changes neither the events nor the memory bound (one block).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nugan.constants import TARGETS, probe_pdg
from nugan.events import EventTable, ParquetEventWriter, SampleMeta
from nugan.events.outputs import check_output
from nugan.events.table import CHANNEL_CODES
from nugan.physics.flux import Flux, make_flux
from nugan.physics.models import ModelParams, get_model
from nugan.physics.sampler import TableSampler
from nugan.physics.tables import BUILDER_VERSION, canonical_target, get_tables

__all__ = [
    "SimulationConfig",
    "make_config",
    "simulate",
    "simulate_to_file",
    "iter_chunks",
    "GENERATOR",
    "SIM_BLOCK",
    "MAX_EVENTS",
]

GENERATOR = "nugan-simulator"
#: Events drawn with one generator (the unit of reproducibility and of memory: ~100 MB of work arrays).
SIM_BLOCK = 1_000_000
#: event labels of simulator channels that are not nugan channel names (NuWro labels its hyperon events OTHER too)
SIM_LABELS = {"HYP": "OTHER"}
DEFAULT_CHUNK = SIM_BLOCK
#: Largest sample one call may produce (1e10 events: ~250 GB of Parquet); a typo must not run for days.
MAX_EVENTS = 10_000_000_000


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that defines a simulated sample (checked by :func:`make_config`)."""

    probe_pdg: int
    target: str
    model: ModelParams
    flux: Flux
    n_events: int
    seed: int


def make_config(
    probe: str | int,
    target: str,
    model: str | ModelParams,
    energy: float | tuple[float, float],
    flux: str,
    n_events: int,
    seed: int,
) -> SimulationConfig:
    """Validate every argument (clear ValueError before any work) and return the configuration."""
    pdg = probe_pdg(probe)
    if str(target) not in TARGETS and not str(target).isdigit():
        canonical_target(target)  # raises with the list of targets
    tgt = canonical_target(target)
    m = get_model(model)
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise ValueError(f"number of events must be an integer, got {n_events!r}")
    if n_events <= 0:
        raise ValueError(f"number of events must be > 0, got {n_events}")
    if n_events > MAX_EVENTS:
        raise ValueError(
            f"number of events must be at most {MAX_EVENTS:.0e}, got {n_events:.3g}; split larger "
            "samples into several files with different seeds"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    fl = make_flux(str(flux), energy, (m.E_min, m.E_max))
    return SimulationConfig(pdg, tgt, m, fl, int(n_events), int(seed))


def _meta(cfg: SimulationConfig, xsec: float) -> SampleMeta:
    from nugan import __version__

    Z, A = TARGETS[cfg.target]
    return SampleMeta(
        probe_pdg=cfg.probe_pdg,
        target_Z=Z,
        target_A=A,
        model=cfg.model.name,
        source="simulator",
        seed=cfg.seed,
        generator_version=f"{GENERATOR} {__version__} ({cfg.model.label}, tables v{BUILDER_VERSION})",
        energy_range=cfg.flux.energy_range,
        xsec_cm2=xsec,
        extra={
            "flux": cfg.flux.label,
            "model_version": cfg.model.version,
            "model_fingerprint": cfg.model.fingerprint(),
        },
    )


def iter_chunks(cfg: SimulationConfig, chunk_size: int = DEFAULT_CHUNK) -> Iterator[EventTable]:
    """Yield the sample of ``cfg`` in chunks of at most ``chunk_size`` events (reproducible from the seed)."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be > 0, got {chunk_size}")
    tables = get_tables(cfg.probe_pdg, cfg.target, cfg.model)
    sampler = TableSampler(tables)

    def sig_tot(E: np.ndarray) -> np.ndarray:
        return sampler.sigma_at(E).sum(axis=0)

    xsec = cfg.flux.averaged_sigma(sig_tot)
    if not xsec > 0:
        raise ValueError(f"the cross section vanishes for {cfg.flux.label} (below threshold?)")
    meta = _meta(cfg, xsec)
    codes = np.array([CHANNEL_CODES[SIM_LABELS.get(c, c)] for c in tables.channels], dtype=np.int8)
    n_blocks = -(-cfg.n_events // SIM_BLOCK)
    for k in range(n_blocks):
        n = min(SIM_BLOCK, cfg.n_events - k * SIM_BLOCK)
        # the k-th child of SeedSequence(seed), as SeedSequence.spawn would make it, without making them all
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(cfg.seed, spawn_key=(k,))))
        E = cfg.flux.sample(n, rng, sig_tot)
        e_mu, cos, ch = sampler.sample(E, rng)
        block = EventTable(E, e_mu, cos, meta=meta, channel=codes[ch])
        for a in range(0, n, chunk_size):
            yield block[a : a + chunk_size] if n > chunk_size else block


def simulate(
    probe: str | int = "numu",
    target: str = "C12",
    model: str | ModelParams = "default",
    energy: float | tuple[float, float] = (0.3, 10.0),
    flux: str = "flat",
    n_events: int = 10_000,
    seed: int = 0,
) -> EventTable:
    """Simulate ``n_events`` unweighted CC-inclusive events in memory.

    Args:
        probe: 'numu' / 'numubar' or PDG 14 / -14.
        target: 'C12', 'O16', 'Ar40', 'Fe56'.
        model: built-in model name (see :func:`nugan.physics.list_models`), TOML/YAML file or ModelParams.
        energy: (E_lo, E_hi) [GeV] for a flux, or one energy [GeV] for a monoenergetic beam.
        flux: 'flat', 'FILE.csv' or 'FILE.root:HIST' (see :mod:`nugan.physics.flux`).
        n_events: number of events (> 0). seed: random seed (>= 0); same seed -> identical events.
    Returns:
        EventTable with channel labels and metadata (source 'simulator', model, seed, energy_range, xsec_cm2 =
        flux-averaged total cross section per nucleon [cm^2], generator_version).
    """
    cfg = make_config(probe, target, model, energy, flux, n_events, seed)
    return EventTable.concat(list(iter_chunks(cfg)))


def simulate_to_file(
    path: str | os.PathLike[str],
    probe: str | int = "numu",
    target: str = "C12",
    model: str | ModelParams = "default",
    energy: float | tuple[float, float] = (0.3, 10.0),
    flux: str = "flat",
    n_events: int = 10_000,
    seed: int = 0,
    chunk_size: int = DEFAULT_CHUNK,
    progress: bool = True,
) -> Path:
    """Stream a simulated sample to Parquet (bounded memory, atomic file, rich progress bar).

    Arguments as :func:`simulate`; the file holds exactly the events :func:`simulate` returns for the same
    arguments, whatever ``chunk_size`` (events per Parquet write). The path must end in .parquet or .pq.
    """
    path = check_output(path, "parquet")
    cfg = make_config(probe, target, model, energy, flux, n_events, seed)
    writer: ParquetEventWriter | None = None
    try:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeRemainingColumn(),
            disable=not progress,
            transient=False,
        )
        with bar:
            task = bar.add_task("sim", total=cfg.n_events)
            for chunk in iter_chunks(cfg, chunk_size):
                if writer is None:
                    writer = ParquetEventWriter(path, chunk.meta, with_channel=True)
                writer.write(chunk)
                bar.advance(task, len(chunk))
        assert writer is not None
        return writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
