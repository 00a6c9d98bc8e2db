"""Start-up of short commands (whole processes) and the NumPy/torch engine crossover of ``nugan generate``.

    python benchmarks/startup.py [--runs 5] [--inspect-file F.root] [--threads 1,2] [--crossover-events 1000000]
    python benchmarks/startup.py --src ../other-checkout/src --commands-only --out before.json

Commands (each run as ``python -m nugan.cli ...``, the code of the ``nugan`` script, in a fresh process; one
warm-up run, then the median wall and CPU time of ``--runs``): ``nugan --help``, ``nugan inspect FILE`` (the
small NuWro ROOT fixture in ../shared/fixtures when present), ``nugan generate -m nuwro-C12 -n 10 -o x.parquet``
with the automatic engine and with ``--engine torch``.

Crossover: a whole ``generate`` run takes ``T(N) = T0 + N / rate``. For each thread count both engines are timed
(median of ``--crossover-runs``) at 10 and at ``--crossover-events`` events on a flat 0.3-10 GeV beam; the NumPy
engine starts faster (no torch import) and torch runs the network faster, so they cross at
``N* = (T0_torch - T0_numpy) / (1 / rate_numpy - 1 / rate_torch)``. nugan.generation.engines.AUTO_NUMPY_MAX_EVENTS
is set from it. Timings are only as good as the machine is quiet: the load average is recorded.
Prints a table and writes benchmarks/results/startup.json (with provenance).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from provenance import ROOT, from_root, provenance

RESULTS = Path(__file__).resolve().parent / "results"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "nuwro_numu_C12_small.root"


def wall(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds (user + system, all threads), exit status) of one whole process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, proc.returncode


def median_wall(cmd: list[str], env: dict[str, str], cwd: Path, runs: int, warmup: bool = True) -> dict[str, Any]:
    """Median wall and CPU time of ``runs`` runs after one warm-up (CPU time is the steadier figure on a busy
    machine); ``ok`` False if any run failed."""
    if warmup:
        wall(cmd, env, cwd)
    times, cpu, ok = [], [], True
    for _ in range(runs):
        t, c, rc = wall(cmd, env, cwd)
        times.append(round(t, 3))
        cpu.append(round(c, 3))
        ok = ok and rc == 0
    return {
        "median_s": round(statistics.median(times), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
        "runs_s": times,
        "ok": ok,
    }


def crossover(t_np: tuple[float, float], t_torch: tuple[float, float], n: int) -> dict[str, Any]:
    """Fixed cost, rate and crossover from whole-run times at 10 and ``n`` events of both engines."""
    out: dict[str, Any] = {}
    for name, (t0, t1) in (("numpy", t_np), ("torch", t_torch)):
        rate = (n - 10) / (t1 - t0) if t1 > t0 else float("inf")
        out[name] = {"t10_s": round(t0, 3), f"t{n}_s": round(t1, 3), "events_per_s": round(rate)}
    slow = 1 / out["numpy"]["events_per_s"] - 1 / out["torch"]["events_per_s"]
    gap = t_torch[0] - t_np[0]
    out["crossover_events"] = round(gap / slow) if slow > 0 else None  # None: NumPy is never slower
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--inspect-file", type=Path, default=FIXTURE)
    ap.add_argument("--model", default="nuwro-C12")
    ap.add_argument("--threads", default="1,2", help="thread counts of the crossover measurement")
    ap.add_argument("--crossover-events", type=int, default=1_000_000)
    ap.add_argument("--crossover-runs", type=int, default=3)
    ap.add_argument("--commands-only", action="store_true", help="skip the crossover (and --engine options)")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the nugan sources to time (PYTHONPATH)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out", type=Path, default=RESULTS / "startup.json")
    a = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(a.src.resolve())}
    nugan = [a.python, "-m", "nugan.cli"]
    load_before = os.getloadavg()[0]
    commands: dict[str, list[str]] = {"nugan --help": ["--help"]}
    if a.inspect_file.exists():
        commands[f"nugan inspect {a.inspect_file.name}"] = ["inspect", str(a.inspect_file.resolve())]
    gen = ["generate", "-m", a.model, "-n", "10", "-o", "x.parquet", "--no-progress"]
    if a.commands_only:
        commands[f"nugan generate -m {a.model} -n 10"] = gen
    else:
        commands[f"nugan generate -m {a.model} -n 10 (engine auto)"] = gen
        commands[f"nugan generate -m {a.model} -n 10 --engine torch"] = [*gen, "--engine", "torch"]
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for label, args in commands.items():
            rows[label] = median_wall([*nugan, *args], env, cwd, a.runs)
            r = rows[label]
            print(
                f"{label:58s} {r['median_s']:5.2f} s wall {r['median_cpu_s']:5.2f} s CPU  (runs {r['runs_s']})",
                flush=True,
            )
        cross: dict[str, Any] = {}
        if not a.commands_only:
            n = a.crossover_events
            for th in (int(x) for x in a.threads.split(",")):
                times: dict[str, tuple[float, float]] = {}
                for engine in ("numpy", "torch"):
                    pair = []
                    for events in (10, n):
                        cmd = [*nugan, "generate", "-m", a.model, "-n", str(events), "-o", "c.parquet"]
                        cmd += ["--no-progress", "--engine", engine, "--threads", str(th), "--device", "cpu"]
                        pair.append(median_wall(cmd, env, cwd, a.crossover_runs, warmup=events == 10)["median_s"])
                    times[engine] = (pair[0], pair[1])
                cross[str(th)] = crossover(times["numpy"], times["torch"], n)
                c = cross[str(th)]
                print(
                    f"{th} thread(s): numpy {c['numpy']['t10_s']:.2f} s + N / {c['numpy']['events_per_s']:,}/s, "
                    f"torch {c['torch']['t10_s']:.2f} s + N / {c['torch']['events_per_s']:,}/s -> crossover "
                    f"{c['crossover_events'] if c['crossover_events'] is None else format(c['crossover_events'], ',')}"
                    " events",
                    flush=True,
                )
    result = {
        "what": "whole-process wall time of short commands (median after one warm-up) and the NumPy/torch "
        "crossover of nugan generate (T = T0 + N / rate per engine)",
        "src": from_root(str(a.src.resolve())),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "commands": rows,
        "crossover": cross,
        "crossover_model": a.model,
        "provenance": provenance(),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
