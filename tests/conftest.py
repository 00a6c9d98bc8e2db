"""Shared test fixtures: paths to ``../shared`` material (tests skip cleanly when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NUGAN_SHARED", REPO.parent / "shared"))

os.environ.setdefault("OMP_NUM_THREADS", "2")


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the shared material beside the checkout); not present here")
    return path


@pytest.fixture
def shared_dir() -> Path:
    """The ``shared/`` folder beside the checkout, or skip."""
    return _need(SHARED)


@pytest.fixture
def nuwro_root_fixture() -> Path:
    """The small real NuWro ROOT file (500 events), or skip."""
    return _need(SHARED / "fixtures" / "nuwro_numu_C12_small.root")


@pytest.fixture
def nuwro_data_dir() -> Path:
    """``shared/data/nuwro`` with the real NuWro Parquet samples, or skip."""
    return _need(SHARED / "data" / "nuwro")
