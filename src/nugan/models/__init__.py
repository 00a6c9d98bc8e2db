"""The conditional GAN: configuration, networks, variable transforms and losses."""

from __future__ import annotations

from nugan.models.config import GANConfig
from nugan.models.losses import GENERATOR_LOSSES, discriminator_loss, generator_loss
from nugan.models.networks import Discriminator, Generator, block_names, freeze_blocks
from nugan.models.transforms import VariableTransform

__all__ = [
    "GANConfig",
    "Generator",
    "Discriminator",
    "VariableTransform",
    "freeze_blocks",
    "block_names",
    "generator_loss",
    "discriminator_loss",
    "GENERATOR_LOSSES",
]
