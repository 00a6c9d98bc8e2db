"""`make demo` measured: wall time, peak memory and the demo's table, into results/demo.{json,md}.

    python benchmarks/demo.py [--work DIR] [--results-dir benchmarks/results] [--quick]

Runs ``nugan demo --out WORK`` from nothing (WORK must not exist; default: a temporary folder, removed afterwards,
since a demo resumes whatever it finds), with this interpreter and the machine's default thread count, as
``make demo`` does once ``.venv`` exists. Records the wall time of the command, the peak resident memory of the
demo process (``ru_maxrss`` of the child, what ``/usr/bin/time -v`` reports), the load average before the start
(timings from a busy machine are slower), what transfer learning's selection returned, and the demo's rows
(base on C12, zero-shot, transfer learning, scratch with the matched budget, domain distance, floor).
``--quick`` runs ``nugan demo --quick`` instead (for tests; not the README's figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from provenance import ROOT, provenance, stamp

from nugan.atomic import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = (
    ("MAP-3D", "map3d", 3),
    ("MAP-3D w/o tails", "map3d_no_tails", 3),
    ("<MAP>", "mean_map", 3),
    ("EMD", "emd", 4),
    ("AUC", "auc", 3),
)


def run_demo(work: Path, quick: bool) -> dict[str, Any]:
    """Run the demo into ``work``; wall seconds, peak RSS [GB], load average before the start."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "nugan.cli", "demo", "--out", str(work), *(["--quick"] if quick else [])]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    wall = time.perf_counter() - t0
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "wall_s": round(wall, 1),
        "peak_rss_gb": round(rss_kib / 1024**2, 2),
        "load_average_1min_before": load,
        "cpus": os.cpu_count(),
        "quick": quick,
    }


def markdown(doc: dict[str, Any]) -> str:
    m, s = divmod(round(doc["wall_s"]), 60)
    lines = [
        f"# `nugan demo{' --quick' if doc['quick'] else ''}` (what `make demo` runs)",
        "",
        f"Wall time {m} min {s:02d} s, peak memory {doc['peak_rss_gb']:.2f} GB, {doc['cpus']} CPU cores "
        f"(load average {doc['load_average_1min_before']:.2f} before the start); from an empty output folder, "
        "`.venv` already set up.",
        "",
        f"Transfer learning: {doc['selection']}.",
        "",
        "| model | " + " | ".join(c for c, _, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]

    def f(v: float | None, d: int) -> str:
        return "-" if v is None else f"{v:.{d}f}"

    for r in doc["rows"]:
        lines.append(f"| {r['name']} | " + " | ".join(f(r.get(k), d) for _, k, d in COLUMNS) + " |")
    fl = doc["rows"][1]  # the zero-shot row carries the target's floor
    tgt = doc.get("target") or "target"
    lines.append(f"| MC vs MC floor ({tgt}) | " + " | ".join(f(fl.get(f"floor_{k}"), d) for _, k, d in COLUMNS) + " |")
    if doc.get("what_tl_changed"):
        lines += ["", f"What transfer learning changed: {doc['what_tl_changed']}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None, help="demo output folder (must not exist; default: temporary)")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("--quick", action="store_true", help="nugan demo --quick (a smoke test, not the README figures)")
    a = ap.parse_args()
    if a.work is not None and a.work.exists():
        raise SystemExit(f"{a.work} exists: the demo would resume it and the time would mean nothing")
    tmp = None if a.work else tempfile.mkdtemp(prefix="nugan-demo-")
    work = a.work or Path(tmp) / "demo"
    try:
        doc = run_demo(work, a.quick)
        from nugan.training.runs import selection_note

        summary = json.loads((work / "summary.json").read_text())
        doc["selection"] = selection_note(work / "transfer")
        doc["steps"] = {
            name: json.loads((work / name / "summary.json").read_text()).get("steps_done")
            for name in ("transfer", "scratch")
        }
        doc["rows"] = summary["rows"]
        doc["target"] = summary.get("target")
        doc["what_tl_changed"] = summary.get("what_tl_changed")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    stem = "demo_quick" if a.quick else "demo"
    out = a.results_dir / f"{stem}.json"
    atomic_write_text(out, json.dumps(doc, indent=1, default=float))
    atomic_write_text(out.with_suffix(".md"), markdown(doc))
    prov = provenance()
    stamp(out, prov=prov)
    stamp(out.with_suffix(".md"), prov=prov)
    print(markdown(doc))
    print(f"wrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
