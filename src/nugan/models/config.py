"""Typed configuration of the conditional GAN (loadable from TOML/YAML)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["GANConfig"]


@dataclass(frozen=True)
class GANConfig:
    """Architecture of generator and discriminator (arXiv:2508.12987 blocks).

    A block is Dense -> LayerNorm -> activation -> Dropout -> Gaussian noise (training only), with a
    residual skip when input and output widths agree. E_nu (rescaled to [-1, 1]) is concatenated to the
    input of every block after the first ("E_nu injection").

    Attributes:
        latent_dim: dimension of the standard-normal latent vector (paper: 50).
        gen_width, gen_blocks: generator block width and number of blocks (first block takes z and E_nu).
        disc_width, disc_blocks: discriminator width and number of blocks after joining E_nu.
        disc_muon_blocks: blocks the two muon variables pass through before joining E_nu.
        activation: 'relu' or 'prelu'.
        gen_dropout, disc_dropout: dropout probabilities.
        noise_std: std of the Gaussian noise added after each learnable layer while training.
        skip: residual connections where widths agree.
        disc_features: physics features the discriminator sees next to the muon variables ('W2', 'Q2';
            see :mod:`nugan.models.features`; empty: the paper's discriminator).
        latent_categories: K > 0 gives the generator's first block a one-hot code of K equally likely
            categories, read off the first latent component (``floor(K * Phi(z_0))``), next to z. A
            discontinuous input lets the generator leave gaps between modes (the dip between the QE and
            Delta peaks) without steep slopes in z; 0: the paper's generator.
    """

    latent_dim: int = 50
    gen_width: int = 96
    gen_blocks: int = 3
    disc_width: int = 96
    disc_blocks: int = 5
    disc_muon_blocks: int = 1
    activation: str = "prelu"
    gen_dropout: float = 0.0
    disc_dropout: float = 0.1
    noise_std: float = 0.02
    skip: bool = True
    disc_features: tuple[str, ...] = ()
    latent_categories: int = 0

    def __post_init__(self) -> None:
        from nugan.models.features import DISC_FEATURES

        object.__setattr__(self, "disc_features", tuple(self.disc_features))
        unknown = [n for n in self.disc_features if n not in DISC_FEATURES]
        if unknown or len(set(self.disc_features)) != len(self.disc_features):
            raise ValueError(f"disc_features must be distinct names from {list(DISC_FEATURES)}, "
                             f"got {list(self.disc_features)}")
        if self.activation not in ("relu", "prelu"):
            raise ValueError(f"activation must be 'relu' or 'prelu', got {self.activation!r}")
        for name in ("latent_dim", "gen_width", "gen_blocks", "disc_width", "disc_blocks", "disc_muon_blocks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.latent_categories < 0 or self.latent_categories == 1:
            raise ValueError(f"latent_categories must be 0 (none) or >= 2, got {self.latent_categories}")
        for name in ("gen_dropout", "disc_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GANConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown GAN config field(s) {sorted(unknown)}; known: {sorted(names)}")
        return cls(**d)
