"""Physics features of the discriminator (W^2, Q^2) and adding them to a trained discriminator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nugan.events import kinematics
from nugan.models import Discriminator, GANConfig, Generator, VariableTransform
from nugan.models.features import MuonFeatures
from nugan.models.networks import with_disc_features
from nugan.training.checkpoint import ModelBundle, load_model, save_model


def _events(n: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    E = rng.uniform(0.3, 10.0, n)
    return E, 0.106 + rng.uniform(0.01, 0.99, n) * (E - 0.106), rng.uniform(-0.99, 0.99, n)


def test_features_are_the_kinematics_of_the_decoded_event() -> None:
    E, E_mu, cos = _events()
    tr = VariableTransform.fit(E, E_mu, cos, (0.3, 10.0))
    u = torch.tensor(tr.encode_muon(E, E_mu, cos))
    e = torch.tensor(tr.encode_energy(E))[:, None]
    f = MuonFeatures(("Q2", "W2"), tr)(u, e).numpy()
    np.testing.assert_allclose(f[:, 1], np.arcsinh((kinematics.W2(E, E_mu, cos) - 1.4) / 0.5), atol=1e-9)
    np.testing.assert_allclose(f[:, 0], np.log1p(np.clip(kinematics.Q2(E, E_mu, cos), 0, None) / 0.2), atol=1e-9)


def test_config_and_constructor_errors() -> None:
    with pytest.raises(ValueError, match="disc_features"):
        GANConfig(disc_features=("W",))
    with pytest.raises(ValueError, match="disc_features"):
        GANConfig(disc_features=("W2", "W2"))
    with pytest.raises(ValueError, match="transform"):
        Discriminator(GANConfig(disc_features=("W2",)))
    assert GANConfig.from_dict({"disc_features": ["W2", "Q2"]}).disc_features == ("W2", "Q2")


def test_adding_features_keeps_the_function_and_round_trips(tmp_path) -> None:
    E, E_mu, cos = _events()
    tr = VariableTransform.fit(E, E_mu, cos, (0.3, 10.0))
    cfg = GANConfig(gen_width=16, disc_width=16, disc_blocks=2)
    torch.manual_seed(0)
    D = Discriminator(cfg).eval()
    D2, cfg2 = with_disc_features(D, cfg, tr, ("W2", "Q2"))
    D2.eval()
    u = torch.tensor(tr.encode_muon(E, E_mu, cos), dtype=torch.float32)
    e = torch.tensor(tr.encode_energy(E), dtype=torch.float32)[:, None]
    torch.testing.assert_close(D2(u, e), D(u, e))
    assert cfg2.disc_features == ("W2", "Q2") and D2.blocks["block0"].linear.in_features == 4
    with pytest.raises(ValueError, match="already"):
        with_disc_features(D2, cfg2, tr, ("W2",))
    # the features change the output once their weights are non-zero, and gradients reach the generator side
    with torch.no_grad():
        D2.blocks["block0"].linear.weight[:, 2:] = 1.0
    u.requires_grad_(True)
    D2(u, e).sum().backward()
    assert not torch.allclose(D2(u, e), D(u, e)) and torch.isfinite(u.grad).all()
    save_model(ModelBundle(Generator(cfg2), D2, cfg2, tr, {}), tmp_path)
    back = load_model(tmp_path)
    assert back.config.disc_features == ("W2", "Q2")
    torch.testing.assert_close(back.discriminator.eval()(u, e), D2(u, e))
