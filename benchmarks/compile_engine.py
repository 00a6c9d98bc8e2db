"""The compile engine against eager torch: in-process GAN sampling at 1 and 2 threads (docs/generation.md).

    python benchmarks/compile_engine.py [--model nuwro-C12] [--events 4000000] [--out FILE.json]

Each (engine, threads) runs in a fresh process: the model is loaded, a first 20,000-event call is timed (for
the compile engine it includes compiling the network), then ``sample`` of ``--events`` flat 0.3-10 GeV energies,
best of 3. Prints a table and writes JSON (stamped with its provenance); compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from provenance import ROOT, write_json

RESULTS = Path(__file__).resolve().parent / "results" / "compile_engine.json"
CHILD = """
import json, sys, time
import numpy as np
import torch
torch.set_num_threads({threads})
from nugan.generation.api import NuganModel
m = NuganModel.load({model!r}, "cpu", compile={compile})
E = np.random.default_rng(1).uniform(0.3, 10.0, {events})
t0 = time.perf_counter(); m.sample(E[:20000], seed=1); first = time.perf_counter() - t0
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter(); m.sample(E, seed=1); best = min(best, time.perf_counter() - t0)
print(json.dumps({{"first_call_s": first, "best_s": best}}))
"""


def run(model: str, compile: bool, threads: int, events: int) -> dict:
    """Time one (engine, threads) in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    code = CHILD.format(threads=threads, model=model, compile=compile, events=events)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        engine = "compile" if compile else "torch"
        raise SystemExit(f"child failed ({engine}, {threads} threads):\n{out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "engine": "compile" if compile else "torch",
        "threads": threads,
        "events": events,
        "first_call_s": res["first_call_s"],
        "events_per_s": events / res["best_s"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="nuwro-C12")
    ap.add_argument("--events", type=int, default=4_000_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rows = [run(a.model, c, t, a.events) for t in (1, 2) for c in (False, True)]
    print(f"{a.model}, {a.events:,} events per call (load average {load})")
    print(f"{'engine':<9}{'threads':>8}{'first call [s]':>16}{'events/s':>14}{'vs torch':>10}")
    for r in rows:
        ref = next(x for x in rows if x["threads"] == r["threads"] and x["engine"] == "torch")
        r["ratio_to_torch"] = r["events_per_s"] / ref["events_per_s"]
        print(
            f"{r['engine']:<9}{r['threads']:>8}{r['first_call_s']:>16.2f}{r['events_per_s']:>14,.0f}"
            f"{r['ratio_to_torch']:>10.2f}"
        )
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    out = {"model": a.model, "load_average_1min": load, "created_utc": created}
    write_json(a.out, {**out, "results": rows})


if __name__ == "__main__":
    main()
