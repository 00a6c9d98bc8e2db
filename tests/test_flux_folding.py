"""Flux folding: energies drawn by :meth:`Flux.sample` follow flux(E) x sigma(E) (Kolmogorov-Smirnov).

The flux is a histogram whose content is the flux integrated over each bin, flat inside it, so its
density is content / width; with sigma(E) = E**k the CDF of flux x sigma is known in closed form.
Each case draws 200 000 energies with a fixed seed and compares them with that CDF; the negative
checks show that the same test rejects what a wrong folding would draw (sigma ignored, content read
as a density, sigma ignored inside a bin).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kstest

from nugan.physics.flux import Flux, make_flux

N = 200_000
P_OK = 0.01  # a correct sampler fails this with probability 1 % (fixed seeds: never, in practice)
P_WRONG = 1e-10  # what a wrong folding must stay under


def power(k: int) -> Callable[[np.ndarray], np.ndarray]:
    """sigma(E) = E**k (any units: only its shape matters)."""
    return lambda E: np.asarray(E, dtype=np.float64) ** k


def analytic_cdf(edges: np.ndarray, density: np.ndarray, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """CDF of density(E) E**k for a piecewise-constant density on ``edges`` (closed form)."""
    edges = np.asarray(edges, dtype=np.float64)
    density = np.asarray(density, dtype=np.float64)

    def prim(E: np.ndarray) -> np.ndarray:
        return E ** (k + 1) / (k + 1)

    cum = np.concatenate([[0.0], np.cumsum(density * (prim(edges[1:]) - prim(edges[:-1])))])

    def cdf(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=np.float64), edges[0], edges[-1])
        i = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(density) - 1)
        return (cum[i] + density[i] * (prim(x) - prim(edges[i]))) / cum[-1]

    return cdf


def hist_flux(edges: list[float], content: list[float]) -> Flux:
    return Flux("test", edges=np.array(edges), content=np.array(content))


#: name -> (edges [GeV], content per bin (integrated), k of sigma = E**k)
CASES: dict[str, tuple[list[float], list[float], int]] = {
    "flat x E": ([0.5, 5.0], [1.0], 1),
    "two bins x E": ([0.5, 1.0, 4.0], [3.0, 1.0], 1),
    "two bins x E^2": ([0.5, 1.0, 4.0], [3.0, 1.0], 2),
    "two bins, sigma const": ([0.5, 1.0, 4.0], [3.0, 1.0], 0),
    "empty middle bin x E": ([0.3, 1.0, 2.0, 6.0], [2.0, 0.0, 1.0], 1),
}


def _density(edges: list[float], content: list[float]) -> np.ndarray:
    return np.asarray(content) / np.diff(edges)


@pytest.mark.parametrize("name", list(CASES))
def test_sampled_energies_follow_flux_times_sigma(name: str) -> None:
    edges, content, k = CASES[name]
    E = hist_flux(edges, content).sample(N, np.random.default_rng(11), power(k))
    assert E.min() >= edges[0] and E.max() <= edges[-1]
    res = kstest(E, analytic_cdf(np.array(edges), _density(edges, content), k))
    assert res.pvalue > P_OK, f"{name}: KS D = {res.statistic:.4g}, p = {res.pvalue:.3g}"
    counts = np.histogram(E, bins=edges)[0]
    assert np.all((counts == 0) == (np.asarray(content) == 0))  # nothing drawn in an empty bin


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[2] != 0])
def test_ks_rejects_sampling_that_ignores_sigma(name: str) -> None:
    """Energies drawn from the flux alone (the bug 'sigma ignored') fail the same KS test."""
    edges, content, k = CASES[name]
    E = hist_flux(edges, content).sample(N, np.random.default_rng(11), power(0))
    assert kstest(E, analytic_cdf(np.array(edges), _density(edges, content), k)).pvalue < P_WRONG


def test_ks_rejects_content_read_as_density() -> None:
    """With unequal bin widths, reading the content as a density (not per bin) is told apart."""
    edges, content, k = CASES["two bins x E"]
    E = hist_flux(edges, content).sample(N, np.random.default_rng(11), power(k))
    wrong = analytic_cdf(np.array(edges), np.asarray(content), k)
    assert kstest(E, wrong).pvalue < P_WRONG


def test_ks_rejects_sigma_ignored_inside_bins() -> None:
    """Weighting whole bins by flux x sigma but drawing flat inside them is told apart too."""
    edges, content, k = CASES["two bins x E"]
    rng = np.random.default_rng(11)
    dens = _density(edges, content)
    e = np.array(edges)
    mass = dens * (e[1:] ** 2 - e[:-1] ** 2) / 2  # right bin probabilities...
    b = rng.choice(len(mass), size=N, p=mass / mass.sum())
    E = e[b] + (e[b + 1] - e[b]) * rng.random(N)  # ...but flat inside each bin
    assert kstest(E, analytic_cdf(e, dens, k)).pvalue < P_WRONG


def test_averaged_sigma_closed_form() -> None:
    """<sigma> = integral(flux sigma) / integral(flux), for the same cases."""
    for name, (edges, content, k) in CASES.items():
        e, dens = np.array(edges), _density(edges, content)
        exact = np.sum(dens * (e[1:] ** (k + 1) - e[:-1] ** (k + 1)) / (k + 1)) / np.sum(content)
        got = hist_flux(edges, content).averaged_sigma(power(k))
        assert got == pytest.approx(exact, rel=1e-6, abs=0.0), name


def test_csv_flux_clipped_to_the_energy_range(tmp_path: Path) -> None:
    """The public route: a CSV histogram clipped to (0.5, 5) GeV keeps each bin's density."""
    csv = tmp_path / "flux.csv"
    csv.write_text("low,high,content\n0.2,1.0,1.6\n1.0,3.0,8.0\n3.0,8.0,5.0\n")
    flux = make_flux(str(csv), (0.5, 5.0), (0.1, 20.0))
    assert flux.energy_range == (0.5, 5.0)
    E = flux.sample(N, np.random.default_rng(5), power(1))
    cdf = analytic_cdf(np.array([0.5, 1.0, 3.0, 5.0]), np.array([2.0, 4.0, 1.0]), 1)
    assert kstest(E, cdf).pvalue > P_OK
    # the unclipped edge bins would put events outside the range and shift the CDF
    assert E.min() >= 0.5 and E.max() <= 5.0
    assert kstest(E, analytic_cdf(np.array([0.2, 1.0, 3.0, 8.0]), np.array([2.0, 4.0, 1.0]), 1)).pvalue < P_WRONG


def test_mono_flux_ignores_sigma() -> None:
    flux = make_flux("flat", 2.0, (0.1, 20.0))
    E = flux.sample(1000, np.random.default_rng(0), power(3))
    assert np.all(E == 2.0) and flux.averaged_sigma(power(3)) == 8.0
