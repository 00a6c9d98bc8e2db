"""A GAN ready to sample on CPU with the NumPy engine (no torch import): :class:`NumpyGanModel`.

Same interface as :class:`nugan.generation.api.NuganModel` for sampling and generation (both derive from
:class:`~nugan.generation.model_base.SamplingModel`); the same seed gives the same latents as the torch engine
on CPU, and events that agree to float32 rounding (docs/generation.md).
"""

from __future__ import annotations

import os

import numpy as np

from nugan.generation.model_base import SamplingModel
from nugan.models.description import Description
from nugan.models.numpy_engine import NumpyBundle, default_threads, load_numpy_model, sample_muon_numpy

__all__ = ["NumpyGanModel"]


class NumpyGanModel(SamplingModel):
    """A GAN checkpoint sampled with NumPy on CPU.

    Args:
        bundle: the generator, transform and JSON description (:func:`~nugan.models.numpy_engine.load_numpy_model`).
        threads: worker threads over latent blocks (0: ``OMP_NUM_THREADS`` if set, else every core this process
            may use); the events do not depend on it.
    """

    engine = "numpy"

    def __init__(self, bundle: NumpyBundle, threads: int = 0) -> None:
        if threads < 0:
            raise ValueError(f"threads must be >= 0, got {threads}")
        self.bundle: NumpyBundle = bundle
        self.device = "cpu"
        self.threads = threads or default_threads()

    @classmethod
    def load(cls, spec: str | os.PathLike[str] | Description, threads: int = 0) -> NumpyGanModel:
        """Load a GAN checkpoint (run directory, ``model.json``/``.safetensors`` or shipped name)."""
        return cls(load_numpy_model(spec), threads)

    def sample_muon(
        self, E: np.ndarray, seed: int, batch_size: int | None, offset: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(E_mu, cos_theta) for the checked energies ``E`` (``batch_size`` is a torch-engine knob: unused)."""
        return sample_muon_numpy(self.bundle, E, seed, offset=offset, threads=self.threads)
