"""Generator and discriminator of the conditional GAN, built from named blocks.

Block names are stable ("block0", "block1", ...) in both networks so that freezing "the first block"
is ``freeze_blocks(net, 1)``. In the discriminator, "block0".. are the muon-variable blocks that run
before E_nu joins; the generator's "block0" takes (z, E_nu).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from nugan.models.config import GANConfig
from nugan.models.features import MuonFeatures
from nugan.models.transforms import VariableTransform

__all__ = [
    "GaussianNoise",
    "DenseBlock",
    "Generator",
    "Discriminator",
    "freeze_blocks",
    "block_names",
    "with_disc_features",
    "with_latent_categories",
    "latent_codes",
]


class GaussianNoise(nn.Module):
    """Adds N(0, std^2) noise in training mode; identity in eval mode."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            return x + self.std * torch.randn_like(x)
        return x


class DenseBlock(nn.Module):
    """Dense -> LayerNorm -> ReLU/PReLU -> Dropout -> Gaussian noise, residual skip if widths agree.

    Args:
        n_in: input features (including an injected E_nu column if any).
        n_out: output features.
        residual_width: width of the residual input (the block input without E_nu), or 0 for none.
    """

    def __init__(
        self, n_in: int, n_out: int, activation: str, dropout: float, noise_std: float, residual: bool
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = nn.LayerNorm(n_out)
        self.act = nn.PReLU(n_out) if activation == "prelu" else nn.ReLU()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.noise = GaussianNoise(noise_std)
        self.residual = residual

    def forward(self, h: torch.Tensor, e: torch.Tensor | None = None) -> torch.Tensor:
        x = h if e is None else torch.cat([h, e], dim=1)
        out = self.noise(self.drop(self.act(self.norm(self.linear(x)))))
        return out + h if self.residual else out


def latent_codes(z: torch.Tensor, k: int) -> torch.Tensor:
    """One-hot codes of K equally likely categories from the first (standard-normal) latent component."""
    idx = (torch.special.ndtr(z[:, 0]) * k).long().clamp_(0, k - 1)
    return nn.functional.one_hot(idx, k).to(z.dtype)


class Generator(nn.Module):
    """G(z, e) -> two standardised muon variables. ``e`` is E_nu rescaled to [-1, 1], shape (N, 1).

    With ``cfg.latent_categories = K`` the first block sees [z, one-hot code of z_0 (K), e].
    """

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        w = cfg.gen_width
        n_in = cfg.latent_dim + cfg.latent_categories + 1
        blocks = [DenseBlock(n_in, w, cfg.activation, cfg.gen_dropout, cfg.noise_std, False)]
        for _ in range(1, cfg.gen_blocks):
            blocks.append(DenseBlock(w + 1, w, cfg.activation, cfg.gen_dropout, cfg.noise_std, cfg.skip))
        self.blocks = nn.ModuleDict({f"block{i}": b for i, b in enumerate(blocks)})
        self.head = nn.Linear(w, 2)
        self.latent_dim = cfg.latent_dim
        self.latent_categories = cfg.latent_categories

    def forward(self, z: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        parts = [z, latent_codes(z, self.latent_categories), e] if self.latent_categories else [z, e]
        h = self.blocks["block0"](torch.cat(parts, dim=1))
        for i in range(1, len(self.blocks)):
            h = self.blocks[f"block{i}"](h, e)
        return self.head(h)


class Discriminator(nn.Module):
    """D(u, e) -> logit that (u, e) is a real event; sigmoid(logit) is the paper's D output.

    With ``cfg.disc_features`` the first block also sees those physics features of (u, e), computed through
    ``transform`` (required then).
    """

    def __init__(self, cfg: GANConfig, transform: VariableTransform | None = None) -> None:
        super().__init__()
        w = cfg.disc_width
        a, p, s = cfg.activation, cfg.disc_dropout, cfg.noise_std
        self.features: MuonFeatures | None = None
        if cfg.disc_features:
            if transform is None:
                raise ValueError("a discriminator with physics features needs the model's variable transform")
            self.features = MuonFeatures(cfg.disc_features, transform)
        blocks: list[DenseBlock] = [DenseBlock(2 + len(cfg.disc_features), w, a, p, s, False)]
        for _ in range(1, cfg.disc_muon_blocks):
            blocks.append(DenseBlock(w, w, a, p, s, cfg.skip))
        self.n_muon = cfg.disc_muon_blocks
        for _ in range(cfg.disc_blocks):
            blocks.append(DenseBlock(w + 1, w, a, p, s, cfg.skip))
        self.blocks = nn.ModuleDict({f"block{i}": b for i, b in enumerate(blocks)})
        self.head = nn.Linear(w, 1)

    def forward(self, u: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = u if self.features is None else torch.cat([u, self.features(u, e)], dim=1)
        for i in range(len(self.blocks)):
            h = self.blocks[f"block{i}"](h, None if i < self.n_muon else e)
        return self.head(h).squeeze(1)


def _zero_input_columns(state: dict[str, torch.Tensor], at: int | None, n: int) -> dict[str, torch.Tensor]:
    """``state`` with ``n`` zero input columns inserted in block0's linear weight before column ``at``
    (None: appended), so the widened network computes the same function."""
    key = "blocks.block0.linear.weight"
    w = state[key]
    cut = w.shape[1] if at is None else at % w.shape[1]
    state[key] = torch.cat([w[:, :cut], w.new_zeros(w.shape[0], n), w[:, cut:]], dim=1)
    return state


def with_disc_features(
    disc: Discriminator, cfg: GANConfig, transform: VariableTransform, names: tuple[str, ...]
) -> tuple[Discriminator, GANConfig]:
    """A copy of a trained discriminator that also sees the physics features ``names``.

    The first dense layer gets zero-initialised input columns for the new features, so the copy computes
    exactly the same function until training moves those weights. Returns (discriminator, its config).
    """
    if cfg.disc_features:
        raise ValueError(f"the discriminator already has features {list(cfg.disc_features)}")
    new_cfg = dataclasses.replace(cfg, disc_features=tuple(names))
    new = Discriminator(new_cfg, transform)
    new.load_state_dict(_zero_input_columns(disc.state_dict(), at=None, n=len(names)))
    return new, new_cfg


def with_latent_categories(gen: Generator, cfg: GANConfig, k: int) -> tuple[Generator, GANConfig]:
    """A copy of a trained generator whose first block also sees a K-category latent code.

    The code's input columns (between z and E_nu) start at zero, so the copy computes exactly the same
    function until training moves them. Returns (generator, its config).
    """
    if cfg.latent_categories:
        raise ValueError(f"the generator already has {cfg.latent_categories} latent categories")
    new_cfg = dataclasses.replace(cfg, latent_categories=int(k))
    new = Generator(new_cfg)
    new.load_state_dict(_zero_input_columns(gen.state_dict(), at=-1, n=int(k)))  # between z and E_nu
    return new, new_cfg


def block_names(net: nn.Module) -> list[str]:
    """Names of a network's blocks in forward order."""
    blocks = net.get_submodule("blocks")
    if not isinstance(blocks, nn.ModuleDict):
        raise TypeError(f"{type(net).__name__} has no ModuleDict of blocks")
    return list(blocks.keys())


def freeze_blocks(net: nn.Module, spec: int | list[str]) -> list[str]:
    """Freeze the first ``spec`` blocks (int) or the named blocks; returns the frozen names.

    Frozen parameters get ``requires_grad = False``; optimisers must be built from
    ``[p for p in net.parameters() if p.requires_grad]`` (done by the training code).
    Frozen blocks are also put in eval mode (no dropout/noise) by :func:`nugan.training` loops.
    """
    names = block_names(net)
    if isinstance(spec, int) and not 0 <= spec <= len(names):
        raise ValueError(
            f"cannot freeze {spec} blocks: the {type(net).__name__} has only {len(names)} "
            f"({', '.join(names)}); freeze 0-{len(names)} leading blocks"
        )
    chosen = names[:spec] if isinstance(spec, int) else list(spec)
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise ValueError(f"no block(s) {unknown} in {type(net).__name__}; blocks: {names}")
    for n in chosen:
        for p in net.get_submodule(f"blocks.{n}").parameters():
            p.requires_grad_(False)
    return chosen
