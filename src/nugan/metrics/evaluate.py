"""One call to evaluate a generator: :func:`evaluate_samples` (from a conditional sampler) and
:func:`evaluate_tables` (from already generated samples), plus floors and the domain distance.

A generator is given as ``gen_fn(E_nu, seed) -> EventTable``: E_nu is a float64 array [GeV], one
entry per event to generate, and the returned table must hold exactly those events in that order.
Generated events are drawn at exactly the reference events' E_nu values, k per reference event
(method.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nugan.events.table import EventTable
from nugan.metrics.classifier import AucResult, classifier_auc
from nugan.metrics.emd import emd, match_energies
from nugan.metrics.floor import FloorSet, floor_auc, floor_auc_by_energy, floor_emd, floor_map3d
from nugan.metrics.map3d import MIN_REF_NO_TAILS, default_energy_range, map3d_result
from nugan.metrics.report import MetricsReport

__all__ = [
    "GenFn",
    "sample_at",
    "generate_like",
    "generate_fixed",
    "compute_floor",
    "evaluate_tables",
    "evaluate_samples",
    "domain_distance",
]

#: A conditional sampler: (E_nu [GeV] per event, seed) -> EventTable of those events.
GenFn = Callable[[np.ndarray, int], EventTable]


def _seeds(seed: int, n: int) -> list[int]:
    """n independent integer seeds derived from ``seed``."""
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(n)]


def sample_at(gen_fn: GenFn, E_nu: np.ndarray, seed: int) -> EventTable:
    """Call ``gen_fn(E_nu, seed)`` and check that it returned one event per requested energy."""
    E_nu = np.ascontiguousarray(E_nu, dtype=np.float64)
    out = gen_fn(E_nu, int(seed))
    if not isinstance(out, EventTable):
        raise TypeError(f"generator returned {type(out).__name__}, expected an EventTable")
    if len(out) != len(E_nu):
        raise ValueError(f"generator returned {len(out)} events for {len(E_nu)} requested energies")
    if not np.allclose(out.E_nu, E_nu, rtol=1e-5, atol=0.0):
        raise ValueError("generator returned events whose E_nu differs from the requested E_nu values")
    return out


def generate_like(gen_fn: GenFn, reference: EventTable, k: int = 1, seed: int = 0) -> EventTable:
    """Generate k events at each reference event's E_nu (each energy repeated k times in a row)."""
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return sample_at(gen_fn, np.repeat(reference.E_nu, int(k)), seed)


def generate_fixed(
    gen_fn: GenFn, fixed_energy_refs: Mapping[float, EventTable], k: int = 1, seed: int = 0
) -> dict[float, EventTable]:
    """Generate k * len(ref) events at each fixed energy E [GeV] of ``fixed_energy_refs``."""
    seeds = _seeds(seed, len(fixed_energy_refs))
    return {
        float(e): generate_like(gen_fn, ref, k, s)
        for (e, ref), s in zip(sorted(fixed_energy_refs.items()), seeds, strict=True)
    }


def compute_floor(
    reference: EventTable,
    fixed_energy_refs: Mapping[float, EventTable] | None = None,
    reference2: EventTable | None = None,
    fixed_energy_refs2: Mapping[float, EventTable] | None = None,
    seed: int = 0,
    energy_range: tuple[float, float] | None = None,
    bins: int | tuple[int, int, int] = 20,
    auc: bool = True,
    auc_cap: int = 100_000,
    k: float = 1.0,
) -> FloorSet:
    """MC-vs-MC floors of every metric (independent second references where given, else half
    splits).

    Compute once per reference set and pass to :func:`evaluate_samples` / :func:`evaluate_tables`
    (``floor=``) to avoid recomputing it for each model or checkpoint. ``k`` is the generated-to-
    reference ratio of the evaluations the EMD floor is rescaled to (see :func:`floor_emd`).
    """
    s = _seeds(seed + 1, 3)
    fixed = dict(fixed_energy_refs or {})
    return FloorSet(
        map=floor_map3d(reference, reference2, s[0], energy_range, bins),
        emd=floor_emd(fixed, fixed_energy_refs2, s[1], k=k) if fixed else None,
        auc=floor_auc(reference, reference2, s[2], auc_cap) if auc else None,
        auc_by_energy=floor_auc_by_energy(fixed, fixed_energy_refs2, s[2], auc_cap) if auc and fixed else {},
    )


