"""Neutrino fluxes and energy sampling E ~ flux(E) x sigma(E).

Accepted flux specifications (:func:`make_flux`):

- ``"flat"`` with ``energy=(E_lo, E_hi)``: uniform flux in [E_lo, E_hi] GeV;
- any flux with ``energy=E`` (a single number): monoenergetic beam at E GeV;
- ``"FILE.csv"``: a histogram, either two columns ``edge, content`` (n+1 rows; the content of row i is the
  flux in [edge_i, edge_{i+1}), the last row's content is ignored) or three columns
  ``low, high, content``. Lines starting with ``#`` and a non-numeric header line are skipped;
- ``"FILE.root:NAME"``: a ROOT TH1 read with ``uproot``.

Energies are in GeV; ``content`` is the flux integrated over the bin (a histogram count, any units),
flat inside each bin. Histogram fluxes are clipped to the requested energy range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Flux", "make_flux", "read_flux_csv", "read_flux_root"]


@dataclass(frozen=True)
class Flux:
    """A neutrino flux: a histogram (``edges`` [GeV], ``content`` per bin) or a line at ``energy`` [GeV].

    Attributes:
        label: human-readable description ('flat', 'mono 1 GeV', file name).
        edges, content: histogram (None for a monoenergetic beam).
        energy: beam energy of a monoenergetic flux [GeV] (None otherwise).
    """

    label: str
    edges: np.ndarray | None = None
    content: np.ndarray | None = None
    energy: float | None = None

    @property
    def is_mono(self) -> bool:
        return self.energy is not None

    @property
    def energy_range(self) -> tuple[float, float]:
        """(E_min, E_max) of the flux [GeV]."""
        if self.energy is not None:
            return (self.energy, self.energy)
        edges, _ = self._histogram()
        return (float(edges[0]), float(edges[-1]))

    def _histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(edges, content) of a histogram flux (raises for a monoenergetic one)."""
        if self.edges is None or self.content is None:
            raise ValueError(f"flux {self.label!r} has no histogram")
        return self.edges, self.content

    def _fine(
        self, sigma: Callable[[np.ndarray], np.ndarray], per_bin: int = 4000
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fine sub-bins (lo, hi) and their probabilities ~ flux x sigma."""
        edges, content = self._histogram()
        lo_all: list[np.ndarray] = []
        hi_all: list[np.ndarray] = []
        p_all: list[np.ndarray] = []
        total_w = float(np.sum(np.diff(edges)))
        for a, b, c in zip(edges[:-1], edges[1:], content, strict=True):
            if c <= 0 or b <= a:
                continue
            k = max(8, int(per_bin * (b - a) / total_w) + 8)
            e = np.geomspace(a, b, k + 1)
            mid = np.sqrt(e[1:] * e[:-1])
            dens = c / (b - a)
            lo_all.append(e[:-1])
            hi_all.append(e[1:])
            p_all.append(dens * np.diff(e) * sigma(mid))
        lo, hi, p = np.concatenate(lo_all), np.concatenate(hi_all), np.concatenate(p_all)
        return lo, hi, p

    def averaged_sigma(self, sigma: Callable[[np.ndarray], np.ndarray]) -> float:
        """Flux-averaged cross section: integral(flux sigma) / integral(flux) [units of ``sigma``]."""
        if self.energy is not None:
            return float(sigma(np.array([self.energy]))[0])
        _lo, _hi, p = self._fine(sigma)
        return float(p.sum() / np.sum(self._histogram()[1]))

    def sample(self, n: int, rng: np.random.Generator, sigma: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``n`` energies [GeV] distributed as flux(E) sigma(E)."""
        if self.energy is not None:
            return np.full(n, self.energy)
        lo, hi, p = self._fine(sigma)
        cdf = np.cumsum(p)
        if cdf[-1] <= 0:
            raise ValueError(f"flux {self.label!r}: the cross section vanishes over the whole flux range")
        k = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        k = np.minimum(k, len(lo) - 1)
        return lo[k] + (hi[k] - lo[k]) * rng.random(n)


def read_flux_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(edges, content) from a CSV histogram (see module docstring)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: flux file not found")
    rows = []
    for line in path.read_text().splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = [p for p in s.replace(";", ",").replace("\t", ",").replace(" ", ",").split(",") if p]
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            if rows:
                raise ValueError(f"{path}: non-numeric line {line!r}") from None
            continue  # header
    if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) not in (2, 3):
        raise ValueError(f"{path}: expected rows of 2 (edge, content) or 3 (low, high, content) numbers")
    a = np.array(rows)
    if a.shape[1] == 2:
        if len(a) < 2:
            raise ValueError(f"{path}: a two-column flux needs at least two edges")
        edges, content = a[:, 0], a[:-1, 1]
    else:
        if np.any(np.abs(a[1:, 0] - a[:-1, 1]) > 1e-9 * np.abs(a[1:, 0]).max()):
            raise ValueError(f"{path}: bins must be contiguous (low of each row = high of the previous)")
        edges, content = np.append(a[:, 0], a[-1, 1]), a[:, 2]
    return edges, content


