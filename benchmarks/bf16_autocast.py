"""Would bfloat16 help CPU sampling? A flow sampled under ``torch.autocast`` (bf16) against float32 (issue 23).

    python benchmarks/bf16_autocast.py [--model nuwro-C12-flow] [--events 300000] [--out FILE.json]

nugan does not offer a bf16 engine; this measures why. One thread, so sampling runs in the calling thread where
the (thread-local) autocast applies; the flow's hyper-network matrix products then run in bf16 with float32
accumulation, everything else in float32. It reports

* speed: events/s of float32 and bf16, best of 3 calls of ``--events`` flat 0.3-10 GeV energies, and the raw
  speed of a (4096 x 128) @ (128 x 128) product in each type;
* event-level change: |dE_mu|, |dcos_theta| between bf16 and float32 with the same seed and energies;
* sample-level change: classifier AUC (``nugan.metrics.classifier_auc``) of a bf16 sample (seed 2) against a
  float32 sample (seed 1), beside float32 (seed 3) against the same float32 sample (the floor), flat and at 0.5
  and 1 GeV, 200,000 events each.

Prints a table and writes JSON stamped with its provenance.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from provenance import write_json

from nugan.events.table import EventTable
from nugan.generation.api import NuganModel
from nugan.metrics.classifier import classifier_auc

RESULTS = Path(__file__).resolve().parent / "results" / "bf16_autocast.json"


def cpu_flags() -> list[str]:
    """The bf16/AMX instruction-set flags of this CPU (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        words = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return []
    return sorted({w for w in words if w.startswith(("avx512_bf16", "amx"))})


def matmul_gflops(dtype: torch.dtype, reps: int = 300) -> float:
    """GFLOP/s of addmm (4096 x 128) @ (128 x 128) + bias on one thread."""
    a, b, c = torch.randn(4096, 128, dtype=dtype), torch.randn(128, 128, dtype=dtype), torch.randn(128, dtype=dtype)
    for _ in range(20):
        torch.addmm(c, a, b)
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.addmm(c, a, b)
    return 2 * 4096 * 128 * 128 * reps / (time.perf_counter() - t0) / 1e9


def sample(model: NuganModel, E: np.ndarray, seed: int, bf16: bool) -> tuple[np.ndarray, np.ndarray]:
    """(E_mu, cos_theta) for ``E`` [GeV], under bf16 autocast or not."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        return model.sample_muon(E, seed, None, 0)


def best_rate(model: NuganModel, E: np.ndarray, bf16: bool) -> float:
    """Events/s, best of 3."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        sample(model, E, 1, bf16)
        best = min(best, time.perf_counter() - t0)
    return len(E) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="nuwro-C12-flow")
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--auc-events", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    model = NuganModel.load(a.model, "cpu")
    E = np.random.default_rng(1).uniform(0.3, 10.0, a.events)
    sample(model, E[:20_000], 1, False)
    speed = {"float32": best_rate(model, E, False), "bfloat16": best_rate(model, E, True)}
    gflops = {"float32": matmul_gflops(torch.float32), "bfloat16": matmul_gflops(torch.bfloat16)}
    ref, low = sample(model, E, 1, False), sample(model, E, 1, True)
    d_mu, d_cos = np.abs(low[0] - ref[0]), np.abs(low[1] - ref[1])
    events = {
        "dE_mu_median_GeV": float(np.median(d_mu)),
        "dE_mu_p99_GeV": float(np.quantile(d_mu, 0.99)),
        "dE_mu_max_GeV": float(d_mu.max()),
        "dcos_median": float(np.median(d_cos)),
        "dcos_p99": float(np.quantile(d_cos, 0.99)),
    }
    aucs = []
    n = a.auc_events
    for e0 in (None, 0.5, 1.0):
        Ek = np.random.default_rng(2).uniform(0.3, 10.0, n) if e0 is None else np.full(n, e0)
        tables = {}
        for name, seed, bf16 in (("fp32", 1, False), ("bf16", 2, True), ("fp32_2", 3, False)):
            mu, cos = sample(model, Ek, seed, bf16)
            tables[name] = EventTable(Ek, mu, cos)
        test = classifier_auc(tables["bf16"], tables["fp32"], seed=0, cap=n)
        floor = classifier_auc(tables["fp32_2"], tables["fp32"], seed=0, cap=n)
        aucs.append(
            {
                "energy": "flat 0.3-10" if e0 is None else e0,
                "bf16_vs_fp32": test.auc,
                "se": test.auc_se,
                "floor": floor.auc,
            }
        )
    print(f"{a.model}, one thread, CPU flags {cpu_flags() or 'none'} (load average {load})")
    print(f"matmul 4096x128x128: float32 {gflops['float32']:.0f} GFLOP/s, bf16 {gflops['bfloat16']:.0f} GFLOP/s")
    print(
        f"sampling: float32 {speed['float32']:,.0f} events/s, bf16 {speed['bfloat16']:,.0f} events/s "
        f"(x{speed['bfloat16'] / speed['float32']:.2f})"
    )
    print(
        f"same seed, bf16 - float32: |dE_mu| median {events['dE_mu_median_GeV'] * 1e3:.2f} MeV, 99% "
        f"{events['dE_mu_p99_GeV'] * 1e3:.1f} MeV; |dcos| median {events['dcos_median']:.2e}"
    )
    print(f"{'energy':<14}{'AUC bf16 vs fp32':>18}{'s.e.':>8}{'fp32 vs fp32':>14}")
    for r in aucs:
        print(f"{str(r['energy']):<14}{r['bf16_vs_fp32']:>18.4f}{r['se']:>8.4f}{r['floor']:>14.4f}")
    out = {
        "model": a.model,
        "threads": 1,
        "cpu_flags": cpu_flags(),
        "load_average_1min": load,
        "matmul_gflops": gflops,
        "events_per_s": speed,
        "speedup": speed["bfloat16"] / speed["float32"],
        "event_level": events,
        "auc": aucs,
    }
    write_json(a.out, out)


if __name__ == "__main__":
    main()
