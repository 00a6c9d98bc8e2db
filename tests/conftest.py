"""Shared test fixtures: paths to ``../shared`` material (tests skip cleanly when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NUGAN_SHARED", REPO.parent / "shared"))

os.environ.setdefault("OMP_NUM_THREADS", "2")

#: A tiny TOML run config (small networks, 20 steps) for end-to-end command tests.
TINY = """\
[gan]
latent_dim = 8
gen_width = 16
gen_blocks = 2
disc_width = 16
disc_blocks = 2
disc_muon_blocks = 1

[train]
steps = 20
batch_size = 64
val_every = 10
val_fraction = 0.2
seed = 3
threads = 1
"""


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


def make_toy_events(n: int, seed: int = 0, target: str = "C12"):
    """A physical toy sample (no simulator needed): E_nu log-uniform 0.3-10 GeV, QE-like ridge + spread."""
    import numpy as np

    from nugan.constants import M_MU, target_za
    from nugan.events import EventTable, SampleMeta

    rng = np.random.default_rng(seed)
    E = np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    f = rng.beta(5.0, 2.0, n)
    E_mu = M_MU + f * (E - M_MU)
    cos = np.tanh(rng.normal(1.0 + 0.3 * np.log(E), 0.6, n))
    Z, A = target_za(target)
    meta = SampleMeta(14, Z, A, model="toy", source="test", seed=seed, energy_range=(0.3, 10.0))
    return EventTable(E, E_mu, cos, meta=meta)


@pytest.fixture
def toy_events():
    """Factory fixture: ``toy_events(n, seed=0, target='C12')``."""
    return make_toy_events
