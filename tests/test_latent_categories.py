"""The generator's optional K-category latent code and adding it to a trained generator."""

from __future__ import annotations

import pytest
import torch

from nugan.models import Discriminator, GANConfig, Generator, VariableTransform
from nugan.models.networks import latent_codes, with_latent_categories
from nugan.training.checkpoint import ModelBundle, load_model, save_model


def test_codes_are_one_hot_and_equally_likely() -> None:
    z = torch.randn(200_000, 5, generator=torch.Generator().manual_seed(0))
    c = latent_codes(z, 4)
    assert c.shape == (200_000, 4) and torch.equal(c.sum(1), torch.ones(200_000))
    torch.testing.assert_close(c.mean(0), torch.full((4,), 0.25), atol=4e-3, rtol=0)
    # the category is a monotone step function of z_0 alone, with edges at the normal quartiles
    edges = torch.tensor([[-0.68, 0.0], [-0.66, 0.0], [0.01, 0.0], [0.66, 0.0], [0.68, 0.0]])
    assert latent_codes(edges, 4).argmax(1).tolist() == [0, 1, 2, 2, 3]


def test_config_rejects_a_single_category() -> None:
    with pytest.raises(ValueError, match="latent_categories"):
        GANConfig(latent_categories=1)
    with pytest.raises(ValueError, match="latent_categories"):
        GANConfig(latent_categories=-2)
    assert GANConfig.from_dict({"latent_categories": 8}).latent_categories == 8


def test_adding_categories_keeps_the_function_and_round_trips(tmp_path) -> None:
    cfg = GANConfig(latent_dim=6, gen_width=16, disc_width=16, disc_blocks=2)
    torch.manual_seed(0)
    G = Generator(cfg).eval()
    G2, cfg2 = with_latent_categories(G, cfg, 5)
    G2.eval()
    z, e = torch.randn(300, 6), torch.rand(300, 1) * 2 - 1
    torch.testing.assert_close(G2(z, e), G(z, e))
    assert cfg2.latent_categories == 5 and G2.blocks["block0"].linear.in_features == 6 + 5 + 1
    with pytest.raises(ValueError, match="already"):
        with_latent_categories(G2, cfg2, 3)
    # once the code's weights move, outputs depend on the category: a jump across a category edge in z_0
    with torch.no_grad():
        G2.blocks["block0"].linear.weight[:, 6:11] = torch.randn(16, 5)
    a, b = torch.zeros(1, 6), torch.zeros(1, 6)
    a[0, 0], b[0, 0] = -0.2535, -0.2532  # the 0.4 quantile of N(0, 1) lies between
    jump = (G2(a, e[:1]) - G2(b, e[:1])).abs().max()
    smooth = (G(a, e[:1]) - G(b, e[:1])).abs().max()
    assert jump > 100 * smooth
    tr = VariableTransform.fit(
        torch.rand(50).numpy() + 1, torch.rand(50).numpy() * 0.5 + 0.2, torch.rand(50).numpy() * 1.8 - 0.9, (1.0, 2.0)
    )
    save_model(ModelBundle(G2, Discriminator(cfg2), cfg2, tr, {}), tmp_path)
    back = load_model(tmp_path)
    assert back.config.latent_categories == 5
    torch.testing.assert_close(back.generator.eval()(z, e), G2(z, e))
