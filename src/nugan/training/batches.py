"""Training batches: reproducible row order per epoch (optionally E_nu-balanced) and each rank's share of a step."""

from __future__ import annotations

import functools

import numpy as np
import torch

from nugan.events.table import EventTable
from nugan.models.transforms import VariableTransform
from nugan.training.config import TrainConfig
from nugan.training.distributed import DistInfo
from nugan.training.seeds import epoch_stream

__all__ = ["BatchSampler", "TrainBatches", "batch_indices", "energy_balance_weights"]


def energy_balance_weights(E_nu: np.ndarray, alpha: float, bins: int = 40) -> np.ndarray | None:
    """Row sampling probabilities proportional to (density of log E_nu)^-alpha (None for alpha = 0).

    alpha = 1 draws every log-E_nu interval equally often (as MAP-3D weights its log-spaced E_nu bins);
    alpha = 0.5 is a square-root compromise. Only the E_nu marginal seen in training changes: real and
    generated events of a batch share their E_nu values, so the conditional p(E_mu, cos | E_nu) is unchanged.
    """
    if alpha <= 0:
        return None
    logE = np.log(np.asarray(E_nu, dtype=np.float64))
    edges = np.linspace(logE.min(), logE.max() + 1e-12, bins + 1)
    which = np.clip(np.searchsorted(edges, logE, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins).astype(np.float64)
    w = counts[which] ** -alpha
    return w / w.sum()


@functools.lru_cache(maxsize=2)
def _epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """Row order of one epoch (cached: computed once per epoch, not once per step)."""
    return np.random.default_rng(epoch_stream(seed, epoch)).permutation(n)


class BatchSampler:
    """Global batches of row indices, reproducible from (seed, step): a fresh permutation per epoch, or with
    ``weights`` a fresh weighted draw (with replacement) of n rows per epoch."""

    def __init__(self, n: int, batch: int, seed: int, weights: np.ndarray | None = None) -> None:
        self.n, self.batch, self.seed, self.weights = n, batch, seed, weights
        self._epoch, self._order = -1, np.empty(0, dtype=np.int64)

    def _epoch_rows(self, epoch: int) -> np.ndarray:
        if self.weights is None:
            return _epoch_permutation(self.n, self.seed, epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng(epoch_stream(self.seed, epoch, balanced=True))
            self._epoch, self._order = epoch, rng.choice(self.n, size=self.n, p=self.weights)
        return self._order

    def indices(self, step: int) -> np.ndarray:
        per_epoch = max(self.n // self.batch, 1)
        epoch, k = divmod(step, per_epoch)
        rows = self._epoch_rows(epoch)
        return rows[k * self.batch : (k + 1) * self.batch] if self.n >= self.batch else rows


def batch_indices(step: int, n: int, batch: int, seed: int) -> np.ndarray:
    """Global batch of row indices for ``step``: a fresh permutation per epoch, reproducible."""
    return BatchSampler(n, batch, seed).indices(step)


class TrainBatches:
    """The training sample in network variables on the device, and this rank's share of each step's global batch
    (``cfg.batch_size / world size`` rows; energy-balanced with ``cfg.energy_balance``)."""

    def __init__(
        self, train: EventTable, transform: VariableTransform, cfg: TrainConfig, dinfo: DistInfo, device: torch.device
    ) -> None:
        self.sampler = BatchSampler(
            len(train), cfg.batch_size, cfg.seed, energy_balance_weights(train.E_nu, cfg.energy_balance)
        )
        e = torch.as_tensor(transform.encode_energy(train.E_nu), dtype=torch.float32).unsqueeze(1)
        u = torch.as_tensor(transform.encode_muon(train.E_nu, train.E_mu, train.cos_theta), dtype=torch.float32)
        self.e, self.u = e.to(device), u.to(device)
        self.device = device
        self.local = cfg.batch_size // dinfo.world_size
        self.first = dinfo.rank * self.local

    def at(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(e, u) of this rank's rows of step ``step``: encoded E_nu (n, 1) and muon variables (n, 2)."""
        idx = self.sampler.indices(step)[self.first : self.first + self.local]
        idx_t = torch.as_tensor(idx, device=self.device)
        return self.e[idx_t], self.u[idx_t]
