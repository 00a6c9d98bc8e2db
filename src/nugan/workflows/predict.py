"""Predict a published measurement with any generator and compare (``nugan predict``).

Sources of a prediction row:

- a nugan model (:func:`model_row`): E_nu drawn from the measurement's flux x the model's sigma(E) over the part
  of the flux inside the model's energy range, the muon from the model;
- an event file from a flat flux with a known cross section, e.g. the NuWro samples (:func:`events_row`):
  reweighted to the measurement's flux;
- the built-in simulator (:func:`simulator_row`): simulated directly with the measurement's flux.

Flux outside a generator's range (above the CC threshold) stops the prediction unless ``allow_extrapolation``;
then that part of the flux contributes nothing and its share is reported with the row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nugan.atomic import atomic_write_text
from nugan.events.table import EventTable
from nugan.measurements import (
    Measurement,
    cc_flux_fraction_outside,
    compare,
    composition_factor,
    predict_from_events,
    weights_flat_flux,
    weights_flux_folded,
)
from nugan.physics.flux import Flux, clip_hist

__all__ = [
    "PredictionRow",
    "FluxFoldedSample",
    "check_coverage",
    "stored_rows",
    "flux_folded_sample",
    "model_row",
    "events_row",
    "simulator_row",
    "write_outputs",
    "DEFAULT_EVENTS",
]

DEFAULT_EVENTS = 1_000_000
#: Lowest E_nu [GeV] given to the built-in simulator (see :func:`simulator_row`).
SIMULATOR_E_MIN = 0.15


@dataclass
class PredictionRow:
    """One prediction and its comparison with the data (values in cm^2/(GeV/c) per nucleon/nucleus)."""

    label: str
    chi2: float
    ndf: int
    chi2_shape: float
    ndf_shape: int
    norm_shape: float
    values: list[float]
    source: str
    stored: bool = False
    n_events: int | None = None
    flux_outside_fraction: float | None = None
    factor: float = 1.0
    seconds: float | None = None
    notes: list[str] = field(default_factory=list)


def _row(m: Measurement, label: str, values: np.ndarray, source: str, **kw: Any) -> PredictionRow:
    full, shape = compare(m.data, values, m.covariance, m.binning.areas())
    return PredictionRow(
        label, full.chi2, full.ndf, shape.chi2, shape.ndf, shape.norm, [float(v) for v in values], source, **kw
    )


def stored_rows(m: Measurement) -> list[PredictionRow]:
    """Rows of the release's own predictions (e.g. T2K's NEUT 5.3.2 and GENIE 2.8.0)."""
    return [_row(m, f"{k} (release)", v, "release", stored=True) for k, v in m.stored.items()]


def check_coverage(m: Measurement, lo: float, hi: float, what: str, allow_extrapolation: bool) -> float:
    """Share of the CC-relevant flux outside [lo, hi] GeV; ValueError (with the share) unless allowed or zero."""
    miss = cc_flux_fraction_outside(m, lo, hi)
    if miss > 0 and not allow_extrapolation:
        raise ValueError(
            f"{what} covers {lo:g}-{hi:g} GeV but {miss:.1%} of the {m.id} flux above the CC "
            f"threshold lies outside it; pass --allow-extrapolation to predict anyway (that part of the "
            "flux then contributes nothing)"
        )
    return miss


def _flux_over(m: Measurement, lo: float, hi: float) -> tuple[Flux, float]:
    """The measurement's flux restricted to [lo, hi] and its share of the flux in the signal range."""
    a, b = m.enu_range
    lo, hi = max(lo, a), min(hi, b)
    edges, content = clip_hist(m.flux_edges, m.flux_content, lo, hi)
    return Flux(m.flux_label, edges=edges, content=content), m.flux_fraction(lo, hi) / m.flux_fraction(a, b)


