"""Batch sampling of the training loop: plain epochs and E_nu-balanced draws."""

from __future__ import annotations

import numpy as np
import pytest

from nugan.training import TrainConfig
from nugan.training.loop import BatchSampler, batch_indices, energy_balance_weights


def test_plain_epochs_visit_every_row_once() -> None:
    s = BatchSampler(1000, 100, seed=4)
    rows = np.concatenate([s.indices(k) for k in range(10)])
    assert sorted(rows.tolist()) == list(range(1000))
    assert not np.array_equal(s.indices(10), s.indices(0))  # next epoch, new order
    np.testing.assert_array_equal(batch_indices(13, 1000, 100, 4), s.indices(13))


def test_energy_balance_flattens_log_energy() -> None:
    rng = np.random.default_rng(0)
    E = np.exp(rng.triangular(np.log(0.3), np.log(10.0), np.log(10.0), 200_000))  # 20x more events at 10 GeV
    assert energy_balance_weights(E, 0.0) is None
    w = energy_balance_weights(E, 1.0)
    assert w is not None and np.isclose(w.sum(), 1.0)
    s = BatchSampler(len(E), 20_000, seed=1, weights=w)
    drawn = np.log(E[np.concatenate([s.indices(k) for k in range(10)])])
    counts = np.histogram(drawn, bins=8)[0]
    assert counts.max() / counts.min() < 1.15  # flat in log E (plain: about 15x between first and last bin)
    plain = np.histogram(np.log(E), bins=8)[0]
    assert plain.max() / plain.min() > 5
    w_half = energy_balance_weights(E, 0.5)
    a, b = (BatchSampler(len(E), 20_000, seed=1, weights=w_half) for _ in range(2))
    np.testing.assert_array_equal(a.indices(3), b.indices(3))  # reproducible: a new sampler draws the same batch
    assert not np.array_equal(a.indices(3), a.indices(4))
    assert not np.array_equal(a.indices(3), BatchSampler(len(E), 20_000, seed=2, weights=w_half).indices(3))


def test_energy_balance_is_validated() -> None:
    with pytest.raises(ValueError, match="energy_balance"):
        TrainConfig(energy_balance=1.5)
