"""Typed configuration of the conditional GAN (loadable from TOML/YAML)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GANConfig",
    "check_field_types",
    "check_known_fields",
    "MAX_WIDTH",
    "MAX_BLOCKS",
    "MAX_LATENT",
    "DISC_FEATURES",
]

#: Upper bounds of the architecture (far above any useful model; a typo such as 1e9 must not allocate GBs).
MAX_WIDTH, MAX_BLOCKS, MAX_LATENT = 8192, 64, 4096
#: Physics features a discriminator may see (computed in :mod:`nugan.models.features`; named here so that the
#: configuration is checked without importing torch).
DISC_FEATURES = ("W2", "Q2")

_CHECKS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
}


def _fits(value: Any, type_name: str) -> bool:
    """Whether ``value`` fits a field annotation written as text ('int', 'int | None', 'tuple[str, ...]')."""
    if type_name.endswith(" | None"):
        return value is None or _fits(value, type_name.removesuffix(" | None"))
    if type_name in _CHECKS:
        return _CHECKS[type_name](value)
    if type_name.startswith("tuple[") and isinstance(value, (tuple, list)):
        inner = [x.strip() for x in type_name[len("tuple[") : -1].split(",")]
        if inner[-1] == "...":
            return all(_fits(v, inner[0]) for v in value)
        return len(value) == len(inner) and all(_fits(v, t) for v, t in zip(value, inner, strict=True))
    return type_name not in _CHECKS and not type_name.startswith("tuple[")


def check_field_types(obj: Any, what: str) -> None:
    """Raise ValueError naming the field when a dataclass field does not hold its declared type."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if not _fits(v, str(f.type)):
            raise ValueError(f"{what} field {f.name!r} must be {f.type}, got {v!r} ({type(v).__name__})")


def check_known_fields(cls: type, d: dict[str, Any], what: str) -> None:
    """Raise ValueError naming the keys of ``d`` that are not fields of the dataclass ``cls``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ValueError(f"unknown {what} field(s) {sorted(unknown)}; known: {sorted(names)}")


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
        check_field_types(self, "gan config")
        for name, cap in (
            ("latent_dim", MAX_LATENT),
            ("gen_width", MAX_WIDTH),
            ("disc_width", MAX_WIDTH),
            ("gen_blocks", MAX_BLOCKS),
            ("disc_blocks", MAX_BLOCKS),
            ("disc_muon_blocks", MAX_BLOCKS),
            ("latent_categories", MAX_LATENT),
        ):
            if getattr(self, name) > cap:
                raise ValueError(f"gan config field {name!r} must be <= {cap}, got {getattr(self, name)}")

        object.__setattr__(self, "disc_features", tuple(self.disc_features))
        unknown = [n for n in self.disc_features if n not in DISC_FEATURES]
        if unknown or len(set(self.disc_features)) != len(self.disc_features):
            raise ValueError(
                f"disc_features must be distinct names from {list(DISC_FEATURES)}, got {list(self.disc_features)}"
            )
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
        check_known_fields(cls, d, "GAN config")
        if isinstance(d.get("disc_features"), str):
            raise ValueError(f"gan config field 'disc_features' must be a list of names, got {d['disc_features']!r}")
        return cls(**d)
