"""Total cross section curves sigma(E_nu) carried by a nugan model, for flux folding and NuHepMC's FATX.

A model stores one curve in its JSON description under ``info["xsec"]``::

    {"E": [... GeV], "sigma_cm2": [... cm^2 per nucleon], "source": "..."}

with ``source`` one of

- ``"simulator:<model>"``: the built-in simulator's tabulated total cross section
  (:func:`from_simulator`, via :func:`nugan.physics.cross_section_table`);
- ``"estimated from flat-flux sample"``: the training sample itself (:func:`estimate_from_flat_flux_sample`):
  for events drawn from a flat flux the E_nu density is proportional to sigma(E_nu), and the
  flux-averaged cross section of the sample (``meta.xsec_cm2``) fixes the normalisation;
- ``"user:<file>"``: a CSV file given by the user (:func:`load_user_xsec`).

:class:`XsecCurve` evaluates it (linear in ln E between points, constant beyond the ends) and,
like :class:`nugan.physics.XsecTable`, has ``E_nu``, ``sigma_total`` and ``total(E)``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nugan.events.table import EventTable, SampleMeta

__all__ = [
    "SOURCE_SIMULATOR",
    "SOURCE_FLAT_FLUX",
    "SOURCE_USER",
    "XsecCurve",
    "estimate_from_flat_flux_sample",
    "from_simulator",
    "load_user_xsec",
    "xsec_for_training_data",
    "is_flat_flux_sample",
    "check_xsec_dict",
]

SOURCE_SIMULATOR = "simulator:"
SOURCE_FLAT_FLUX = "estimated from flat-flux sample"
SOURCE_USER = "user:"
_E_COLUMNS = ("E_GeV", "E_nu_GeV", "E")
_SIGMA_COLUMNS = ("sigma_cm2", "sigma_total_cm2")


@dataclass(frozen=True, eq=False)
class XsecCurve:
    """A total cross section curve sigma(E) [cm^2 per nucleon] at energies ``E`` [GeV].

    Attributes:
        E: strictly increasing energies [GeV], at least two.
        sigma_cm2: total cross section per nucleon at ``E`` [cm^2], finite and >= 0.
        source: where it comes from (see the module docstring).
    """

    E: np.ndarray
    sigma_cm2: np.ndarray
    source: str

    def __post_init__(self) -> None:
        E = np.asarray(self.E, dtype=np.float64).reshape(-1)
        s = np.asarray(self.sigma_cm2, dtype=np.float64).reshape(-1)
        what = f"cross section ({self.source})"
        if len(E) < 2 or len(E) != len(s):
            raise ValueError(
                f"{what}: need >= 2 points with one sigma per energy, got {len(E)} energies and {len(s)} values"
            )
        if not (np.all(np.isfinite(E)) and np.all(E > 0) and np.all(np.diff(E) > 0)):
            raise ValueError(f"{what}: energies must be finite, > 0 GeV and strictly increasing")
        if not (np.all(np.isfinite(s)) and np.all(s >= 0) and s.max() > 0):
            raise ValueError(f"{what}: sigma must be finite, >= 0 cm^2 and not all zero")
        if s.max() > 1e-30:
            raise ValueError(
                f"{what}: sigma up to {s.max():.3g} cm^2 per nucleon is not a neutrino "
                "cross section; give it in cm^2 (e.g. 1.2e-38)"
            )
        object.__setattr__(self, "E", E)
        object.__setattr__(self, "sigma_cm2", s)

    @property
    def energy_range(self) -> tuple[float, float]:
        """(E_min, E_max) covered by the points [GeV]."""
        return float(self.E[0]), float(self.E[-1])

    @property
    def E_nu(self) -> np.ndarray:
        """Energies [GeV] (name used by :class:`nugan.physics.XsecTable`)."""
        return self.E

    @property
    def sigma_total(self) -> np.ndarray:
        """sigma at the points [cm^2 per nucleon] (name used by :class:`nugan.physics.XsecTable`)."""
        return self.sigma_cm2

    def total(self, E: np.ndarray | float) -> np.ndarray:
        """sigma(E) [cm^2 per nucleon]: linear in ln E, constant beyond the end points."""
        return np.interp(np.log(np.asarray(E, dtype=np.float64)), np.log(self.E), self.sigma_cm2)

    def __call__(self, E: np.ndarray | float) -> np.ndarray:
        return self.total(E)

    def covers(self, lo: float, hi: float, rel_tol: float = 1e-6) -> bool:
        """Whether [lo, hi] GeV lies inside the points' range (up to ``rel_tol``)."""
        a, b = self.energy_range
        return lo >= a * (1 - rel_tol) and hi <= b * (1 + rel_tol)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored as ``info["xsec"]``."""
        return {"E": [float(v) for v in self.E], "sigma_cm2": [float(v) for v in self.sigma_cm2], "source": self.source}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> XsecCurve:
        """Inverse of :meth:`to_dict`; raises ValueError naming what is missing or wrong."""
        if not isinstance(d, Mapping):
            raise ValueError(f"cross section must be a mapping with E, sigma_cm2, source; got {type(d).__name__}")
        missing = [k for k in ("E", "sigma_cm2", "source") if k not in d]
        if missing:
            raise ValueError(
                f"cross section entry lacks key(s) {missing}; expected E (GeV), sigma_cm2 (cm^2 per nucleon) and source"
            )
        try:
            E = np.asarray(d["E"], dtype=np.float64)
            s = np.asarray(d["sigma_cm2"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("cross section E and sigma_cm2 must be lists of numbers") from None
        return cls(E, s, str(d["source"]))


def check_xsec_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, normalised copy of an ``info["xsec"]`` dict (raises ValueError if invalid)."""
    return XsecCurve.from_dict(d).to_dict()


