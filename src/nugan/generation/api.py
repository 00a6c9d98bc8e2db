"""Python API for sampling a trained model: ``nugan.load(CKPT).sample(E_nu, seed=...)``.

>>> import numpy as np, nugan                                   # doctest: +SKIP
>>> model = nugan.load("runs/base")                             # doctest: +SKIP
>>> events = model.sample(np.full(100_000, 1.0), seed=1)        # doctest: +SKIP
>>> events.meta.domain, events.E_mu[:3], events.cos_theta[:3]   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nugan.constants import M_MU
from nugan.events.table import EventTable
from nugan.generation.model_base import SamplingModel
from nugan.models.checkpoint import Bundle, FlowBundle, load_model
from nugan.models.sampler import pick_device, sample_muon

__all__ = ["NuganModel", "load_generator", "DEFAULT_BATCH"]

#: Default events per network call: large on GPU; on CPU the sampler caps it for cache reasons.
DEFAULT_BATCH = 262_144
_D_BATCH = 65_536


class NuganModel(SamplingModel):
    """A trained nugan model (GAN or flow) ready to sample CC-inclusive (E_mu, cos_theta) given E_nu, on torch.

    Description, metadata, energy checks and :meth:`sample` come from
    :class:`~nugan.generation.model_base.SamplingModel` (shared with the NumPy engine's model).

    Args:
        bundle: networks, transform and JSON description (``load_model``).
        device: where the networks run (already moved there).
        compile: sample a GAN with its network compiled by ``torch.compile`` (engine 'compile').

    Attributes:
        bundle: the underlying :class:`~nugan.models.checkpoint.ModelBundle` or ``FlowBundle``.
        device: sampling device.
        engine: 'torch', or 'compile' for a compiled GAN.
    """

    def __init__(self, bundle: Bundle, device: torch.device, compile: bool = False) -> None:
        if compile and isinstance(bundle, FlowBundle):
            raise ValueError("the compile engine samples GANs; this model is a normalising flow: use torch")
        self.bundle: Bundle = bundle
        self.device: torch.device = device
        self.compile = compile
        self.engine = "compile" if compile else "torch"

    # ---------------------------------------------------------------- description
    @classmethod
    def load(cls, spec: str | Path, device: str | torch.device | None = None, compile: bool = False) -> NuganModel:
        """Load a checkpoint (run directory, ``model.json``/``.safetensors`` or shipped name).

        ``device``: None/'auto' (CUDA if available, else CPU), 'cpu', 'cuda', 'cuda:N'. ``compile``: see the class.
        """
        dev = pick_device(device)
        return cls(load_model(spec, device=dev), dev, compile)

    def sample_muon(
        self, E: np.ndarray, seed: int, batch_size: int | None, offset: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(E_mu, cos_theta) for the checked energies ``E`` with torch (:func:`~nugan.models.sampler.sample_muon`)."""
        return sample_muon(
            self.bundle.generator,
            self.bundle.transform,
            E,
            seed,
            batch_size=batch_size or DEFAULT_BATCH,
            device=self.device,
            offset=offset,
            compile=self.compile,
        )

    def log_prob(self, table: EventTable, allow_extrapolation: bool = False) -> np.ndarray:
        """log p(E_mu, cos_theta | E_nu) of each event of ``table`` [nats; density per GeV per unit cos_theta].

        Flows only: a GAN has no likelihood. Events must be physical (m_mu <= E_mu <= E_nu, |cos| <= 1) and
        E_nu inside the model's range unless ``allow_extrapolation``.

        Raises:
            ValueError: the model is a GAN, or an event is unphysical or outside the range.
        """
        if not isinstance(self.bundle, FlowBundle):
            raise ValueError(
                f"model {self.name or '(in memory)'} is a GAN, which has no likelihood; "
                "log_prob and reweighting need a flow (--arch flow)"
            )
        from nugan.training.flow_loop import event_nll

        E = self.check_energies(table.E_nu, allow_extrapolation)
        bad = ~((table.E_mu >= M_MU) & (table.E_mu <= E) & (np.abs(table.cos_theta) <= 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{int(bad.sum())} events are unphysical (e.g. row {i}: E_nu {E[i]:.6g}, "
                f"E_mu {table.E_mu[i]:.6g} GeV, cos_theta {table.cos_theta[i]:.6g})"
            )
        return -event_nll(self.bundle, table, self.device)

    def discriminator_score(self, table: EventTable, batch_size: int = _D_BATCH) -> np.ndarray:
        """sigmoid(D) of each event of ``table``: the discriminator's probability that it is real.

        Events are mapped with the model's transform (as in training); returns float64 in [0, 1].
        GANs only (a flow has no discriminator; ValueError).
        """
        if isinstance(self.bundle, FlowBundle):
            raise ValueError(f"model {self.name or '(in memory)'} is a flow: it has no discriminator")
        t = self.bundle.transform
        u = t.encode_muon(table.E_nu, table.E_mu, table.cos_theta)
        e = t.encode_energy(table.E_nu)
        disc = self.bundle.discriminator
        was_training = disc.training
        disc.eval()
        out = np.empty(len(table), dtype=np.float64)
        try:
            with torch.inference_mode():
                for a in range(0, len(table), batch_size):
                    b = min(a + batch_size, len(table))
                    uu = torch.as_tensor(u[a:b], dtype=torch.float32, device=self.device)
                    ee = torch.as_tensor(e[a:b], dtype=torch.float32, device=self.device).unsqueeze(1)
                    out[a:b] = torch.sigmoid(disc(uu, ee)).double().cpu().numpy()
        finally:
            disc.train(was_training)
        return out


def load_generator(path: str | Path, device: str | torch.device | None = None, compile: bool = False) -> NuganModel:
    """Load a trained model for sampling (what :func:`nugan.load` returns)."""
    return NuganModel.load(path, device, compile)
