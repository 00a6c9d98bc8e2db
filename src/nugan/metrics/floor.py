"""Statistical floors: each metric evaluated MC against MC, i.e. what a perfect generator would
score.

The floor is measured, not assumed (``shared/docs/method.md``). Two ways, the result's
``comparison``
field says which was used:

* **independent** (preferred): a second reference sample of the same domain, independent of the
  first. Both are cut to the same size (the smaller one's) and compared as "generated" (second) vs
  reference (first): the floor at (nearly) the statistics of the model evaluation.
* **split** (fallback when only one reference exists): the reference is split at random into two
  disjoint halves compared with each other. The floor is then measured at half the statistics;
  MAP-3D with tails in particular depends on the counts per bin, so a split floor is an
  approximation (it is slightly different from the full-statistics floor, mostly through the
  low-count tail bins).

Note: a model evaluated with :func:`nugan.metrics.evaluate_samples` is sampled at exactly the
reference events' E_nu values, so its E_nu marginal carries no fluctuation of its own; an MC-vs-MC
pair has two independent E_nu marginals. A perfect model therefore scores at or slightly below the
MC-vs-MC floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from nugan.events.table import EventTable
from nugan.metrics.classifier import AucResult, classifier_auc
from nugan.metrics.emd import EmdResult, emd
from nugan.metrics.map3d import MIN_REF_NO_TAILS, MapResult, default_energy_range, map3d_result

__all__ = [
    "FloorSet",
    "mc_pair",
    "floor_map3d",
    "floor_emd",
    "emd_statistics_factor",
    "floor_auc",
    "floor_auc_by_energy",
]


@dataclass(frozen=True)
class FloorSet:
    """The MC-vs-MC floors of every metric, computed once per reference set and reusable.

    Attributes:
        map: MAP-3D floor (None if not computed).
        emd: EMD floor over the fixed energies (None without fixed-energy references).
        auc: classifier AUC floor on the main reference (None if not computed).
        auc_by_energy: E_nu [GeV] -> classifier AUC floor at that fixed energy.
    """

    map: MapResult | None = None
    emd: EmdResult | None = None
    auc: AucResult | None = None
    auc_by_energy: dict[float, AucResult] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "map": None if self.map is None else self.map.to_dict(),
            "emd": None if self.emd is None else self.emd.to_dict(),
            "auc": None if self.auc is None else self.auc.to_dict(),
            "auc_by_energy": {f"{e:g}": a.to_dict() for e, a in self.auc_by_energy.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> FloorSet:
        """Inverse of :meth:`to_dict`."""
        return cls(
            map=MapResult.from_dict(d["map"]) if d.get("map") else None,
            emd=EmdResult.from_dict(d["emd"]) if d.get("emd") else None,
            auc=AucResult.from_dict(d["auc"]) if d.get("auc") else None,
            auc_by_energy={float(e): AucResult.from_dict(a) for e, a in d.get("auc_by_energy", {}).items()},
        )


def mc_pair(ref: EventTable, ref2: EventTable | None = None, seed: int = 0) -> tuple[EventTable, EventTable, str]:
    """Two MC samples of one domain for a floor: (as 'generated', as reference, description).

    With ``ref2`` both are cut at random to the smaller size (independent floor); without it
    ``ref`` is split at random into two disjoint halves (split floor).
    """
    rng = np.random.default_rng(seed)
    if ref2 is not None:
        n = min(len(ref), len(ref2))
        if n == 0:
            raise ValueError("floor: an empty reference sample")
        a = ref2 if len(ref2) == n else ref2[np.sort(rng.choice(len(ref2), n, replace=False))]
        b = ref if len(ref) == n else ref[np.sort(rng.choice(len(ref), n, replace=False))]
        return a, b, f"MC vs MC: independent reference, {n} events each"
    if len(ref) < 2:
        raise ValueError(f"floor: cannot split a reference of {len(ref)} events")
    perm = rng.permutation(len(ref))
    h = len(ref) // 2
    a, b = ref[np.sort(perm[:h])], ref[np.sort(perm[h : 2 * h])]
    return a, b, f"MC vs MC: random half split of the reference, {h} events each (half statistics)"


def floor_map3d(
    ref: EventTable,
    ref2: EventTable | None = None,
    seed: int = 0,
    energy_range: tuple[float, float] | None = None,
    bins: int | tuple[int, int, int] = 20,
    min_ref: int = MIN_REF_NO_TAILS,
) -> MapResult:
    """MAP-3D floor (k = 1): an independent second reference, or a random half split of ``ref``.

    ``energy_range`` None takes the reference's domain range [GeV].
    """
    a, b, how = mc_pair(ref, ref2, seed)
    er = default_energy_range(ref) if energy_range is None else energy_range
    return map3d_result(a, b, k=1, energy_range=er, bins=bins, min_ref=min_ref, comparison=how)


def emd_statistics_factor(n_a: int, n_b: int, n_ref: int, k: float = 1.0) -> float:
    """Factor rescaling a W1 floor measured between samples of n_a and n_b events to a model evaluation
    with n_ref reference and k * n_ref generated events.

    For samples of one distribution the expected W1 scales as n_eff^(-1/2), n_eff = n1 n2 / (n1 + n2);
    the factor is sqrt(n_eff(floor) / n_eff(evaluation)) (1/sqrt(2) for a half split with k = 1).
    """
    n_eff_floor = n_a * n_b / (n_a + n_b)
    n_eff_eval = k * n_ref * n_ref / (k * n_ref + n_ref)
    return float(np.sqrt(n_eff_floor / n_eff_eval))


def floor_emd(
    ref_by_energy: Mapping[float, EventTable],
    ref2_by_energy: Mapping[float, EventTable] | None = None,
    seed: int = 0,
    k: float = 1.0,
    rescale: bool = True,
) -> EmdResult:
    """EMD floor per fixed energy: independent second references where given for that energy, else
    random half splits (the result's ``comparison`` says which).

    With ``rescale`` (default) each W1 is rescaled by :func:`emd_statistics_factor` to the statistics
    of a model evaluated against the full reference with k generated events per reference event:
    a half-split floor would otherwise be ~sqrt(2) too high (W1 ~ n_eff^(-1/2) for one distribution).
    """
    ref2_by_energy = ref2_by_energy or {}
    per: dict[float, dict[str, float]] = {}
    n_gen: dict[float, int] = {}
    n_ref: dict[float, int] = {}
    groups: dict[str, list[str]] = {}
    for i, (e, ref) in enumerate(sorted(ref_by_energy.items())):
        a, b, how = mc_pair(ref, _at_energy(ref2_by_energy, e), seed + 7919 * (i + 1))
        raw = emd({float(e): a}, {float(e): b})
        f = emd_statistics_factor(len(a), len(b), len(ref), k) if rescale else 1.0
        per[float(e)] = {v: x * f for v, x in raw.per_energy[float(e)].items()}
        n_gen[float(e)], n_ref[float(e)] = len(a), len(b)
        if rescale and abs(f - 1.0) > 1e-9:
            how += f", W1 rescaled by {f:.3f} to the evaluation statistics (k = {k:g})"
        groups.setdefault(how, []).append(f"{e:g}")
    value = float(np.mean([x for d in per.values() for x in d.values()]))
    comparison = "; ".join(f"{how} [{', '.join(es)} GeV]" for how, es in groups.items())
    return EmdResult(value=value, per_energy=per, n_gen=n_gen, n_ref=n_ref, comparison=comparison)


def floor_auc(ref: EventTable, ref2: EventTable | None = None, seed: int = 0, cap: int = 100_000) -> AucResult:
    """Classifier-AUC floor: the classifier separating two MC samples of one domain."""
    a, b, how = mc_pair(ref, ref2, seed)
    return classifier_auc(a, b, seed=seed, cap=cap, comparison=how)


def floor_auc_by_energy(
    ref_by_energy: Mapping[float, EventTable],
    ref2_by_energy: Mapping[float, EventTable] | None = None,
    seed: int = 0,
    cap: int = 100_000,
) -> dict[float, AucResult]:
    """Classifier-AUC floor at each fixed energy."""
    ref2_by_energy = ref2_by_energy or {}
    return {
        float(e): floor_auc(ref, _at_energy(ref2_by_energy, e), seed + 104729 * (i + 1), cap)
        for i, (e, ref) in enumerate(sorted(ref_by_energy.items()))
    }


def _at_energy(tables: Mapping[float, EventTable], e: float) -> EventTable | None:
    for key, t in tables.items():
        if np.isclose(float(key), float(e), rtol=1e-6, atol=0.0):
            return t
    return None
