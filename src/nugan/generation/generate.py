"""Flux-folded, streamed generation of large samples to Parquet or NuHepMC (``nugan generate``).

E_nu is drawn from flux(E) x sigma(E) (:mod:`nugan.physics.flux`, sigma from
:mod:`nugan.physics.xsec`), the muon from the model. Work proceeds in chunks of
``plan.chunk_size`` events (a multiple of :data:`~nugan.models.latents.LATENT_BLOCK`), so
memory stays bounded for any number of events and each chunk is written as soon as it is made.

Random numbers: chunk ``k``'s energies come from ``PCG64(SeedSequence(seed, spawn_key=(0, k)))``,
its latents from the sampler's block streams; the same seed, arguments and device therefore give
the same file, whatever the ``batch_size``.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nugan.constants import M_MU
from nugan.events.table import EventTable, SampleMeta
from nugan.generation.checks import PhysicalCheck
from nugan.generation.model_base import SamplingModel
from nugan.models.latents import LATENT_BLOCK
from nugan.physics.flux import Flux, make_flux, read_flux_csv, read_flux_root
from nugan.physics.xsec import XsecCurve, load_user_xsec

__all__ = [
    "GEN_CHUNK",
    "FORMATS",
    "GenerationPlan",
    "GenerationResult",
    "resolve_xsec",
    "make_plan",
    "chunk_energies",
    "sample_meta",
    "iter_generate",
    "generate_to_file",
    "output_format",
]

#: Events per generated chunk (64 latent blocks, ~1e6 events: ~40 MB of columns in memory).
GEN_CHUNK = 64 * LATENT_BLOCK
#: Output formats by file suffix.
FORMATS: dict[str, str] = {".parquet": "parquet", ".pq": "parquet", ".hepmc3": "nuhepmc", ".hepmc": "nuhepmc"}
_ENERGY_STREAM = 0


@dataclass(frozen=True)
class GenerationPlan:
    """Everything that defines a generated sample (built and checked by :func:`make_plan`).

    Attributes:
        n_events: events requested.
        seed: non-negative seed.
        flux: beam (monoenergetic or histogram) over the generated energy range [GeV].
        xsec: total cross section used to fold the flux (None: monoenergetic beam without one).
        fatx_cm2: flux-averaged total cross section per nucleon [cm^2], None if unknown.
        batch_size: events per network call (None: the sampler's default).
        allow_extrapolation: energies outside the model range were allowed (with a warning).
        chunk_size: events per streamed chunk (multiple of LATENT_BLOCK).
        flux_outside_fraction: share of a file flux's content outside the energy range (not generated).
    """

    n_events: int
    seed: int
    flux: Flux
    xsec: XsecCurve | None
    fatx_cm2: float | None
    batch_size: int | None = None
    allow_extrapolation: bool = False
    chunk_size: int = GEN_CHUNK
    flux_outside_fraction: float = 0.0

    @property
    def n_chunks(self) -> int:
        """Number of chunks of the sample."""
        return -(-self.n_events // self.chunk_size)

    @property
    def xsec_source(self) -> str:
        """Where sigma(E) came from ('none' when not used)."""
        return self.xsec.source if self.xsec is not None else "none"


@dataclass
class GenerationResult:
    """What :func:`generate_to_file` did.

    Attributes:
        path: output file. fmt: 'parquet' or 'nuhepmc'. n_written: events in the file.
        check: accumulated physical-range check counts. seconds: wall time.
        meta: the metadata written.
    """

    path: Path
    fmt: str
    n_written: int
    check: PhysicalCheck
    seconds: float
    meta: SampleMeta

    @property
    def events_per_s(self) -> float:
        """Throughput including writing [events/s]."""
        return self.n_written / self.seconds if self.seconds > 0 else float("inf")


def resolve_xsec(model: SamplingModel, xsec_file: str | os.PathLike[str] | None) -> XsecCurve | None:
    """sigma(E): the user's file if given, else the one stored in the checkpoint, else None."""
    if xsec_file is not None:
        return XsecCurve.from_dict(load_user_xsec(xsec_file))
    try:
        return model.xsec
    except ValueError as err:
        raise ValueError(
            f"model {model.name}: stored cross section is invalid ({err}); give one with --xsec FILE.csv"
        ) from None


def _flux_outside_fraction(flux: str, lo: float, hi: float) -> float:
    """Share of a file flux's total content outside [lo, hi] GeV (0 for 'flat')."""
    if ".root:" in flux:
        edges, content = read_flux_root(flux)
    elif flux.lower().endswith(".csv"):
        edges, content = read_flux_csv(flux)
    else:
        return 0.0
    total = float(np.sum(content))
    if not total > 0:
        return 0.0
    inside = np.clip(edges, lo, hi)
    frac = np.where(np.diff(edges) > 0, np.diff(inside) / np.diff(edges), 0.0)
    return float(1.0 - np.sum(content * frac) / total)


def _energy_bounds(energy: float | tuple[float, float]) -> tuple[float, float]:
    """(lo, hi) [GeV] of an energy or range argument."""
    if isinstance(energy, (int, float, np.floating, np.integer)):
        return float(energy), float(energy)
    lo, hi = energy
    return float(lo), float(hi)


def make_plan(
    model: SamplingModel,
    n_events: int,
    seed: int,
    *,
    energy: float | tuple[float, float] | None = None,
    flux: str = "flat",
    xsec_file: str | os.PathLike[str] | None = None,
    batch_size: int | None = None,
    allow_extrapolation: bool = False,
    chunk_size: int = GEN_CHUNK,
) -> GenerationPlan:
    """Check every argument before any work and return the plan.

    Args:
        model: the loaded model.
        n_events: number of events (> 0).
        seed: non-negative seed.
        energy: one energy [GeV] (monoenergetic beam) or (lo, hi) [GeV] for a flux; default the
            model's energy range.
        flux: 'flat', 'FILE.csv' or 'FILE.root:HIST' (:mod:`nugan.physics.flux`).
        xsec_file: CSV of sigma(E) (``E_GeV,sigma_cm2``) overriding the checkpoint's.
        batch_size: events per network call (None: default).
        allow_extrapolation: allow energies outside the model's range (warns) instead of raising.
        chunk_size: events per streamed chunk, a positive multiple of LATENT_BLOCK.

    Raises:
        ValueError: a bad argument, or a flux without a cross section (says how to give one).
    """
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)) or n_events <= 0:
        raise ValueError(f"number of events must be a positive integer, got {n_events!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if batch_size is not None and batch_size <= 0:
        raise ValueError(f"batch size must be > 0, got {batch_size}")
    if chunk_size <= 0 or chunk_size % LATENT_BLOCK:
        raise ValueError(f"chunk size must be a positive multiple of {LATENT_BLOCK}, got {chunk_size}")
    e_lo, e_hi = model.energy_range
    energy = (e_lo, e_hi) if energy is None else energy
    lo, hi = _energy_bounds(energy)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi < lo:
        raise ValueError(f"energy must be E > 0 or ELO:EHI with 0 < ELO <= EHI GeV, got {energy!r}")
    _check_model_range(model, lo, hi, allow_extrapolation)
    allowed = (min(lo, e_lo), max(hi, e_hi)) if allow_extrapolation else (e_lo, e_hi)
    fl = make_flux(str(flux), energy, allowed)
    xs = resolve_xsec(model, xsec_file)
    if not fl.is_mono:
        if xs is None:
            raise ValueError(
                f"model {model.name or '(in memory)'} has no cross section sigma(E) (info['xsec']) to "
                f"fold the flux with; give one with --xsec FILE.csv (columns E_GeV,sigma_cm2 in GeV "
                "and cm^2 per nucleon; `nugan xsec -o DIR` writes one for the built-in simulator), or "
                "store one in the checkpoint with nugan.generation.xsec.attach_xsec"
            )
        _check_coverage(xs, lo, hi, allow_extrapolation)
    elif xs is not None:
        _check_coverage(xs, lo, hi, allow_extrapolation)
    fatx = None if xs is None else fl.averaged_sigma(xs.total)
    if xs is not None and fatx is not None and not fatx > 0:
        raise ValueError(f"the cross section ({xs.source}) vanishes over {fl.label}")
    outside = 0.0 if fl.is_mono else _flux_outside_fraction(str(flux), lo, hi)
    return GenerationPlan(
        int(n_events), int(seed), fl, xs, fatx, batch_size, allow_extrapolation, int(chunk_size), outside
    )


def _check_model_range(model: SamplingModel, lo: float, hi: float, allow_extrapolation: bool) -> None:
    """Raise (or warn when extrapolating) if the beam [lo, hi] GeV leaves the model's range (checked first: the
    model's range is what the user must fit; the muon-mass threshold matters only when extrapolating)."""
    if model.bundle.transform.in_range(np.array([lo, hi])).all():
        return
    e_lo, e_hi = model.energy_range
    beam = f"energy {lo:g} GeV" if lo == hi else f"energy range {lo:g}-{hi:g} GeV"
    msg = f"{beam} is outside the model's range {e_lo:g}-{e_hi:g} GeV"
    if not allow_extrapolation:
        raise ValueError(msg + "; pass --allow-extrapolation (allow_extrapolation=True) to generate there anyway")
    if lo <= M_MU:
        raise ValueError(f"{msg}, and below the muon mass {M_MU} GeV no CC nu_mu event exists: start above it")
    warnings.warn(msg + ": extrapolating, results there are not validated", stacklevel=3)


def _check_coverage(xs: XsecCurve, lo: float, hi: float, allow_extrapolation: bool) -> None:
    """Raise (or warn when extrapolating) if sigma(E) does not cover [lo, hi] GeV."""
    if xs.covers(lo, hi):
        return
    a, b = xs.energy_range
    msg = f"the cross section ({xs.source}) covers {a:.4g}-{b:.4g} GeV but the beam spans {lo:.4g}-{hi:.4g} GeV"
    if not allow_extrapolation:
        raise ValueError(
            msg + "; give a wider table with --xsec or pass --allow-extrapolation "
            "(sigma is then held constant beyond its ends)"
        )
    warnings.warn(msg + ": sigma held constant beyond its ends", stacklevel=3)


def chunk_energies(plan: GenerationPlan, k: int) -> np.ndarray:
    """Neutrino energies [GeV] of chunk ``k`` (distributed as flux x sigma; reproducible)."""
    n = min(plan.chunk_size, plan.n_events - k * plan.chunk_size)
    if n <= 0:
        raise ValueError(f"chunk {k} is beyond the {plan.n_chunks} chunks of the plan")
    if plan.flux.energy is not None:  # monoenergetic
        return np.full(n, plan.flux.energy)
    assert plan.xsec is not None  # make_plan guarantees it for a non-monoenergetic flux
    ss = np.random.SeedSequence(plan.seed, spawn_key=(_ENERGY_STREAM, k))
    return plan.flux.sample(n, np.random.Generator(np.random.PCG64(ss)), plan.xsec.total)


def sample_meta(model: SamplingModel, plan: GenerationPlan) -> SampleMeta:
    """Metadata of the generated sample (FATX, flux and sigma source recorded)."""
    return model.meta(
        plan.seed,
        plan.flux.energy_range,
        plan.fatx_cm2,
        extra={
            "flux": plan.flux.label,
            "xsec_source": plan.xsec_source,
            "device": str(model.device),
            "engine": model.engine,
        },
    )


def iter_generate(model: SamplingModel, plan: GenerationPlan) -> Iterator[tuple[EventTable, PhysicalCheck]]:
    """Yield (chunk, its physical-range check) for the whole plan, in order."""
    meta = sample_meta(model, plan)
    for k in range(plan.n_chunks):
        E = chunk_energies(plan, k)
        with warnings.catch_warnings():
            # the range was checked (and any extrapolation warned about) once by make_plan
            warnings.simplefilter("ignore")
            yield model.sample_checked(
                E,
                plan.seed,
                plan.allow_extrapolation,
                batch_size=plan.batch_size,
                offset=k * plan.chunk_size,
                meta=meta,
            )


def output_format(path: str | os.PathLike[str]) -> str:
    """'parquet' or 'nuhepmc' from the file suffix (raises ValueError for others)."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"{p}: unknown output format {p.suffix!r}; use .parquet or .hepmc3 (NuHepMC)")
    if p.is_dir():
        raise ValueError(f"{p} is a directory; give an output file name")
    return fmt


def _writer(path: Path, fmt: str, meta: SampleMeta, plan: GenerationPlan) -> Any:
    """An open streaming writer (context manager with ``write``) for ``fmt``."""
    if fmt == "parquet":
        from nugan.events.parquet_io import ParquetEventWriter

        return ParquetEventWriter(path, meta)
    from nugan.events.nuhepmc import NuHepMCWriter

    return NuHepMCWriter(path, meta, xsec_cm2=plan.fatx_cm2, seed=plan.seed)


def generate_to_file(
    model: SamplingModel, plan: GenerationPlan, path: str | os.PathLike[str], progress: bool = True
) -> GenerationResult:
    """Stream the plan's events to ``path`` (.parquet or .hepmc3); the file appears atomically.

    Writing overlaps sampling: each chunk is written in a background thread while the next is sampled.

    A rich progress bar shows events and events/s when ``progress``. Returns the counts of the
    physical-range check (expected 0 repaired, 0 rejected) with the timing.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    path = Path(path)
    fmt = output_format(path)
    meta = sample_meta(model, plan)
    total = PhysicalCheck(np.empty(0), np.empty(0), np.empty(0, dtype=bool), 0, 0, 0)
    t0 = time.perf_counter()
    bar = Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        disable=not progress,
    )
    # write-behind: chunk k is written by one background thread while chunk k+1 is sampled (the writers'
    # encoders release the GIL); the pool is shut down, waiting for the last write, before the writer closes
    # (or, on an error, removes its temporary file)
    with bar, _writer(path, fmt, meta, plan) as writer, ThreadPoolExecutor(1, "nugan-write") as pool:
        task = bar.add_task("gen", total=plan.n_events, rate="")
        done = 0
        pending: Future[None] | None = None
        for table, check in iter_generate(model, plan):
            if pending is not None:
                pending.result()  # re-raises a failed write
            pending = pool.submit(writer.write, table)
            total += check
            done += check.n_checked
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, advance=check.n_checked, rate=f"{rate:,.0f} ev/s")
        if pending is not None:
            pending.result()
        n_written = writer.n_written
    return GenerationResult(path, fmt, n_written, total, time.perf_counter() - t0, meta)
