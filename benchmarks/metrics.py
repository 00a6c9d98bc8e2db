"""Timing of nugan.metrics: MAP-3D at 1e5 and 1e6 events, EMD, classifier AUC, a full evaluation.

Run: ``python benchmarks/metrics.py [--out benchmarks/results/metrics.json] [--repeat 3]``.
Samples are synthetic (log-uniform E_nu over 0.3-10 GeV, Beta-distributed y and cos_theta) so the
benchmark needs no data; the timing of the metrics does not depend on the physics. Prints a table and
writes the JSON results (seconds, best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from provenance import stamp

from nugan.atomic import atomic_write_text
from nugan.events import EventTable, SampleMeta
from nugan.metrics import classifier_auc, compute_floor, emd, evaluate_samples, map3d_result

__all__ = ["toy", "best_time", "run", "main"]

META = SampleMeta(energy_range=(0.3, 10.0), source="benchmark")


def toy(n: int, seed: int, E: float | None = None, y_scale: float = 1.0) -> EventTable:
    """Synthetic events: E_nu log-uniform over 0.3-10 GeV (or fixed E [GeV]), y ~ y_scale Beta(2, 2)."""
    rng = np.random.default_rng(seed)
    e = np.full(n, E) if E is not None else np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    y = rng.beta(2.0, 2.0, n) * y_scale
    return EventTable(e, np.maximum(y * e, 0.106), 2.0 * rng.beta(5.0, 2.0, n) - 1.0, meta=META)


def sampler(E_nu: np.ndarray, seed: int) -> EventTable:
    """Toy conditional sampler gen_fn(E_nu, seed) (stands in for a trained generator)."""
    rng = np.random.default_rng(seed)
    y = rng.beta(2.0, 2.0, len(E_nu))
    cos = 2.0 * rng.beta(5.0, 2.0, len(E_nu)) - 1.0
    return EventTable(E_nu, np.maximum(y * E_nu, 0.106), cos, meta=META)


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time [s] of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(repeat: int = 3) -> list[dict]:
    """Run every timing; returns rows {name, n_events, seconds, value}."""
    rows: list[dict] = []
    for n in (100_000, 1_000_000):
        g, r = toy(n, 1), toy(n, 2)
        res = map3d_result(g, r)
        rows.append(
            {
                "name": "MAP-3D (20^3 bins)",
                "n_events": f"{n} vs {n}",
                "seconds": best_time(lambda g=g, r=r: map3d_result(g, r), repeat),
                "value": round(res.map3d, 4),
            }
        )
    fixed_g = {e: toy(30_000, 10 + i, E=e) for i, e in enumerate((0.5, 1.0, 3.0))}
    fixed_r = {e: toy(30_000, 20 + i, E=e) for i, e in enumerate((0.5, 1.0, 3.0))}
    rows.append(
        {
            "name": "EMD (3 energies x 2 variables)",
            "n_events": "30000 vs 30000 per energy",
            "seconds": best_time(lambda: emd(fixed_g, fixed_r), repeat),
            "value": round(emd(fixed_g, fixed_r).value, 5),
        }
    )
    for cap, scale in ((30_000, 1.0), (100_000, 1.0), (100_000, 0.95)):
        g, r = toy(cap, 3, y_scale=scale), toy(cap, 4)
        what = "same distribution" if scale == 1.0 else "y scaled by 0.95"
        rows.append(
            {
                "name": f"classifier AUC (HGB, 1 thread; {what})",
                "n_events": f"{cap} vs {cap}",
                "seconds": best_time(lambda g=g, r=r, c=cap: classifier_auc(g, r, cap=c), 1),
                "value": round(classifier_auc(g, r, cap=cap).auc, 4),
            }
        )
    ref = toy(160_000, 5)
    t0 = time.perf_counter()
    fl = compute_floor(ref, fixed_r, seed=0)
    t_floor = time.perf_counter() - t0
    rows.append(
        {
            "name": "compute_floor (MAP, EMD, AUC + 3 per-energy AUCs)",
            "n_events": "160000 ref, 3 x 30000 fixed",
            "seconds": t_floor,
            "value": round(fl.map.map3d, 4),
        }
    )
    t0 = time.perf_counter()
    rep = evaluate_samples(sampler, ref, fixed_r, seed=0, floor=fl)
    rows.append(
        {
            "name": "evaluate_samples (given floor)",
            "n_events": "160000 ref, 3 x 30000 fixed",
            "seconds": time.perf_counter() - t0,
            "value": round(rep.mean_map, 4),
        }
    )
    t0 = time.perf_counter()
    evaluate_samples(sampler, ref, fixed_r, seed=0, floor=fl, auc=False)
    rows.append(
        {
            "name": "evaluate_samples (given floor, no AUC)",
            "n_events": "160000 ref, 3 x 30000 fixed",
            "seconds": time.perf_counter() - t0,
            "value": round(rep.mean_map, 4),
        }
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "metrics.json"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = run(args.repeat)
    width = max(len(r["name"]) for r in rows)
    print(f"{'metric':<{width}}  {'events':<28} {'seconds':>9}  value")
    for r in rows:
        print(f"{r['name']:<{width}}  {r['n_events']:<28} {r['seconds']:9.3f}  {r['value']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "rows": rows,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "note": "wall seconds, best of --repeat (AUC: one run); shared machine, load varies",
    }
    atomic_write_text(out, json.dumps(payload, indent=1))
    stamp(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
