"""Physics features the discriminator may see besides the two muon variables (a nugan choice, beyond the paper).

A small dense network resolves a narrow ridge in (E_mu, cos_theta) poorly: the Delta(1232) is a curved band
whose position moves with E_nu. Given W^2 and Q^2 as inputs, the discriminator sees the QE and Delta peaks
as straight lines and the generator gets gradients that sharpen them. The features are exact, differentiable
functions of the network variables (through the model's :class:`VariableTransform`), so they add no
information the generator could not reach; they only change what the discriminator finds easy to see.

Features (fixed offsets and scales in GeV units; LayerNorm after the first dense layer does the rest):
    W2: asinh((W^2 - 1.4 GeV^2) / 0.5 GeV^2), W^2 = M^2 + 2 M omega - Q^2 (nucleon at rest, M = 0.9389 GeV):
        about linear between the QE (W^2 = 0.88) and Delta (1.52) peaks, logarithmic far from them
    Q2: log(1 + Q^2 / 0.2 GeV^2)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nugan.constants import M_MU, M_NUCLEON
from nugan.models.config import DISC_FEATURES
from nugan.models.transforms import VariableTransform

__all__ = ["DISC_FEATURES", "MuonFeatures"]


class MuonFeatures(nn.Module):
    """(u, e) in network space -> the named physics features, shape (N, len(names)).

    No parameters and no buffers: the transform constants are plain floats, so checkpoints do not change.
    """

    def __init__(self, names: tuple[str, ...], transform: VariableTransform) -> None:
        super().__init__()
        unknown = [n for n in names if n not in DISC_FEATURES]
        if unknown:
            raise ValueError(f"unknown discriminator feature(s) {unknown}; known: {list(DISC_FEATURES)}")
        self.names = tuple(names)
        self.l0, self.l1 = math.log(transform.e_min), math.log(transform.e_max)
        self.mean, self.std = tuple(transform.mean), tuple(transform.std)

    def forward(self, u: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        E_nu = torch.exp(self.l0 + 0.5 * (e[:, 0] + 1.0) * (self.l1 - self.l0))
        f = torch.sigmoid(u[:, 0] * self.std[0] + self.mean[0])
        cos = torch.tanh(u[:, 1] * self.std[1] + self.mean[1])
        E_mu = M_MU + f * (E_nu - M_MU)
        p_mu = torch.sqrt(torch.clamp(E_mu * E_mu - M_MU * M_MU, min=0.0))
        Q2 = 2.0 * E_nu * (E_mu - p_mu * cos) - M_MU * M_MU
        W2 = M_NUCLEON**2 + 2.0 * M_NUCLEON * (E_nu - E_mu) - Q2
        cols = {"W2": torch.asinh((W2 - 1.4) / 0.5), "Q2": torch.log1p(torch.clamp(Q2, min=0.0) / 0.2)}
        return torch.stack([cols[n] for n in self.names], dim=1)
