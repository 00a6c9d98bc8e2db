"""Conditional sampling of (E_mu, cos_theta) given E_nu from a generator network."""

from __future__ import annotations

import numpy as np
import torch

from nugan.models.networks import Generator
from nugan.models.transforms import VariableTransform

__all__ = ["sample_muon", "pick_device"]


def pick_device(device: str | None = "auto") -> torch.device:
    """'auto' -> CUDA if available else CPU; otherwise the named device."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@torch.no_grad()
def sample_muon(
    generator: Generator,
    transform: VariableTransform,
    E_nu: np.ndarray,
    seed: int,
    batch_size: int = 262_144,
    device: torch.device | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one (E_mu, cos_theta) per entry of ``E_nu`` [GeV]; physical by construction.

    Latents come from a ``torch.Generator`` seeded with ``seed`` on the sampling device, so the same
    seed, inputs and device give identical output.
    """
    device = device or next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    E = np.asarray(E_nu, dtype=np.float64)
    e_all = torch.as_tensor(transform.encode_energy(E), dtype=torch.float32, device=device)
    E_t = torch.as_tensor(E, device=device)
    rng = torch.Generator(device=device)
    rng.manual_seed(int(seed))
    out_mu = torch.empty(len(E), dtype=torch.float64, device=device)
    out_cos = torch.empty(len(E), dtype=torch.float64, device=device)
    for start in range(0, len(E), batch_size):
        sl = slice(start, min(start + batch_size, len(E)))
        n = sl.stop - sl.start
        z = torch.randn(n, generator.latent_dim, generator=rng, device=device)
        u = generator(z, e_all[sl].unsqueeze(1))
        out_mu[sl], out_cos[sl] = transform.decode_muon_torch(E_t[sl], u)
    generator.train(was_training)
    return out_mu.cpu().numpy(), out_cos.cpu().numpy()
