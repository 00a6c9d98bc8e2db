"""The NumPy latent streams shared by the CPU engines (nugan.models.latents)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from nugan.models.latents import LATENT_BLOCK, latent_block, latent_seed, latents


def test_latents_are_standard_normal() -> None:
    z = latent_block(3, 0, LATENT_BLOCK, 50).ravel()
    assert z.dtype == np.float32
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(float(np.mean(z))) < 0.005 and abs(float(np.std(z)) - 1.0) < 0.005
    assert np.isfinite(z).all()


def test_short_draw_is_prefix_of_long_and_blocks_differ() -> None:
    full = latent_block(7, 2, LATENT_BLOCK, 50)
    assert np.array_equal(latent_block(7, 2, 11, 50), full[:11])
    assert np.array_equal(latent_block(7, 2, 1, 3), latent_block(7, 2, 4, 3)[:1])  # odd count: a half pair
    assert not np.array_equal(latent_block(7, 3, 11, 50), full[:11])
    assert not np.array_equal(latent_block(8, 2, 11, 50), full[:11])


def test_latents_span_blocks_consistently() -> None:
    n = LATENT_BLOCK + 100
    z = latents(5, 4, n, 6)
    assert np.array_equal(z[:LATENT_BLOCK], latent_block(5, 4, LATENT_BLOCK, 6))
    assert np.array_equal(z[LATENT_BLOCK:], latent_block(5, 5, 100, 6))


@pytest.mark.parametrize("bad", [dict(seed=-1), dict(block=-1), dict(rows=0), dict(rows=LATENT_BLOCK + 1)])
def test_latent_arguments_are_checked(bad: dict[str, int]) -> None:
    args = dict(seed=1, block=0, rows=10, dim=4) | bad
    with pytest.raises(ValueError):
        latent_block(**args)


def test_latent_seed_distinct_per_block() -> None:
    assert latent_seed(5, 0) != latent_seed(5, 1) != latent_seed(6, 1)


def test_latents_need_no_torch() -> None:
    code = "import sys, nugan.models.latents, nugan.generation.generate; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