def evaluate_tables(
    gen: EventTable,
    reference: EventTable,
    gen_fixed: Mapping[float, EventTable] | None = None,
    fixed_energy_refs: Mapping[float, EventTable] | None = None,
    k: float = 1,
    seed: int = 0,
    name: str = "model",
    floor: FloorSet | bool = True,
    reference2: EventTable | None = None,
    fixed_energy_refs2: Mapping[float, EventTable] | None = None,
    energy_range: tuple[float, float] | None = None,
    bins: int | tuple[int, int, int] = 20,
    auc: bool = True,
    auc_cap: int = 100_000,
    auc_per_energy: bool = True,
) -> MetricsReport:
    """Every metric of already generated samples against their references.

    Args:
        gen: generated sample matching ``reference`` (k events per reference event).
        reference: main reference (MC) sample over the domain's energy range.
        gen_fixed: E_nu [GeV] -> generated sample at that fixed energy (needed when
            ``fixed_energy_refs`` is given).
        fixed_energy_refs: E_nu [GeV] -> fixed-energy reference sample (EMD, per-energy AUC).
        k: generated events per reference event in MAP-3D.
        seed: seed of the stochastic metrics (AUC subsampling/split, floors).
        name: row label.
        floor: a precomputed :class:`FloorSet`, True to compute it here, False for none.
        reference2, fixed_energy_refs2: independent second references for the floor (else half
        splits).
        energy_range: E_nu axis of MAP-3D [GeV]; None takes the reference's domain range.
        bins: MAP-3D bins per axis.
        auc: compute the classifier AUC (the slowest metric).
        auc_cap: at most this many events per sample in each AUC.
        auc_per_energy: also compute the AUC at each fixed energy.
    """
    t0 = time.perf_counter()
    er = default_energy_range(reference) if energy_range is None else energy_range
    s = _seeds(seed, 2)
    fixed = dict(fixed_energy_refs or {})
    if fixed and gen_fixed is None:
        raise ValueError("fixed_energy_refs given without gen_fixed (the generated samples at those energies)")
    gen_fixed = dict(gen_fixed or {})
    res_map = map3d_result(gen, reference, k=k, energy_range=er, bins=bins, min_ref=MIN_REF_NO_TAILS)
    res_emd = emd(gen_fixed, fixed) if fixed else None
    res_auc = classifier_auc(gen, reference, seed=s[0], cap=auc_cap) if auc else None
    by_e: dict[float, AucResult] = {}
    if auc and auc_per_energy and fixed:
        keys = match_energies(list(gen_fixed), list(fixed))
        by_e = {
            e: classifier_auc(gen_fixed[keys[e]], fixed[e], seed=s[1] + i, cap=auc_cap)
            for i, e in enumerate(sorted(keys))
        }
    if isinstance(floor, FloorSet):
        fs: FloorSet | None = floor
    elif floor:
        fs = compute_floor(reference, fixed, reference2, fixed_energy_refs2, seed, er, bins, auc, auc_cap, k=k)
    else:
        fs = None
    info = {
        "reference": reference.meta.domain,
        "reference_source": reference.meta.source,
        "n_reference": len(reference),
        "n_generated": len(gen),
        "generated": gen.meta.domain,
        "fixed_energies_GeV": sorted(fixed),
        "elapsed_s": round(time.perf_counter() - t0, 3),
    }
    return MetricsReport(
        name=name,
        map=res_map,
        emd=res_emd,
        auc=res_auc,
        auc_by_energy=by_e,
        floor=fs,
        seed=int(seed),
        k=float(k),
        info=info,
    )


