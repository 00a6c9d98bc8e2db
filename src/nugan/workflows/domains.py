"""Simulated domains ('numu-Ar40', 'numu-C12:high-ma-nomec') and their independent samples.

Every sample of a domain has its own seed derived from one study seed, so training pools, test references,
second references (for MC-vs-MC floors) and fixed-energy references never share events. Samples are
cached as Parquet in a folder (written atomically) so that an interrupted workflow restarts without
re-simulating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nugan.constants import probe_pdg, target_za
from nugan.events.parquet_io import read_parquet, write_parquet
from nugan.events.table import EventTable

__all__ = ["Domain", "DomainSamples", "domain_samples", "simulate_cached", "EVAL_ENERGIES"]

#: Fixed evaluation energies [GeV] (method.md): where nuclei differ most.
EVAL_ENERGIES: tuple[float, ...] = (0.5, 1.0, 3.0)


@dataclass(frozen=True)
class Domain:
    """A simulated domain: probe, target and interaction model of the built-in simulator."""

    probe: str = "numu"
    target: str = "C12"
    model: str = "default"

    @classmethod
    def parse(cls, spec: str) -> Domain:
        """'numu-Ar40', 'numubar-C12', 'numu-C12:high-ma-nomec'."""
        name, _, model = spec.partition(":")
        probe, sep, target = name.partition("-")
        if not sep:
            raise ValueError(f"domain {spec!r} must look like PROBE-TARGET[:MODEL], e.g. numu-Ar40")
        probe_pdg(probe)
        target_za(target)
        return cls(probe, target, model or "default")

    @property
    def label(self) -> str:
        base = f"{self.probe}-{self.target}"
        return base if self.model == "default" else f"{base}:{self.model}"

    @property
    def slug(self) -> str:
        return self.label.replace(":", "_")


def simulate_cached(
    cache: Path | None, name: str, domain: Domain, n: int, seed: int, energy: float | tuple[float, float] = (0.3, 10.0)
) -> EventTable:
    """Simulate ``n`` events of ``domain`` (flat flux over ``energy`` or monoenergetic), cached by name."""
    from nugan.physics import simulate

    path = cache / f"{name}.parquet" if cache else None
    if path is not None and path.exists():
        t = read_parquet(path)
        if len(t) == n and t.meta.seed == seed:
            return t
    t = simulate(domain.probe, domain.target, domain.model, energy=energy, flux="flat", n_events=n, seed=seed)
    if path is not None:
        write_parquet(t, path)
    return t


@dataclass
class DomainSamples:
    """Independent samples of one domain for training and evaluation.

    ``test2`` / ``fixed2`` are second independent references for the MC-vs-MC floor; when absent (samples
    read from generator files) the floor is taken from half splits of ``test`` / ``fixed``.
    """

    domain: Domain | str
    train_pool: EventTable | None
    test: EventTable
    test2: EventTable | None = None
    fixed: dict[float, EventTable] = field(default_factory=dict)
    fixed2: dict[float, EventTable] | None = None

    @property
    def label(self) -> str:
        return self.domain.label if isinstance(self.domain, Domain) else str(self.domain)

    def training_pool(self) -> EventTable:
        """The training pool; raises if this domain has none (samples given for evaluation only)."""
        if self.train_pool is None:
            raise ValueError(f"domain {self.label} has no training sample")
        return self.train_pool

    @property
    def slug(self) -> str:
        return self.label.replace(":", "_")


def domain_samples(
    domain: Domain,
    n_train: int,
    n_test: int,
    n_fixed: int,
    seed: int,
    cache: Path | None = None,
    energies: tuple[float, ...] = EVAL_ENERGIES,
) -> DomainSamples:
    """Training pool (``n_train``, 0 for none), two independent flat test references (``n_test`` each) and
    two independent references of ``n_fixed`` events at each fixed energy."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in np.random.SeedSequence([seed, 4242]).generate_state(3 + 2 * len(energies))]
    slug = domain.slug
    pool = simulate_cached(cache, f"{slug}_train", domain, n_train, seeds[0]) if n_train else None
    test = simulate_cached(cache, f"{slug}_test", domain, n_test, seeds[1])
    test2 = simulate_cached(cache, f"{slug}_test2", domain, n_test, seeds[2])
    fixed, fixed2 = {}, {}
    for i, e in enumerate(energies):
        fixed[e] = simulate_cached(cache, f"{slug}_E{e}", domain, n_fixed, seeds[3 + 2 * i], energy=e)
        fixed2[e] = simulate_cached(cache, f"{slug}_E{e}_2", domain, n_fixed, seeds[4 + 2 * i], energy=e)
    return DomainSamples(domain, pool, test, test2, fixed, fixed2)
