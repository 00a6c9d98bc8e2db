"""GAN losses on discriminator logits (numerically stable forms).

With D = sigmoid(l): log D = logsigmoid(l), log(1 - D) = logsigmoid(-l).
- Hybrid L_HCE (generator, arXiv:2508.12987): mean[log(1 - D(G)) - log D(G)].
- Heuristic (non-saturating): mean[-log D(G)].
- Minimax: mean[log(1 - D(G))].
- Discriminator: binary cross-entropy, real -> 1, fake -> 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["generator_loss", "discriminator_loss", "GENERATOR_LOSSES"]

GENERATOR_LOSSES = ("hce", "heuristic", "minimax")


def generator_loss(fake_logits: torch.Tensor, kind: str = "hce") -> torch.Tensor:
    """Generator loss from D's logits on generated events."""
    if kind == "hce":
        return (F.logsigmoid(-fake_logits) - F.logsigmoid(fake_logits)).mean()
    if kind == "heuristic":
        return (-F.logsigmoid(fake_logits)).mean()
    if kind == "minimax":
        return F.logsigmoid(-fake_logits).mean()
    raise ValueError(f"unknown generator loss {kind!r}; choose one of {GENERATOR_LOSSES}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy: real events labelled 1, generated 0 (mean over both halves)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return 0.5 * (real + fake)
