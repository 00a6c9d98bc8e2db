"""In-process sampling speed of shipped models side by side (GAN vs flow), measured in one run.

    python benchmarks/sampling_speed.py [--model numu-C12 --model numu-C12-flow ...] [--threads 1,2]

For each model and thread count: ``model.sample(E_nu, seed)`` on 1,000,000 energies drawn log-uniformly over
0.3-10 GeV (network, decode to physical variables, physical check), best of 3 calls; the load average before the
run is recorded (busy cores slow every row alike, so compare ratios within the table). Prints a markdown table
and writes benchmarks/results/sampling_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from provenance import provenance, stamp

import nugan
from nugan.atomic import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"


def rate(model: nugan.NuganModel, n: int, calls: int = 3) -> float:
    """Best events/s of ``calls`` calls of ``model.sample`` on ``n`` log-uniform energies."""
    E = np.exp(np.random.default_rng(0).uniform(np.log(0.3), np.log(10.0), n))
    model.sample(E[:10_000], seed=0)  # warm-up
    best = 0.0
    for s in range(calls):
        t = time.perf_counter()
        model.sample(E, seed=s + 1)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=None)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=RESULTS / "sampling_speed.json")
    a = ap.parse_args()
    models = a.model or ["numu-C12", "numu-C12-flow", "nuwro-C12", "nuwro-C12-flow"]
    load = os.getloadavg()[0]
    rows = []
    for name in models:
        m = nugan.load(name, device="cpu")
        for th in (int(x) for x in a.threads.split(",")):
            torch.set_num_threads(th)
            r = rate(m, a.events)
            rows.append({"model": name, "arch": m.arch, "threads": th, "events_per_s": r})
            print(f"{name} ({m.arch}), {th} thread(s): {r:,.0f} events/s")
    md = [
        "# Sampling speed, shipped models",
        "",
        f"`python benchmarks/sampling_speed.py`: {a.events:,} events per call over 0.3-10 GeV, best of 3, CPU "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average {load:.2f} at the "
        "start).",
        "",
        "| model | family | threads | events/s |",
        "|---|---|---:|---:|",
    ]
    md += [f"| {r['model']} | {r['arch']} | {r['threads']} | {r['events_per_s']:,.0f} |" for r in rows]
    text = "\n".join(md) + "\n"
    print(text)
    atomic_write_text(
        a.out,
        json.dumps({"events": a.events, "load_average": load, "torch": torch.__version__, "rows": rows}, indent=1),
    )
    atomic_write_text(a.out.with_suffix(".md"), text)
    prov = provenance()
    stamp(a.out, prov=prov)
    stamp(a.out.with_suffix(".md"), prov=prov)
    print(f"wrote {a.out} and {a.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
