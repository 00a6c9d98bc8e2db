"""Flux-folded predictions of a :class:`~nugan.measurements.releases.Measurement` from generated events.

A prediction is the flux-averaged d2sigma/dp dcos per bin. Every event carries a weight [cm^2 per nucleon]: its
share of the flux-averaged cross section, (1 / Phi) integral phi(E) sigma(E) dE over the flux Phi of the
measurement. Two ways to get weights:

- events drawn from flux(E) x sigma(E) over [lo, hi] (:func:`weights_flux_folded`): all equal,
  <sigma>_[lo, hi] x (share of the flux in [lo, hi]) / N;
- events from a flat flux over [a, b] with flat-averaged cross section <sigma>_flat (a NuWro sample,
  :func:`weights_flat_flux`): w_i = phi(E_i) / Phi x <sigma>_flat (b - a) / N, i.e. the sample reweighted to the
  measurement's flux. Flux outside [a, b] contributes nothing.

Binned weights are divided by the bin areas (dp dcos); a release in reconstructed variables is first
forward-folded with its smearing matrix (:func:`fold`). :func:`composition_factor` turns the generator's
per-nucleon cross section on one nucleus into the measurement's target and normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nugan.measurements.binning import muon_momentum
from nugan.measurements.releases import Measurement

__all__ = [
    "HYDROGEN",
    "parse_composition",
    "composition_factor",
    "flux_density",
    "cc_flux_fraction_outside",
    "weights_flux_folded",
    "weights_flat_flux",
    "fold",
    "predict_from_events",
]

HYDROGEN = "H1"
_CC_THRESHOLD_GEV = 0.1056583755  # below the muon mass no nu_mu CC event exists


def parse_composition(text: str) -> dict[str, float]:
    """'C12=12,H1=1' -> {'C12': 12.0, 'H1': 1.0} (nucleons of each nucleus in one target unit)."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        try:
            n = float(value) if sep else 1.0
        except ValueError:
            raise ValueError(
                f"target composition {text!r}: {part!r} is not NUCLEUS=NUCLEONS (e.g. C12=12,H1=1)"
            ) from None
        if not n > 0 or not name.strip():
            raise ValueError(f"target composition {text!r}: need NUCLEUS=NUCLEONS with NUCLEONS > 0")
        out[name.strip()] = out.get(name.strip(), 0.0) + n
    if not out:
        raise ValueError(f"empty target composition {text!r}; e.g. C12=12,H1=1")
    return out


def composition_factor(measurement: Measurement, composition: Mapping[str, float], generator_target: str) -> float:
    """Factor turning the generator's per-nucleon cross section on ``generator_target`` into the measurement's.

    The target unit holds ``composition[X]`` nucleons of nucleus X. The generator stands for its own nucleus; free
    protons (H1) contribute zero (no free-nucleon model: a lower bound); any other nucleus raises. The result is
    (nucleons of the generator's nucleus / all nucleons) x (nucleons per unit for a per-nucleus measurement).

    Raises:
        ValueError: the generator's nucleus is not in the composition, or another nucleus lacks a generator.
    """
    comp = dict(composition)
    if generator_target not in comp:
        raise ValueError(
            f"the generator is for {generator_target} but the target composition is {comp} "
            f"(measurement target {measurement.target}); pass --target-composition "
            f"{generator_target}=1 to use it for this target anyway"
        )
    other = [k for k in comp if k not in (generator_target, HYDROGEN)]
    if other:
        raise ValueError(
            f"no generator for {other} in target composition {comp}; one generator covers one "
            f"nucleus ({generator_target}) plus optional {HYDROGEN} (counted as zero)"
        )
    share = comp[generator_target] / sum(comp.values())
    return share * measurement.nucleons_per_unit


def flux_density(edges: np.ndarray, content: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Flux per GeV at energies ``E`` (content / bin width), 0 outside the histogram."""
    e = np.asarray(edges, dtype=np.float64)
    dens = np.asarray(content, dtype=np.float64) / np.diff(e)
    E = np.asarray(E, dtype=np.float64)
    k = np.searchsorted(e, E, side="right") - 1
    ok = (k >= 0) & (k < len(dens))
    out = np.zeros(len(E))
    out[ok] = dens[k[ok]]
    return out


def cc_flux_fraction_outside(measurement: Measurement, lo: float, hi: float) -> float:
    """Share of the measurement's flux above the CC threshold (E > m_mu) and inside its signal range that lies
    outside [lo, hi] GeV (flux below m_mu makes no CC event and is not counted as missing)."""
    a = max(measurement.enu_range[0], _CC_THRESHOLD_GEV)
    b = measurement.enu_range[1]
    total = measurement.flux_fraction(a, b)
    if not total > 0:
        return 0.0
    inside = measurement.flux_fraction(max(a, lo), min(b, hi)) if min(b, hi) > max(a, lo) else 0.0
    return float(max(0.0, 1.0 - inside / total))


def weights_flux_folded(n_events: int, sigma_avg_cm2: float, flux_share: float) -> np.ndarray:
    """Weights [cm^2] of ``n_events`` drawn from flux x sigma over a range holding ``flux_share`` of the flux,
    with flux-averaged cross section ``sigma_avg_cm2`` over that range."""
    if n_events <= 0:
        raise ValueError("no events to predict from")
    return np.full(int(n_events), float(sigma_avg_cm2) * float(flux_share) / int(n_events))


def weights_flat_flux(
    E_nu: np.ndarray, flat_range: tuple[float, float], flat_xsec_cm2: float, measurement: Measurement
) -> np.ndarray:
    """Weights [cm^2] reweighting a flat-flux sample over ``flat_range`` [GeV] with flat-averaged cross section
    ``flat_xsec_cm2`` to the measurement's flux (normalised to its whole flux in the signal range)."""
    a, b = float(flat_range[0]), float(flat_range[1])
    enu = np.asarray(E_nu, dtype=np.float64)
    if not (b > a and len(enu) and flat_xsec_cm2 > 0):
        raise ValueError(
            f"flat-flux reweighting needs events, a range lo < hi and a cross section > 0; got "
            f"{len(enu)} events, range {flat_range}, sigma {flat_xsec_cm2}"
        )
    lo, hi = measurement.enu_range
    e, c = measurement.flux_edges, measurement.flux_content
    phi_total = float(np.sum(c * np.diff(np.clip(e, lo, hi)) / np.diff(e)))
    in_signal = (enu >= lo) & (enu <= hi)
    return flux_density(e, c, enu) * in_signal / phi_total * flat_xsec_cm2 * (b - a) / len(enu)


def fold(measurement: Measurement, integrated: np.ndarray) -> np.ndarray:
    """Forward-fold bin-integrated true-space cross sections with the measurement's smearing (identity if none)."""
    s = measurement.smearing
    return np.asarray(integrated, dtype=np.float64) if s is None else s @ np.asarray(integrated, dtype=np.float64)


def predict_from_events(
    measurement: Measurement, E_mu: np.ndarray, cos_theta: np.ndarray, weights: np.ndarray, factor: float = 1.0
) -> np.ndarray:
    """d2sigma/dp dcos per bin [cm^2/(GeV/c) per nucleon or nucleus, as the release] from weighted events.

    Args:
        E_mu: muon energies [GeV]; cos_theta: muon angle cosines.
        weights: each event's share of the flux-averaged cross section [cm^2 per nucleon].
        factor: target and normalisation factor (:func:`composition_factor`).
    """
    integrated = measurement.binning.fill(muon_momentum(E_mu), cos_theta, weights)
    return factor * fold(measurement, integrated) / measurement.binning.areas()
