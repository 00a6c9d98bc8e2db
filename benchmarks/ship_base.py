"""Copy a finished pre-training run into the package as a shipped model (weights + JSON only).

python benchmarks/ship_base.py runs/base/numu-C12 numu-C12 "bash benchmarks/pretrain_base.sh" ["note"]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from nugan.atomic import atomic_write_text
from nugan.models.checkpoint import SHIPPED_DIR, load_model


def main() -> None:
    run, name, command = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    load_model(run)  # refuse anything that is not a loadable model
    dest = SHIPPED_DIR / name
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(run / "model.safetensors", dest / "model.safetensors")
    info = json.loads((run / "model.json").read_text())
    info["shipped_name"] = name
    info["reproduce"] = command
    summary = run / "summary.json"
    if summary.exists():  # the training run's own record of its length and wall time (this run only)
        sm = json.loads(summary.read_text())
        info["train_seconds"], info["steps_done"] = sm.get("seconds"), sm.get("steps_done")
    if len(sys.argv) > 4:
        info["note"] = sys.argv[4]
    atomic_write_text(dest / "model.json", json.dumps(info, indent=1, sort_keys=True))
    print(f"shipped {run} as {dest} ({(dest / 'model.safetensors').stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
