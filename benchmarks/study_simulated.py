"""The transfer-learning study on simulated domains (docs/results.md): results/study_simulated.*.

    python benchmarks/study_simulated.py [--out runs/study] [--results-dir benchmarks/results] [-- EXTRA STUDY ARGS]

Runs (resumable, like every study)

    nugan study --base numu-C12 --domains numu-Ar40,numubar-C12,numu-C12:high-ma-nomec --sizes 10000,100000 \\
        --seeds 0,1 --n-test 100000 --n-fixed 30000 --scratch matched --out runs/study

(scratch with the transfer run's budget: the protocol of the committed table) and writes the study's
``study.json``, ``study.md`` and ``map_vs_size.png`` to results/study_simulated.json, .md and
study_simulated_map_vs_size.png, its learning curves to results/study_simulated_learning_curves/, each stamped
with its provenance. Arguments after ``--`` are appended to the study command (they override the ones above).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from provenance import ROOT, provenance, stamp

RESULTS = Path(__file__).resolve().parent / "results"
STUDY = (
    "--base",
    "numu-C12",
    "--domains",
    "numu-Ar40,numubar-C12,numu-C12:high-ma-nomec",
    "--sizes",
    "10000,100000",
    "--seeds",
    "0,1",
    "--n-test",
    "100000",
    "--n-fixed",
    "30000",
    "--scratch",
    "matched",
)
STEM = "study_simulated"


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/study"), help="study folder (resumable)")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    a = ap.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "nugan.cli", "study", *STUDY, "--out", str(a.out), *extra]
    print("$ nugan " + " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True, env=env)
    res = a.results_dir
    res.mkdir(parents=True, exist_ok=True)
    written = []
    for src, name in (
        ("study.json", f"{STEM}.json"),
        ("study.md", f"{STEM}.md"),
        ("map_vs_size.png", f"{STEM}_map_vs_size.png"),
    ):
        shutil.copy(a.out / src, res / name)
        written.append(res / name)
    curves = res / f"{STEM}_learning_curves"
    curves.mkdir(exist_ok=True)
    for png in sorted(a.out.glob("learning_curves_*.png")):
        shutil.copy(png, curves / png.name)
        written.append(curves / png.name)
    prov = provenance()
    for f in written:
        stamp(f, prov=prov)
    print(f"wrote {', '.join(str(f) for f in written[:3])} and {len(written) - 3} learning-curve plots")


if __name__ == "__main__":
    main()
