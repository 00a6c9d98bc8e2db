"""Latent random numbers of the samplers, drawn with NumPy (no torch needed to draw them).

The latent vectors of events ``[k B, (k+1) B)`` of a sample (``B`` = :data:`LATENT_BLOCK`) form block ``k``:
standard-normal float32 numbers from ``PCG64(SeedSequence(seed, spawn_key=(1, k)))``: the Box-Muller
transform of consecutive pairs of float32 uniforms (u1, u2) -> (r cos, r sin), row-major over the block.
A block is therefore the same whichever engine (NumPy or torch) evaluates the network, however the work
is cut into network batches, and whichever block-aligned chunk of a longer sample it is drawn in; the first
``m`` rows of a block do not depend on how many rows are drawn (a short sample is a prefix of a long one).

Reproducibility: identical for the same seed on the same kind of CPU. NumPy evaluates float32 ``log``,
``cos`` and ``sin`` with SIMD code chosen for the CPU it runs on, so another instruction set may change
the last bit of some latents (and hence events at the 1e-7 level).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LATENT_BLOCK", "latent_seed", "latent_block", "latents"]

#: Events per independently seeded latent block.
LATENT_BLOCK = 16_384
_LATENT_STREAM = 1  # spawn_key prefix of the latent streams (0 is used for E_nu by the flux sampler)
_TWO_PI = np.float32(2.0 * np.pi)


def _check(seed: int, block: int) -> None:
    if seed < 0 or block < 0:
        raise ValueError(f"seed and block must be >= 0, got seed={seed}, block={block}")


def latent_seed(seed: int, block: int) -> int:
    """64-bit seed of latent block ``block`` of a sample seeded ``seed`` (for device generators)."""
    _check(seed, block)
    ss = np.random.SeedSequence(int(seed), spawn_key=(_LATENT_STREAM, int(block)))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def latent_block(seed: int, block: int, rows: int, dim: int) -> np.ndarray:
    """(rows, dim) float32 standard normals: the first ``rows`` (<= :data:`LATENT_BLOCK`) latents of block
    ``block`` (the same values whatever ``rows``: a prefix of the whole block)."""
    _check(seed, block)
    if not 0 < rows <= LATENT_BLOCK or dim <= 0:
        raise ValueError(f"need 0 < rows <= {LATENT_BLOCK} and dim > 0, got rows={rows}, dim={dim}")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(_LATENT_STREAM, block))))
    pairs = (rows * dim + 1) // 2
    u = rng.random(2 * pairs, dtype=np.float32).reshape(pairs, 2)  # [0, 1)
    radius = np.log1p(-u[:, 0])  # 1 - u in (0, 1]: finite
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    angle = u[:, 1] * _TWO_PI
    out = np.empty((pairs, 2), dtype=np.float32)
    np.multiply(radius, np.cos(angle), out=out[:, 0])
    np.multiply(radius, np.sin(angle), out=out[:, 1])
    return out.reshape(-1)[: rows * dim].reshape(rows, dim)


def latents(seed: int, first_block: int, n: int, dim: int) -> np.ndarray:
    """(n, dim) float32 latents of ``n`` events starting at block ``first_block``."""
    parts = [
        latent_block(seed, first_block + i, min(LATENT_BLOCK, n - start), dim)
        for i, start in enumerate(range(0, n, LATENT_BLOCK))
    ]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
