"""Reproduce arXiv:2508.12987 on the real NuWro samples (shared/data/nuwro).

Usage (resumable: every stage skips work whose outputs exist, and training resumes from state.pt):

    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper pretrain
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper study

Test-set rule (fixed, never trained on): the LAST rows of each file are the test set: 200,000 rows of
numu_C12_base (800k) and 60,000 rows of each 160k target file. Training uses the first rows only:
the base model the first 600,000 C12 rows; target trainings of size n the first n rows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nugan.events import EventTable, read_parquet
from nugan.training import load_run_config, pretrain

BASE_FILE = "numu_C12_base.parquet"
TARGETS = {
    "numu-Ar40": "numu_Ar40.parquet",
    "numubar-C12": "numubar_C12.parquet",
    "numu-C12-altmodel": "numu_C12_altmodel.parquet",
    "numu-C12-altmodel2": "numu_C12_altmodel2.parquet",
}
BASE_TEST = 200_000
TARGET_TEST = 60_000


def carve(table: EventTable, n_test: int) -> tuple[EventTable, EventTable]:
    """(train pool = first rows, test = last ``n_test`` rows)."""
    return table[: len(table) - n_test], table[len(table) - n_test:]


def stage_pretrain(nuwro: Path, out: Path, config: Path) -> None:
    base = read_parquet(nuwro / BASE_FILE).with_meta(model="nuwro-25.11", energy_range=(0.3, 10.0))
    train, _ = carve(base, BASE_TEST)
    run = load_run_config(config)
    run_dir = out / "base"
    resume = (run_dir / "state.pt").exists()
    result = pretrain(train, run, run_dir, resume=resume, energy_range=(0.3, 10.0))
    (out / "base_summary.json").write_text(json.dumps(result.to_dict(), indent=1))
    print(f"base model written to {run_dir}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nuwro-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("runs/paper"))
    ap.add_argument("--config", type=Path, default=Path(__file__).resolve().parents[1] / "configs/pretrain_cpu.toml")
    ap.add_argument("stage", choices=["pretrain"])
    a = ap.parse_args()
    if not (a.nuwro_dir / BASE_FILE).exists():
        raise SystemExit(f"{a.nuwro_dir}: no {BASE_FILE} (pass the shared/data/nuwro folder)")
    if a.stage == "pretrain":
        stage_pretrain(a.nuwro_dir, a.out, a.config)


if __name__ == "__main__":
    main()
