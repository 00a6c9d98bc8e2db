"""Networks, transforms and losses of the conditional GAN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nugan.constants import M_MU
from nugan.models import (
    Discriminator,
    GANConfig,
    Generator,
    VariableTransform,
    block_names,
    discriminator_loss,
    freeze_blocks,
    generator_loss,
)


def test_shapes_and_block_names() -> None:
    cfg = GANConfig(latent_dim=50, gen_blocks=3, disc_blocks=5, disc_muon_blocks=1)
    G, D = Generator(cfg), Discriminator(cfg)
    z, e = torch.randn(7, 50), torch.rand(7, 1) * 2 - 1
    assert G(z, e).shape == (7, 2)
    assert D(G(z, e), e).shape == (7,)
    assert block_names(G) == ["block0", "block1", "block2"]
    assert len(block_names(D)) == 6  # about twice as deep as the generator


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="activation"):
        GANConfig(activation="tanh")
    with pytest.raises(ValueError, match="unknown GAN config"):
        GANConfig.from_dict({"width": 3})


def test_transform_round_trip_and_physical_output(toy_events) -> None:
    t = toy_events(2000)
    tr = VariableTransform.fit(t.E_nu, t.E_mu, t.cos_theta, (0.3, 10.0))
    u = tr.encode_muon(t.E_nu, t.E_mu, t.cos_theta)
    assert np.allclose(u.mean(0), 0, atol=1e-6) and np.allclose(u.std(0), 1, atol=1e-3)
    E_mu, cos = tr.decode_muon(t.E_nu, u)
    np.testing.assert_allclose(E_mu, t.E_mu, rtol=1e-6)
    np.testing.assert_allclose(cos, t.cos_theta, atol=1e-6)
    # arbitrary network outputs, even extreme ones, decode to physical events
    wild = np.random.default_rng(1).normal(0, 50, (2000, 2))
    E_mu, cos = tr.decode_muon(t.E_nu, wild)
    assert np.all(E_mu >= M_MU) and np.all(E_mu <= t.E_nu) and np.all(np.abs(cos) <= 1)
    e = tr.encode_energy(np.array([0.3, 10.0, np.sqrt(3.0)]))
    np.testing.assert_allclose(e, [-1, 1, 0], atol=1e-12)


def test_freeze_blocks() -> None:
    G = Generator(GANConfig())
    assert freeze_blocks(G, 1) == ["block0"]
    assert all(not p.requires_grad for p in G.blocks["block0"].parameters())
    assert all(p.requires_grad for p in G.blocks["block1"].parameters())
    with pytest.raises(ValueError, match="no block"):
        freeze_blocks(G, ["block9"])


def test_losses() -> None:
    logits = torch.tensor([-2.0, 0.0, 3.0])
    # L_HCE = mean[log(1-D) - log D] = mean(-logit)
    assert torch.isclose(generator_loss(logits, "hce"), -logits.mean())
    d = torch.sigmoid(logits)
    assert torch.isclose(generator_loss(logits, "heuristic"), -torch.log(d).mean())
    assert torch.isclose(generator_loss(logits, "minimax"), torch.log(1 - d).mean())
    assert torch.isclose(discriminator_loss(torch.zeros(4), torch.zeros(4)), torch.log(torch.tensor(2.0)))
    with pytest.raises(ValueError, match="unknown generator loss"):
        generator_loss(logits, "wasserstein")
