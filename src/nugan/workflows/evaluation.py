"""Evaluate nugan models on a domain's references, with floors, zero-shot rows and the domain distance."""

from __future__ import annotations

from typing import Any

import numpy as np

from nugan.metrics.emd import EmdResult
from nugan.metrics.evaluate import compute_floor, evaluate_samples
from nugan.metrics.floor import FloorSet
from nugan.metrics.report import MetricsReport
from nugan.workflows.domains import DomainSamples

__all__ = ["floor_for", "evaluate_model", "headline", "emd_by_energy", "floor_headline", "HEADLINE_SCHEMA"]

#: Version of the headline dict (cached evaluations of an older version are recomputed): 2 adds the EMD at each
#: fixed energy (``emd_0.5``, ``emd_1``, ``emd_3``).
HEADLINE_SCHEMA = 2


def floor_for(samples: DomainSamples, seed: int, auc: bool = True) -> FloorSet:
    """MC-vs-MC floors of a domain from its two independent references."""
    return compute_floor(
        samples.test, samples.fixed, samples.test2, samples.fixed2, seed, (0.3, 10.0), 20, auc, 100_000
    )


def evaluate_model(
    model: Any, samples: DomainSamples, name: str, seed: int, floor: FloorSet | None, auc: bool = True
) -> MetricsReport:
    """Every metric of a loaded model (``nugan.load``) against the domain's references."""

    def gen_fn(E, s):
        return model.sample(E, seed=s)

    rep = evaluate_samples(
        gen_fn,
        samples.test,
        samples.fixed,
        seed=seed,
        name=name,
        floor=floor if floor is not None else False,
        energy_range=(0.3, 10.0),
        auc=auc,
    )
    if getattr(model, "arch", "gan") == "flow":  # exact likelihood of the test events [nats/event]
        nll = -model.log_prob(samples.test, allow_extrapolation=True)
        rep.info["test_nll"] = {
            "mean": float(nll.mean()),
            "se": float(nll.std(ddof=1) / np.sqrt(len(nll))),
            "n": len(nll),
        }
    return rep


def emd_by_energy(emd: EmdResult | None) -> dict[str, float]:
    """EMD at each fixed energy (mean over variables): {'emd_0.5': ..., 'emd_1': ..., 'emd_3': ...}."""
    if emd is None:
        return {}
    return {f"emd_{e:g}": float(np.mean(list(v.values()))) for e, v in sorted(emd.per_energy.items()) if v}


def headline(rep: MetricsReport) -> dict[str, Any]:
    """Flat dict of a report's headline numbers, the EMD at each fixed energy, and their floors."""
    d: dict[str, Any] = {"name": rep.name, "schema": HEADLINE_SCHEMA, **rep.headline(), **emd_by_energy(rep.emd)}
    d.update({f"floor_{k}": v for k, v in rep.floor_headline().items()})
    if rep.floor is not None:
        d.update({f"floor_{k}": v for k, v in emd_by_energy(rep.floor.emd).items()})
    if rep.info.get("test_nll"):
        d["nll"] = rep.info["test_nll"]["mean"]
        d["nll_se"] = rep.info["test_nll"]["se"]
    return d


def floor_headline(floor: FloorSet) -> dict[str, Any]:
    """The MC-vs-MC floors in the keys of :func:`headline` (map3d, ..., emd, emd_0.5, ..., auc)."""
    fm = floor.map
    return {
        "map3d": fm.map3d if fm else None,
        "map3d_no_tails": fm.map3d_no_tails if fm else None,
        "mean_map": fm.mean_map if fm else None,
        "emd": floor.emd.value if floor.emd else None,
        **emd_by_energy(floor.emd),
        "auc": floor.auc.auc if floor.auc else None,
    }