def read_flux_root(spec: str) -> tuple[np.ndarray, np.ndarray]:
    """(edges, content) of the TH1 ``NAME`` in ``FILE.root:NAME`` (read with uproot)."""
    fname, _, hname = spec.rpartition(":")
    if not fname or not hname:
        raise ValueError(f"ROOT flux must be given as FILE.root:HISTNAME, got {spec!r}")
    if not Path(fname).exists():
        raise FileNotFoundError(f"{fname}: flux file not found")
    if Path(fname).is_dir():
        raise ValueError(f"{fname} is a directory; give FILE.root:HISTNAME")
    import uproot

    try:
        with uproot.open(fname) as f:
            keys = f.keys()[:10] if hname not in f else None
            if keys is None:
                content, edges = f[hname].to_numpy()
    except Exception as err:  # uproot raises many types for files that are not ROOT or damaged
        raise ValueError(
            f"{fname}: cannot read the flux histogram {hname!r} "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    if keys is not None:
        raise ValueError(f"{fname}: no object {hname!r}; keys: {keys}")
    return np.asarray(edges, dtype=np.float64), np.asarray(content, dtype=np.float64)


def _check_hist(edges: np.ndarray, content: np.ndarray, label: str) -> None:
    if len(edges) != len(content) + 1 or len(content) == 0:
        raise ValueError(f"flux {label}: need n+1 edges for n bins")
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"flux {label}: bin edges must increase")
    if np.any(content < 0) or not np.all(np.isfinite(content)) or content.sum() <= 0:
        raise ValueError(f"flux {label}: contents must be finite, >= 0, with a positive sum")


def clip_hist(edges: np.ndarray, content: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Restrict a histogram to [lo, hi], splitting edge bins proportionally to their width."""
    e = np.clip(edges, lo, hi)
    frac = np.where(np.diff(edges) > 0, np.diff(e) / np.diff(edges), 0.0)
    keep = np.diff(e) > 0
    if not keep.any():
        raise ValueError(f"flux has no content in [{lo}, {hi}] GeV")
    idx = np.flatnonzero(keep)
    return np.append(e[idx], e[idx[-1] + 1]), (content * frac)[idx]


def make_flux(flux: str, energy: float | tuple[float, float], allowed: tuple[float, float]) -> Flux:
    """Build and check a :class:`Flux` (see module docstring); ``allowed`` = model energy range [GeV]."""
    lo_ok, hi_ok = allowed
    if isinstance(energy, (int, float, np.floating, np.integer)):
        e = float(energy)
        if not np.isfinite(e) or e <= 0:
            raise ValueError(f"neutrino energy must be > 0 GeV, got {energy}")
        if not lo_ok <= e <= hi_ok:
            raise ValueError(f"energy {e} GeV is outside the model range [{lo_ok}, {hi_ok}] GeV")
        if flux not in ("flat", "mono", "monoenergetic"):
            raise ValueError("a single energy means a monoenergetic beam; do not combine it with a flux file")
        return Flux(f"mono {e:g} GeV", energy=e)
    try:
        lo, hi = (float(v) for v in energy)
    except (TypeError, ValueError):
        raise ValueError(f"energy must be a number or a (low, high) pair in GeV, got {energy!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi <= 0:
        raise ValueError(f"energies must be > 0 GeV, got ({lo}, {hi})")
    if lo > hi:
        raise ValueError(f"energy range must have low < high, got ({lo}, {hi})")
    if lo < lo_ok * (1 - 1e-12) or hi > hi_ok * (1 + 1e-12):
        raise ValueError(f"energy range ({lo}, {hi}) GeV is outside the model range [{lo_ok}, {hi_ok}] GeV")
    if lo == hi:
        return Flux(f"mono {lo:g} GeV", energy=lo)
    if flux == "flat":
        return Flux(f"flat {lo:g}-{hi:g} GeV", edges=np.array([lo, hi]), content=np.array([1.0]))
    if flux in ("mono", "monoenergetic"):
        raise ValueError("a monoenergetic flux needs a single energy, e.g. energy=1.0")
    if ".root:" in flux:
        edges, content = read_flux_root(flux)
    elif flux.lower().endswith(".csv"):
        edges, content = read_flux_csv(flux)
    else:
        raise ValueError(f"unknown flux {flux!r}: use 'flat', FILE.csv or FILE.root:HIST")
    _check_hist(edges, content, flux)
    edges, content = clip_hist(edges, content, lo, hi)
    _check_hist(edges, content, flux)
    return Flux(
        Path(flux.split(":")[0]).name if ".root:" not in flux else flux.rsplit("/", 1)[-1], edges=edges, content=content
    )
