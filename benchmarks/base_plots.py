"""W at 1 and 3 GeV of the simulator base model against the simulator: results/base_numu-C12_E{1,3}_w.png.

    python benchmarks/base_plots.py [--model runs/base/numu-C12-phase4 --model numu-C12] [--work runs/base_plots]
        [--results-dir benchmarks/results]

Simulates the independent 200,000-event nu_mu-C12 test sample of docs/results.md (default model, flat 0.3-10 GeV,
seed 901) into WORK/c12_test_901.parquet (kept, reused), then runs

    nugan report --model runs/base/numu-C12-phase4 --model numu-C12 --reference WORK/c12_test_901.parquet \\
        --energies 1,3 --no-auc --out WORK/report

and writes the report's W plots (dist_E1_w.png, dist_E3_w.png) to results/base_numu-C12_E1_w.png and
base_numu-C12_E3_w.png, stamped with their provenance. runs/base/numu-C12-phase4 is phase 4 of
``bash benchmarks/pretrain_base.sh``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from provenance import ROOT, provenance, stamp

from nugan.physics.models import get_model

RESULTS = Path(__file__).resolve().parent / "results"
PLOTS = {"dist_E1_w.png": "base_numu-C12_E1_w.png", "dist_E3_w.png": "base_numu-C12_E3_w.png"}


def nugan(*args: str) -> None:
    """Run ``nugan ARGS`` with this interpreter and this checkout's package."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    print("$ nugan " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "nugan.cli", *args], check=True, env=env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model",
        action="append",
        default=None,
        help="models to show (default: runs/rebase/numu-C12-from and numu-C12)",
    )
    ap.add_argument("--work", type=Path, default=Path("runs/base_plots"), help="test sample and report folder")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    a = ap.parse_args()
    models = a.model or ["runs/rebase/numu-C12-from", "numu-C12"]
    ref = a.work / f"c12_test_901_{get_model('default').fingerprint()}.parquet"
    if not ref.exists():
        nugan(
            "simulate",
            "--probe",
            "numu",
            "--target",
            "C12",
            "--model",
            "default",
            "--energy",
            "0.3:10",
            "--flux",
            "flat",
            "--events",
            "200000",
            "--seed",
            "901",
            "-o",
            str(ref),
        )
    report = a.work / "report"
    nugan(
        "report",
        *[x for m in models for x in ("--model", m)],
        "--reference",
        str(ref),
        "--energies",
        "1,3",
        "--no-auc",
        "--out",
        str(report),
    )
    a.results_dir.mkdir(parents=True, exist_ok=True)
    prov = provenance()
    for src, name in PLOTS.items():
        dest = a.results_dir / name
        shutil.copy(report / src, dest)
        stamp(dest, prov=prov)
        print(f"wrote {dest}")


if __name__ == "__main__":
    main()
