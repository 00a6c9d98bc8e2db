"""Record ``weights_sha256`` in model.json files that lack it (shipped models, runs of older nugan versions).

Usage: ``PYTHONPATH=src python benchmarks/add_weights_hash.py [MODEL.json ...]`` (default: the shipped models).
The weights are loaded and checked for finite values before their hash is recorded; a model whose JSON
already holds a hash is checked against it and left alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nugan.atomic import atomic_write_text
from nugan.models.checkpoint import load_model, shipped_models, weights_sha256


def add_hash(js: Path) -> str:
    """Add the weights hash to ``js`` (after a full load) and return it."""
    load_model(js)  # verifies an existing hash, the architecture and finite weights
    info = json.loads(js.read_text())
    digest = weights_sha256(js.with_suffix(".safetensors"))
    if info.get("weights_sha256") != digest:
        info["weights_sha256"] = digest
        atomic_write_text(js, json.dumps(info, indent=1, sort_keys=True))
    return digest


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or list(shipped_models().values())
    for js in paths:
        print(f"{js}: weights_sha256 {add_hash(js)}")


if __name__ == "__main__":
    main(sys.argv[1:])
