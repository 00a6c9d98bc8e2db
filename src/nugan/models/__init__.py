"""The conditional GAN: configuration, networks, variable transforms and losses.

The names are imported on first use (PEP 562), so that torch-free submodules (``nugan.models.latents``,
``nugan.models.numpy_engine``) load without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_LAZY = {
    "GANConfig": "nugan.models.config",
    "GENERATOR_LOSSES": "nugan.models.losses",
    "discriminator_loss": "nugan.models.losses",
    "generator_loss": "nugan.models.losses",
    "Discriminator": "nugan.models.networks",
    "Generator": "nugan.models.networks",
    "block_names": "nugan.models.networks",
    "freeze_blocks": "nugan.models.networks",
    "VariableTransform": "nugan.models.transforms",
}


def __getattr__(name: str) -> Any:
    """Lazy re-export (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
