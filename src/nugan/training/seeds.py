"""Named seed streams of a training run.

Every random draw of a run derives from ``TrainConfig.seed`` through one of the functions below, each with its own
offset, so that no two streams share a seed by accident and every offset has a name. The offsets are primes (17,
101, 7919 = the 1000th, 104729 = the 10000th) that keep the streams apart for any small seed.

Changing a value changes every model trained with it: the shipped models were trained with these.
"""

from __future__ import annotations

__all__ = [
    "INIT",
    "SPLIT",
    "TORCH_SCALE",
    "TORCH",
    "VALIDATION",
    "NOISE_STRIDE",
    "RESUME_STRIDE",
    "BALANCED_DRAW",
    "init_seed",
    "split_seed",
    "torch_seed",
    "resume_seed",
    "validation_seed",
    "noise_seed",
    "epoch_stream",
]

#: Network initialisation: torch's global RNG seeded with the run's seed itself.
INIT = 0
#: Train/validation split of the data (:func:`nugan.training.runs.split_train_val`).
SPLIT = 101
#: torch's global RNG while training (latents, dropout, instance noise), per rank:
#: ``seed * TORCH_SCALE + TORCH + rank``.
TORCH_SCALE = 1000
TORCH = 17
#: Generator seed of the validation sample (the same at every validation, so that validations compare).
VALIDATION = 7919
#: Seeds of the validation-noise measurement: ``validation seed + NOISE_STRIDE * j`` for j = 1 .. n.
NOISE_STRIDE = 104_729
#: A rank whose RNG state was not saved (a DDP state written before per-rank states) restarts from
#: ``torch_seed(seed, rank) + RESUME_STRIDE * step``.
RESUME_STRIDE = 7919
#: Third entry of the numpy seed sequence of an energy-balanced epoch draw (a plain epoch has two).
BALANCED_DRAW = 1


def init_seed(seed: int) -> int:
    """Seed of torch's global RNG for network initialisation."""
    return seed + INIT


def split_seed(seed: int) -> int:
    """Seed of the train/validation split."""
    return seed + SPLIT


def torch_seed(seed: int, rank: int = 0) -> int:
    """Seed of torch's global RNG on ``rank`` at the start of training."""
    return seed * TORCH_SCALE + TORCH + rank


def resume_seed(seed: int, rank: int, step: int) -> int:
    """Seed of torch's global RNG on ``rank`` resumed at ``step`` without a saved state of its own."""
    return torch_seed(seed, rank) + RESUME_STRIDE * step


def validation_seed(seed: int) -> int:
    """Generator seed of the validation sample."""
    return seed + VALIDATION


def noise_seed(val_seed: int, j: int) -> int:
    """Generator seed of the j-th (j >= 1) extra validation sample of the noise measurement."""
    return val_seed + NOISE_STRIDE * j


def epoch_stream(seed: int, epoch: int, balanced: bool = False) -> list[int]:
    """numpy seed sequence of the row order of ``epoch`` (a permutation, or a weighted draw when ``balanced``)."""
    return [seed, epoch, BALANCED_DRAW] if balanced else [seed, epoch]
