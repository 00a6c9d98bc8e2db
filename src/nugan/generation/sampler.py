"""Backwards-compatible home of the GAN sampler; the code lives in :mod:`nugan.models.sampler`."""

from nugan.models.sampler import CPU_MAX_ROWS, LATENT_BLOCK, latent_seed, pick_device, sample_muon

__all__ = ["sample_muon", "pick_device", "latent_seed", "LATENT_BLOCK", "CPU_MAX_ROWS"]
