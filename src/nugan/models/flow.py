"""Conditional normalising flow for p(E_mu, cos_theta | E_nu): exact likelihoods and one-pass sampling.

The flow lives in the same network space as the GAN (:class:`~nugan.models.transforms.VariableTransform`):
u = standardised (logit of the muon energy fraction, atanh cos_theta), conditioned on the rescaled
energy e in [-1, 1]. Every sample decodes through sigmoid/tanh, so it is physical by construction.

Structure (built on zuko): ``transforms`` coupling blocks of monotonic rational-quadratic splines
(Durkan et al. 2019, arXiv:1906.04032). With two variables, block k keeps one variable and transforms the
other with spline parameters from an MLP of (kept variable, e); blocks alternate which variable they
transform. A coupling block inverts in one MLP pass (an autoregressive block on two variables needs two),
so sampling costs one conditioner evaluation per block.

Block names follow the sampling direction, as the GAN generator's do: ``block0`` acts first on the
Gaussian noise, the last block produces u. "Freezing the first block" in transfer learning therefore
freezes the block nearest the latent noise, as for the GAN generator (docs/training.md).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn
from zuko.flows.coupling import GeneralCouplingTransform
from zuko.transforms import ComposedTransform, MonotonicRQSTransform

from nugan.models.config import check_field_types, check_known_fields

__all__ = ["FlowConfig", "ConditionalFlow", "FlowSampler", "flow_block_names", "freeze_flow_blocks"]

_LOG_2PI = math.log(2.0 * math.pi)
# ReLU in place: the same values without a fresh (N, hidden) buffer per layer, whose allocation (page faults on
# every call for large N) cost about a third of the flow's sampling time; autograd is unaffected (ReLU's gradient
# needs only its output)
_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": functools.partial(nn.ReLU, inplace=True),
    "silu": nn.SiLU,
}


@dataclass(frozen=True)
class FlowConfig:
    """Architecture of the conditional spline flow.

    Attributes:
        transforms: coupling blocks (alternating which of the two variables each transforms).
        hidden: width of each conditioner MLP's hidden layers.
        hidden_layers: hidden layers per conditioner MLP.
        bins: spline bins per transform.
        bound: the splines act on [-bound, bound] (identity outside; u is standardised).
        energy_features: the conditioner sees e, e^2, ..., e^n (n = energy_features) of the rescaled energy
            e in [-1, 1]; polynomial features help the small MLPs follow fast changes with E_nu.
        activation: 'relu' (fastest on CPU) or 'silu' (smooth) in the conditioner MLPs.
    """

    transforms: int = 6
    hidden: int = 128
    hidden_layers: int = 2
    bins: int = 16
    bound: float = 5.0
    energy_features: int = 3
    activation: str = "relu"

    def __post_init__(self) -> None:
        check_field_types(self, "flow config")
        for name in ("transforms", "hidden", "hidden_layers", "energy_features"):
            if getattr(self, name) < 1:
                raise ValueError(f"flow config field {name} must be an integer >= 1, got {getattr(self, name)!r}")
        if self.bins < 2:
            raise ValueError(f"flow config field bins must be an integer >= 2, got {self.bins!r}")
        if not 0 < self.bound <= 50:
            raise ValueError(f"flow config field bound must be a number in (0, 50], got {self.bound!r}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"flow config field activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}"
            )
        if self.transforms * self.hidden * self.hidden > 5e8:
            raise ValueError(f"flow config too large ({self.transforms} x {self.hidden}^2 weights)")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FlowConfig:
        check_known_fields(cls, d, "flow config")
        return cls(**d)


def _energy_features(e: torch.Tensor, n: int) -> torch.Tensor:
    """(N, 1) rescaled energy -> (N, n) powers e, e^2, ..., e^n."""
    return torch.cat([e ** (k + 1) for k in range(n)], dim=1) if n > 1 else e


class ConditionalFlow(nn.Module):
    """Spline coupling flow over the two network variables u, conditioned on e (rescaled E_nu).

    ``forward(u, e)`` (and :meth:`log_prob`) returns log p(u | e) per event, the training objective;
    :meth:`sample_from_noise` maps standard-normal noise z (N, 2) to u.
    """

    #: Dimension of the noise a sample is drawn from (the GAN generator's ``latent_dim`` counterpart).
    latent_dim = 2

    def __init__(self, cfg: FlowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        shapes = ((cfg.bins,), (cfg.bins,), (cfg.bins - 1,))
        blocks = {}
        for k in range(cfg.transforms):
            # block k (sampling order) transforms variable k % 2 given the other one
            mask = torch.tensor([k % 2 == 1, k % 2 == 0])  # True: kept (conditioning) variable
            blocks[f"block{k}"] = GeneralCouplingTransform(
                2,
                cfg.energy_features,
                mask=mask,
                univariate=self._spline,
                shapes=shapes,
                hidden_features=[cfg.hidden] * cfg.hidden_layers,
                activation=_ACTIVATIONS[cfg.activation],
            )
        self.blocks = nn.ModuleDict(blocks)

    def _spline(self, widths: torch.Tensor, heights: torch.Tensor, derivatives: torch.Tensor) -> MonotonicRQSTransform:
        return MonotonicRQSTransform(widths, heights, derivatives, bound=self.cfg.bound)

    def _density_transform(self, e: torch.Tensor) -> ComposedTransform:
        """u -> z given e: the blocks in reverse sampling order."""
        c = _energy_features(e, self.cfg.energy_features)
        return ComposedTransform(*(self.blocks[f"block{k}"](c) for k in reversed(range(len(self.blocks)))))

    def log_prob(self, u: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """log p(u | e) per event [nats], for u (N, 2) and e (N, 1)."""
        z, ladj = self._density_transform(e).call_and_ladj(u)
        return -0.5 * (z.square().sum(dim=1) + 2 * _LOG_2PI) + ladj

    def forward(self, u: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return self.log_prob(u, e)

    def sample_from_noise(self, z: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """Standard-normal noise z (N, 2) -> u (N, 2) given e (N, 1).

        The inverse of :meth:`_density_transform`, computed with the same operations as zuko's
        (``tests/test_flow.py`` checks it is bitwise equal) but without building transform objects, padding
        the parameters of the kept variable or merging tensors: about 1.25x faster on CPU.
        """
        c = _energy_features(e, self.cfg.energy_features)
        x = z.clone()
        k_bins = self.cfg.bins
        for k in range(len(self.blocks)):
            keep, move = (1, 0) if k % 2 == 0 else (0, 1)  # block k transforms variable k % 2
            hyper = cast(nn.Module, self.blocks[f"block{k}"].hyper)  # the coupling block's conditioner MLP
            phi = hyper(torch.cat([x[:, keep : keep + 1], c], dim=1))
            x[:, move] = rqs_inverse(
                x[:, move], phi[:, :k_bins], phi[:, k_bins : 2 * k_bins], phi[:, 2 * k_bins :], self.cfg.bound
            )
        return x


def rqs_inverse(
    y: torch.Tensor,
    widths: torch.Tensor,
    heights: torch.Tensor,
    derivatives: torch.Tensor,
    bound: float,
    slope: float = 1e-3,
) -> torch.Tensor:
    """``zuko.transforms.MonotonicRQSTransform(widths, heights, derivatives, bound, slope).inv(y)`` for y (N,) and
    unconstrained parameters (N, K), (N, K), (N, K - 1); the same operations in the same order."""
    log_slope = math.log(slope)
    w = widths / (1 + abs(2 * widths / log_slope))
    h = heights / (1 + abs(2 * heights / log_slope))
    d = derivatives / (1 + abs(derivatives / log_slope))
    w = F.pad(F.softmax(w, dim=-1), (1, 0), value=0)
    h = F.pad(F.softmax(h, dim=-1), (1, 0), value=0)
    d = F.pad(d, (1, 1), value=0)
    horizontal = bound * (2 * torch.cumsum(w, dim=-1) - 1)
    vertical = bound * (2 * torch.cumsum(h, dim=-1) - 1)
    slopes = torch.exp(d)
    bins = w.shape[-1] - 1
    k = torch.sum(vertical < y[:, None], dim=-1) - 1
    inside = torch.logical_and(k >= 0, k < bins)
    k = k % bins
    kk = torch.stack((k, k + 1), dim=1)
    x0, x1 = horizontal.gather(1, kk).unbind(1)
    y0, y1 = vertical.gather(1, kk).unbind(1)
    d0, d1 = slopes.gather(1, kk).unbind(1)
    s = (y1 - y0) / (x1 - x0)
    y_ = inside * (y - y0)
    a = (y1 - y0) * (s - d0) + y_ * (d0 + d1 - 2 * s)
    b = (y1 - y0) * d0 - y_ * (d0 + d1 - 2 * s)
    c = -s * y_
    z = 2 * c / (-b - (b**2 - 4 * a * c).sqrt())
    return torch.where(inside, x0 + z * (x1 - x0), y)


class FlowSampler(nn.Module):
    """The flow seen as a generator: ``forward(z, e) -> u`` with ``latent_dim`` 2, so that the seeded,
    block-streamed sampling of :func:`nugan.models.sampler.sample_muon` serves both model families."""

    latent_dim = 2

    def __init__(self, flow: ConditionalFlow) -> None:
        super().__init__()
        self.flow = flow

    def forward(self, z: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return self.flow.sample_from_noise(z, e)


def flow_block_names(flow: ConditionalFlow) -> list[str]:
    """Block names in sampling order (``block0`` acts on the noise)."""
    return list(flow.blocks.keys())


def freeze_flow_blocks(flow: ConditionalFlow, spec: int | list[str]) -> list[str]:
    """Freeze the first ``spec`` blocks in sampling order (int) or the named blocks; returns their names.

    Raises:
        ValueError: unknown block names, or a count that would freeze every block (nothing left to train).
    """
    names = flow_block_names(flow)
    if isinstance(spec, int):
        if spec < 0 or spec >= len(names):
            raise ValueError(
                f"cannot freeze {spec} of the flow's {len(names)} blocks: at least one block must "
                f"stay trainable (use 0..{len(names) - 1})"
            )
        chosen = names[:spec]
    else:
        chosen = list(spec)
        unknown = [n for n in chosen if n not in names]
        if unknown:
            raise ValueError(f"no block(s) {unknown} in the flow; blocks: {names}")
        if len(set(chosen)) == len(names):
            raise ValueError("freezing every block of the flow leaves nothing to train")
    for n in chosen:
        for p in flow.blocks[n].parameters():
            p.requires_grad_(False)
    return chosen