# ------------------------------------------------------------------------- flat-flux estimate
def _n_bins(n_events: float) -> int:
    """Number of log-E bins for a sample of ``n_events``: ~2000 events a bin, between 4 and 40."""
    return int(min(40, max(4, n_events // 2000)))


def estimate_from_flat_flux_sample(table: EventTable, n_bins: int | None = None) -> dict[str, Any]:
    """sigma(E) from a sample drawn from a flat flux with known flux-averaged sigma (``meta.xsec_cm2``).

    With a flat flux over [lo, hi] the E_nu density is sigma(E) / integral(sigma), so
    sigma(E) = <sigma> (hi - lo) dN/dE / N. The density is histogrammed in ``n_bins`` log-E bins
    (default: ~2000 events per bin, 4 to 40 bins), placed at the bin centres (geometric) plus the
    range ends (the end bins' values), and rescaled so the flat-flux average of the interpolated
    curve equals ``meta.xsec_cm2`` exactly.

    Returns:
        ``{"E", "sigma_cm2", "source": "estimated from flat-flux sample", "n_events", "n_bins"}``.

    Raises:
        ValueError: the flux-averaged cross section or a non-degenerate energy range is unknown,
            or the sample is too small.
    """
    meta = table.meta
    if meta.xsec_cm2 is None or not meta.xsec_cm2 > 0:
        raise ValueError(
            f"sample {meta.domain} has no flux-averaged cross section (meta.xsec_cm2); cannot normalise sigma(E)"
        )
    lo, hi = _flat_range(table)
    w = np.ones(len(table)) if table.weight is None else np.asarray(table.weight, dtype=np.float64)
    if len(table) < 100 or not w.sum() > 0:
        raise ValueError(f"sample of {len(table)} events is too small to estimate sigma(E) (need >= 100)")
    bins = _n_bins(w.sum() ** 2 / float(np.sum(w * w))) if n_bins is None else int(n_bins)
    if bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    edges = np.geomspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(table.E_nu, lo, hi), bins=edges, weights=w)
    density = counts / (w.sum() * np.diff(edges))  # dN/dE / N [1/GeV]
    sigma = meta.xsec_cm2 * (hi - lo) * density
    E = np.concatenate([[lo], np.sqrt(edges[1:] * edges[:-1]), [hi]])
    sigma = np.concatenate([[sigma[0]], sigma, [sigma[-1]]])
    curve = XsecCurve(E, sigma, SOURCE_FLAT_FLUX)
    curve = XsecCurve(E, sigma * meta.xsec_cm2 / _flat_average(curve, lo, hi), SOURCE_FLAT_FLUX)
    return {**curve.to_dict(), "n_events": int(len(table)), "n_bins": bins}


def _flat_average(curve: XsecCurve, lo: float, hi: float, n: int = 20_001) -> float:
    """(1 / (hi - lo)) integral_lo^hi sigma(E) dE of the interpolated curve [cm^2]."""
    E = np.linspace(lo, hi, n)
    return float(np.trapezoid(curve.total(E), E) / (hi - lo))


def _flat_range(table: EventTable) -> tuple[float, float]:
    """The flat flux's range: ``meta.energy_range`` (required: the data's own range is biased)."""
    er = table.meta.energy_range
    if er is None or not (0 < er[0] < er[1]):
        raise ValueError(
            f"sample {table.meta.domain} does not record a flux energy range "
            f"(meta.energy_range = {er}); cannot estimate sigma(E) from it"
        )
    return float(er[0]), float(er[1])


def is_flat_flux_sample(meta: SampleMeta) -> bool:
    """Whether metadata says the events were drawn from a flat flux over ``meta.energy_range``.

    True when ``extra['flux']`` or ``extra['beam_spectrum']`` starts with / mentions 'flat', or for
    NuWro samples with a two-value energy range and no flux information (NuWro's
    ``beam_energy = Emin Emax`` is a uniform spectrum).
    """
    er = meta.energy_range
    if er is None or not (0 < er[0] < er[1]):
        return False
    label = str(meta.extra.get("flux", meta.extra.get("beam_spectrum", ""))).strip().lower()
    if label:
        return label.startswith("flat") or "flat (uniform)" in label
    return meta.source.lower() == "nuwro"


# ----------------------------------------------------------------------------- simulator
def from_simulator(probe: str | int, target: str, model: str) -> dict[str, Any]:
    """Total cross section of the built-in simulator for (probe, target, model) as an xsec dict.

    Uses :func:`nugan.physics.cross_section_table` (shipped or cached tables; builds them if absent,
    which takes minutes).

    Raises:
        ValueError: the simulator package is missing or does not know the model/target.
    """
    try:
        from nugan.physics.tables import cross_section_table
    except ImportError as err:  # physics not installed / not built
        raise ValueError(f"the built-in simulator is not available ({err})") from None
    t = cross_section_table(probe, target, model)
    return XsecCurve(np.asarray(t.E_nu), np.asarray(t.sigma_total), f"{SOURCE_SIMULATOR}{t.model}").to_dict()


# ---------------------------------------------------------------------------------- user
def load_user_xsec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """sigma(E) from a CSV file with a header naming ``E_GeV`` and ``sigma_cm2`` (cm^2 per nucleon).

    Also accepted: the CSV of ``nugan xsec -o DIR`` (``E_nu_GeV``, ``sigma_total_cm2``). Lines
    starting with ``#`` are skipped; other columns are ignored; rows are sorted by energy.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: cross-section file not found")
    lines = [
        ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise ValueError(f"{path}: empty cross-section file; expected a CSV with columns E_GeV,sigma_cm2")
    rows = list(csv.reader(lines))
    header = [c.strip() for c in rows[0]]
    e_col = next((c for c in _E_COLUMNS if c in header), None)
    s_col = next((c for c in _SIGMA_COLUMNS if c in header), None)
    if e_col is None or s_col is None:
        raise ValueError(
            f"{path}: CSV header {header} lacks the columns E_GeV and sigma_cm2 "
            "(energy in GeV, total cross section in cm^2 per nucleon)"
        )
    ie, is_ = header.index(e_col), header.index(s_col)
    E, s = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        try:
            E.append(float(row[ie]))
            s.append(float(row[is_]))
        except (ValueError, IndexError):
            raise ValueError(f"{path}: data row {lineno} ({','.join(row)!r}) is not two numbers") from None
    order = np.argsort(E, kind="stable")
    try:
        curve = XsecCurve(np.asarray(E)[order], np.asarray(s)[order], f"{SOURCE_USER}{path.name}")
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return curve.to_dict()


# ------------------------------------------------------------------------- choice, storage
def xsec_for_training_data(table: EventTable) -> dict[str, Any] | None:
    """The best sigma(E) to store in a checkpoint trained on ``table``, or None if none is known.

    1. Samples of the built-in simulator (``meta.source == 'simulator'``): its exact table.
    2. Samples drawn from a flat flux (:func:`is_flat_flux_sample`) with a known flux-averaged
       cross section: :func:`estimate_from_flat_flux_sample`.
    3. Otherwise None (a flux-folded ``nugan generate`` then needs ``--xsec FILE``).
    """
    meta = table.meta
    if meta.source == "simulator":
        try:
            return from_simulator(meta.probe_pdg, meta.target, meta.model)
        except (ValueError, FileNotFoundError):
            pass  # e.g. a user model file no longer at hand: fall back to the sample itself
    if is_flat_flux_sample(meta) and meta.xsec_cm2 is not None and len(table) >= 100:
        return estimate_from_flat_flux_sample(table)
    return None