def evaluate_samples(
    gen_fn: GenFn,
    reference: EventTable,
    fixed_energy_refs: Mapping[float, EventTable] | None = None,
    seed: int = 0,
    k: int = 1,
    name: str = "model",
    floor: FloorSet | bool = True,
    reference2: EventTable | None = None,
    fixed_energy_refs2: Mapping[float, EventTable] | None = None,
    energy_range: tuple[float, float] | None = None,
    bins: int | tuple[int, int, int] = 20,
    auc: bool = True,
    auc_cap: int = 100_000,
    auc_per_energy: bool = True,
) -> MetricsReport:
    """Evaluate a conditional sampler: generate k events at each reference event's E_nu (and at
    each fixed energy), then compute MAP-3D, EMD and classifier AUC with their MC-vs-MC floors.

    Args:
        gen_fn: ``gen_fn(E_nu, seed) -> EventTable`` (E_nu [GeV], one event per entry).
        reference: main reference (MC) sample, independent of training.
        fixed_energy_refs: E_nu [GeV] -> fixed-energy reference ({0.5: t, 1.0: t, 3.0: t}).
        seed: seed of generation (independent streams per sample) and of the stochastic metrics.
        k: generated events per reference event (keep 1 for MAP-3D with tails, method.md).
        Other arguments: as :func:`evaluate_tables`.
    """
    gs = _seeds(seed, 2)
    t0 = time.perf_counter()
    gen = generate_like(gen_fn, reference, k, gs[0])
    gen_fixed = generate_fixed(gen_fn, fixed_energy_refs, k, gs[1]) if fixed_energy_refs else None
    t_gen = time.perf_counter() - t0
    rep = evaluate_tables(
        gen,
        reference,
        gen_fixed,
        fixed_energy_refs,
        k=k,
        seed=seed,
        name=name,
        floor=floor,
        reference2=reference2,
        fixed_energy_refs2=fixed_energy_refs2,
        energy_range=energy_range,
        bins=bins,
        auc=auc,
        auc_cap=auc_cap,
        auc_per_energy=auc_per_energy,
    )
    rep.info["generation_s"] = round(t_gen, 3)
    return rep


def domain_distance(
    source_ref: EventTable,
    target_ref: EventTable,
    source_fixed: Mapping[float, EventTable] | None = None,
    target_fixed: Mapping[float, EventTable] | None = None,
    seed: int = 0,
    name: str = "domain distance (source MC vs target MC)",
    floor: FloorSet | bool = False,
    **kwargs: Any,
) -> MetricsReport:
    """The source-domain MC evaluated as if it were a model of the target domain (method.md).

    The source sample is cut at random to the target reference's size (k = 1), so the figure
    compares like with like; both should span the same E_nu range. Fixed-energy samples are used
    whole (EMD and AUC do not need equal sizes). Other keyword arguments go to
    :func:`evaluate_tables`.
    """
    rng = np.random.default_rng(seed)

    def cut(src: EventTable, n: int) -> EventTable:
        if len(src) < n:
            raise ValueError(f"domain distance: source sample has {len(src)} events, fewer than the target's {n}")
        return src if len(src) == n else src[np.sort(rng.choice(len(src), n, replace=False))]

    gen = cut(source_ref, len(target_ref))
    gen_fixed = None
    if target_fixed:
        if not source_fixed:
            raise ValueError("domain distance: target fixed-energy references given without source ones")
        keys = match_energies(list(source_fixed), list(target_fixed))
        gen_fixed = {e: source_fixed[keys[e]] for e in keys}
    return evaluate_tables(gen, target_ref, gen_fixed, target_fixed, k=1, seed=seed, name=name, floor=floor, **kwargs)
