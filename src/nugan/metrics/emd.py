"""EMD: 1D Wasserstein-1 distances of E_mu and cos_theta at fixed neutrino energies, in reference
std units.

Definition (``shared/docs/method.md``): at each evaluation energy (fixed-energy reference samples;
0.5, 1 and 3 GeV by default) the Wasserstein-1 distance between the generated and reference
distributions of E_mu [GeV] and of cos_theta, each divided by the reference's standard deviation
of that variable (population std, ddof = 0), so that every entry is dimensionless. EMD = mean over
variables and energies; the per-variable, per-energy values are kept in :class:`EmdResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import wasserstein_distance

from nugan.events.table import EventTable

__all__ = ["EMD_VARIABLES", "EmdResult", "scaled_wasserstein", "emd", "match_energies"]

#: Variables whose 1D distances enter EMD.
EMD_VARIABLES: tuple[str, ...] = ("E_mu", "cos_theta")


@dataclass(frozen=True)
class EmdResult:
    """Outcome of :func:`emd`.

    Attributes:
        value: EMD, the mean of all per-variable, per-energy entries (dimensionless).
        per_energy: E_nu [GeV] -> variable -> W1 / std_ref.
        n_gen, n_ref: E_nu -> events used from each sample.
        comparison: what was compared ('model vs reference', 'MC vs MC (...)').
    """

    value: float
    per_energy: dict[float, dict[str, float]]
    n_gen: dict[float, int] = field(default_factory=dict)
    n_ref: dict[float, int] = field(default_factory=dict)
    comparison: str = "model vs reference"

    def per_variable(self) -> dict[str, float]:
        """Variable -> mean over energies."""
        names = sorted({v for d in self.per_energy.values() for v in d})
        return {v: float(np.mean([d[v] for d in self.per_energy.values() if v in d])) for v in names}

    def to_dict(self) -> dict:
        """JSON-ready dict (energies as strings)."""
        return {
            "value": self.value,
            "per_energy": {f"{e:g}": dict(d) for e, d in self.per_energy.items()},
            "n_gen": {f"{e:g}": n for e, n in self.n_gen.items()},
            "n_ref": {f"{e:g}": n for e, n in self.n_ref.items()},
            "comparison": self.comparison,
        }

    @classmethod
    def from_dict(cls, d: dict) -> EmdResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            value=float(d["value"]),
            per_energy={float(e): dict(v) for e, v in d["per_energy"].items()},
            n_gen={float(e): int(n) for e, n in d.get("n_gen", {}).items()},
            n_ref={float(e): int(n) for e, n in d.get("n_ref", {}).items()},
            comparison=d.get("comparison", "model vs reference"),
        )


def scaled_wasserstein(gen: np.ndarray, ref: np.ndarray) -> float:
    """Wasserstein-1 distance between two 1D samples divided by the reference's std (ddof = 0)."""
    gen = np.asarray(gen, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if len(gen) == 0 or len(ref) == 0:
        raise ValueError(f"EMD needs non-empty samples (got {len(gen)} generated, {len(ref)} reference)")
    if not (np.isfinite(gen).all() and np.isfinite(ref).all()):
        raise ValueError("EMD: samples contain NaN or inf; validate the events first")
    sd = float(np.std(ref))
    if not sd > 0:
        raise ValueError("EMD: the reference variable has zero spread; cannot normalise by its std")
    return float(wasserstein_distance(gen, ref)) / sd


def match_energies(gen_keys: Sequence[float], ref_keys: Sequence[float], rtol: float = 1e-6) -> dict[float, float]:
    """Map each reference energy to the generated-sample key equal to it (within ``rtol``); raises
    if one is missing."""
    out: dict[float, float] = {}
    for e in ref_keys:
        hits = [g for g in gen_keys if np.isclose(float(g), float(e), rtol=rtol, atol=0.0)]
        if not hits:
            raise ValueError(f"no generated sample at E_nu = {e:g} GeV (have {sorted(float(g) for g in gen_keys)})")
        out[float(e)] = hits[0]
    return out


def emd(
    gen_by_energy: Mapping[float, EventTable],
    ref_by_energy: Mapping[float, EventTable],
    variables: Sequence[str] = EMD_VARIABLES,
    comparison: str = "model vs reference",
) -> EmdResult:
    """EMD of generated against reference samples at fixed neutrino energies.

    Args:
        gen_by_energy: E_nu [GeV] -> generated sample at that energy.
        ref_by_energy: E_nu [GeV] -> reference sample at that energy; every key needs a generated
        sample.
        variables: observables compared (any name :meth:`EventTable.observable` knows).
        comparison: label stored in the result.
    """
    if not ref_by_energy:
        raise ValueError("EMD needs at least one fixed-energy reference sample")
    keys = match_energies(list(gen_by_energy), list(ref_by_energy))
    per: dict[float, dict[str, float]] = {}
    n_gen: dict[float, int] = {}
    n_ref: dict[float, int] = {}
    for e in sorted(keys):
        g, r = gen_by_energy[keys[e]], ref_by_energy[e]
        per[e] = {v: scaled_wasserstein(g.observable(v), r.observable(v)) for v in variables}
        n_gen[e], n_ref[e] = len(g), len(r)
    value = float(np.mean([x for d in per.values() for x in d.values()]))
    return EmdResult(value=value, per_energy=per, n_gen=n_gen, n_ref=n_ref, comparison=comparison)
