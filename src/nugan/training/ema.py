"""Exponential moving average (EMA) of a network's weights: what the training loops validate and save."""

from __future__ import annotations

import copy
from typing import Any, Generic, TypeVar

import torch
from torch import nn

__all__ = ["EMA"]

M = TypeVar("M", bound=nn.Module)


class EMA(Generic[M]):
    """A copy of ``net`` whose parameters follow ``ema <- d ema + (1 - d) net`` after every step, with the warm-up
    ``d = min(decay, (1 + step) / (10 + step))`` (step counted from 0). ``decay`` 0 switches it off: ``module``
    is then ``net`` itself. The copy is in eval mode and needs no gradients; buffers are not averaged."""

    def __init__(self, net: M, decay: float) -> None:
        self.decay = decay
        self.module: M = copy.deepcopy(net).eval() if decay > 0 else net
        for p in self.module.parameters() if decay > 0 else ():
            p.requires_grad_(False)

    @property
    def enabled(self) -> bool:
        return self.decay > 0

    def rate(self, step: int) -> float:
        """Decay d applied after step ``step`` (0-based)."""
        return min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, net: nn.Module, step: int) -> None:
        """Average in ``net``'s parameters after step ``step`` (frozen ones stay bitwise equal)."""
        if not self.enabled:
            return
        d = self.rate(step)
        for pe, p in zip(self.module.parameters(), net.parameters(), strict=True):
            pe.lerp_(p, 1.0 - d)

    def state_dict(self) -> dict[str, Any]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the average (nothing to do when switched off: the module is the network)."""
        if self.enabled:
            self.module.load_state_dict(state)