@dataclass(frozen=True, eq=False)
class FluxFoldedSample:
    """Events of a nugan model drawn through a measurement's flux x the model's sigma(E), with their weights.

    Attributes:
        events: the sampled events (E_nu from flux x sigma over the covered part of the flux, the muon from the
            model). weights: each event's share of the flux-averaged cross section [cm^2 per nucleon].
        factor: target composition factor (:func:`~nugan.measurements.composition_factor`).
        flux_outside_fraction: share of the CC-relevant flux outside the model's range (contributes nothing).
        energy_range: the covered E_nu range [GeV]. source: description for a prediction row.
    """

    events: EventTable
    weights: np.ndarray
    factor: float
    flux_outside_fraction: float
    energy_range: tuple[float, float]
    source: str


def flux_folded_sample(
    m: Measurement,
    model: Any,
    composition: Mapping[str, float],
    n_events: int = DEFAULT_EVENTS,
    seed: int = 0,
    allow_extrapolation: bool = False,
    label: str | None = None,
) -> FluxFoldedSample:
    """Draw ``n_events`` of a loaded nugan model (``nugan.load``) through the measurement's flux x its sigma(E).

    The sample :func:`model_row` bins: E_nu from ``numpy`` PCG64 seeded ``SeedSequence(seed, spawn_key=(7,))``,
    the muon from ``model.sample(E, seed=seed)``; all weights equal (:func:`weights_flux_folded`).
    """
    name = label or model.name or "model"
    xs = model.xsec
    if xs is None:
        raise ValueError(f"model {name} has no cross section sigma(E) to fold the flux with")
    factor = composition_factor(m, composition, str(model.domain.get("target", "")))
    lo, hi = model.energy_range
    lo, hi = max(lo, xs.energy_range[0]), min(hi, xs.energy_range[1])
    miss = check_coverage(m, lo, hi, f"model {name}", allow_extrapolation)
    flux, share = _flux_over(m, lo, hi)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(7,))))
    E = flux.sample(int(n_events), rng, xs.total)
    events = model.sample(E, seed=seed)
    w = weights_flux_folded(int(n_events), flux.averaged_sigma(xs.total), share)[: len(events)]
    return FluxFoldedSample(events, w, factor, miss, (lo, hi), f"model {name} ({xs.source})")


def model_row(
    m: Measurement,
    model: Any,
    composition: Mapping[str, float],
    n_events: int = DEFAULT_EVENTS,
    seed: int = 0,
    allow_extrapolation: bool = False,
    label: str | None = None,
) -> PredictionRow:
    """Row of a loaded nugan model (``nugan.load``): flux x sigma folded, sampled, binned, compared."""
    t0 = time.perf_counter()
    name = label or model.name or "model"
    s = flux_folded_sample(m, model, composition, n_events, seed, allow_extrapolation, name)
    values = predict_from_events(m, s.events.E_mu, s.events.cos_theta, s.weights, s.factor)
    return _row(
        m,
        name,
        values,
        s.source,
        n_events=int(n_events),
        flux_outside_fraction=s.flux_outside_fraction,
        factor=s.factor,
        seconds=time.perf_counter() - t0,
    )


def events_row(
    m: Measurement,
    table: EventTable,
    composition: Mapping[str, float],
    label: str,
    allow_extrapolation: bool = False,
    is_flat: Callable[[Any], bool] | None = None,
) -> PredictionRow:
    """Row of a flat-flux event sample with a known flat-averaged cross section, reweighted to the flux."""
    t0 = time.perf_counter()
    meta = table.meta
    if meta.probe_pdg != 14:
        raise ValueError(f"{label}: the measurement is nu_mu CC-inclusive, the events are {meta.probe}")
    er = meta.energy_range
    flat = is_flat(meta) if is_flat is not None else er is not None
    if not flat or er is None or meta.xsec_cm2 is None:
        raise ValueError(
            f"{label}: need events from a flat flux with a recorded energy range and total cross "
            f"section (metadata energy_range={er}, xsec_cm2={meta.xsec_cm2}) to reweight them"
        )
    if table.weight is not None and not np.allclose(table.weight, table.weight[0]):
        raise ValueError(f"{label}: weighted events are not supported; give an unweighted flat-flux sample")
    factor = composition_factor(m, composition, meta.target)
    miss = check_coverage(m, er[0], er[1], f"event sample {label}", allow_extrapolation)
    w = weights_flat_flux(table.E_nu, er, meta.xsec_cm2, m)
    values = predict_from_events(m, table.E_mu, table.cos_theta, w, factor)
    return _row(
        m,
        label,
        values,
        f"events {label} ({meta.generator_version or meta.source}, flat {er[0]:g}-{er[1]:g} GeV reweighted)",
        n_events=len(table),
        flux_outside_fraction=miss,
        factor=factor,
        seconds=time.perf_counter() - t0,
    )


