"""Throughput of the built-in simulator (table sampler path), one process.

Usage: python benchmarks/simulate.py [--events N] [--repeat R] [--out FILE.json]
Prints a table and writes benchmarks/results/simulate.json (stamped with its provenance).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from provenance import stamp

from nugan.atomic import atomic_write_text
from nugan.physics.simulate import iter_chunks, make_config

CASES = (
    ("numu", "C12", (0.3, 10.0)),
    ("numu", "Ar40", (0.3, 10.0)),
    ("numu", "C12", 1.0),
    ("numubar", "C12", (0.3, 10.0)),
)


def run_case(probe: str, target: str, energy: float | tuple[float, float], n: int, repeat: int) -> dict:
    cfg = make_config(probe, target, "default", energy, "flat", n, 1)
    next(iter_chunks(make_config(probe, target, "default", energy, "flat", 1000, 0)))  # load tables, warm up
    times = []
    for r in range(repeat):
        cfg = make_config(probe, target, "default", energy, "flat", n, r)
        t0 = time.perf_counter()
        total = sum(len(c) for c in iter_chunks(cfg))
        times.append(time.perf_counter() - t0)
        assert total == n
    best = min(times)
    return {
        "probe": probe,
        "target": target,
        "energy": energy,
        "events": n,
        "best_s": round(best, 4),
        "median_s": round(float(np.median(times)), 4),
        "events_per_s": round(n / best),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "simulate.json")
    args = ap.parse_args()
    rows = [run_case(p, t, e, args.events, args.repeat) for p, t, e in CASES]
    print(f"{'probe':8s} {'target':6s} {'energy':>12s} {'events':>10s} {'best s':>8s} {'events/s':>12s}")
    for r in rows:
        print(
            f"{r['probe']:8s} {r['target']:6s} {str(r['energy']):>12s} {r['events']:>10d} {r['best_s']:>8.3f} "
            f"{r['events_per_s']:>12,d}"
        )
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": platform.processor(),
        "threads": os.environ.get("OMP_NUM_THREADS", ""),
        "note": "single process, table sampler path",
    }
    atomic_write_text(out, json.dumps({"info": info, "results": rows}, indent=1))
    stamp(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
