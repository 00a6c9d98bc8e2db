"""nugan: fast, trainable neutrino-nucleus event generators (conditional GANs with transfer learning)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(path: str, device: str | None = None, engine: str = "torch"):
    """Load a trained nugan model (checkpoint directory, file or shipped name) for sampling.

    ``nugan.load(CKPT).sample(E_nu, seed=...)`` returns an :class:`nugan.events.EventTable`.
    ``engine``: 'torch' (default: a :class:`~nugan.generation.api.NuganModel`, GANs and flows, any device),
    'numpy' (a GAN on CPU without importing torch: :class:`~nugan.generation.numpy_model.NumpyGanModel`) or
    'auto' (NumPy for a GAN on CPU, else torch) or 'compile' (torch with a GAN's network compiled by
    ``torch.compile``: faster for long samples after a few seconds of compilation). On CPU the engines give the
    same events to ~1e-5.
    """
    if engine == "torch":
        from nugan.generation.api import load_generator

        return load_generator(path, device=device)
    from nugan.generation.engines import load_for_generation

    return load_for_generation(path, engine=engine, device=device)[0]