def simulator_row(
    m: Measurement,
    composition: Mapping[str, float],
    target: str,
    model: str = "default",
    n_events: int = DEFAULT_EVENTS,
    seed: int = 0,
    allow_extrapolation: bool = False,
) -> PredictionRow:
    """Row of the built-in simulator (model ``model`` on nucleus ``target``) run on the measurement's flux."""
    from nugan.physics import simulate
    from nugan.physics.models import get_model

    t0 = time.perf_counter()
    pm = get_model(model)
    factor = composition_factor(m, composition, target)
    # the simulator's tables start at 0.1 GeV, below the muon mass; its sampler cannot place events right at the
    # threshold, so the flux starts at SIMULATOR_E_MIN (the cross section below it is ~1e-3 of its average)
    lo = max(pm.E_min, SIMULATOR_E_MIN, m.enu_range[0])
    hi = min(pm.E_max, m.enu_range[1], float(m.flux_edges[-1]))
    miss = check_coverage(m, lo, hi, f"simulator model {model}", allow_extrapolation)
    events = simulate("numu", target, model, energy=(lo, hi), flux=m.flux_spec, n_events=int(n_events), seed=seed)
    share = m.flux_fraction(lo, hi) / m.flux_fraction(*m.enu_range)
    if events.meta.xsec_cm2 is None:
        raise RuntimeError(f"the simulator returned no flux-averaged cross section for {model}")
    w = weights_flux_folded(len(events), events.meta.xsec_cm2, share)
    values = predict_from_events(m, events.E_mu, events.cos_theta, w, factor)
    return _row(
        m,
        f"simulator {model} ({target})",
        values,
        f"built-in simulator {pm.label}",
        n_events=int(n_events),
        flux_outside_fraction=miss,
        factor=factor,
        seconds=time.perf_counter() - t0,
    )


def write_outputs(
    out_dir: str | Path, m: Measurement, rows: Sequence[PredictionRow], notes: Sequence[str] = ()
) -> dict[str, Path]:
    """Write ``prediction.json``, ``prediction.md``, ``slices.png`` and ``index.html`` into ``out_dir``."""
    from nugan.reports.measurements import markdown_table, plot_slices, write_prediction_html
    from nugan.reports.plots import save_figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dicts = [asdict(r) for r in rows]
    doc = {
        "measurement": m.id,
        "title": m.title,
        "citation": m.citation,
        "unit": f"cm^2/(GeV/c)/{m.per}",
        "target": m.target,
        "flux": m.flux_label,
        "n_bins": m.n_bins,
        "bins": m.binning.labels(),
        "data": [float(v) for v in m.data],
        "errors": [float(v) for v in m.errors],
        "notes": list(notes),
        "rows": dicts,
    }
    paths = {
        "json": atomic_write_text(out / "prediction.json", json.dumps(doc, indent=1) + "\n"),
        "markdown": atomic_write_text(
            out / "prediction.md", markdown_table(m.id, dicts) + "".join(f"\n- {n}" for n in notes) + "\n"
        ),
    }
    paths["plot"] = save_figure(plot_slices(m, dicts), out / "slices.png")
    paths["html"] = write_prediction_html(out, m, dicts, "slices.png", notes)
    return paths
