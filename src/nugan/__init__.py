"""nugan: fast, trainable neutrino-nucleus event generators (conditional GANs with transfer learning)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(path: str, device: str | None = None):
    """Load a trained nugan model (checkpoint directory, file or shipped name) for sampling.

    ``nugan.load(CKPT).sample(E_nu, seed=...)`` returns an :class:`nugan.events.EventTable`.
    """
    from nugan.generation.api import load_generator

    return load_generator(path, device=device)
