"""Python API for sampling a trained model: ``nugan.load(CKPT).sample(E_nu, seed=...)``.

>>> import numpy as np, nugan                                   # doctest: +SKIP
>>> model = nugan.load("runs/base")                             # doctest: +SKIP
>>> events = model.sample(np.full(100_000, 1.0), seed=1)        # doctest: +SKIP
>>> events.meta.domain, events.E_mu[:3], events.cos_theta[:3]   # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nugan import __version__
from nugan.constants import M_MU
from nugan.events.table import EventTable, SampleMeta
from nugan.generation.checks import PhysicalCheck, enforce_physical
from nugan.models.checkpoint import Bundle, FlowBundle, load_model
from nugan.models.sampler import pick_device, sample_muon
from nugan.physics.xsec import XsecCurve

__all__ = ["NuganModel", "load_generator", "DEFAULT_BATCH"]

#: Default events per network call: large on GPU; on CPU the sampler caps it for cache reasons.
DEFAULT_BATCH = 262_144
_D_BATCH = 65_536


class NuganModel:
    """A trained nugan model (GAN or flow) ready to sample CC-inclusive (E_mu, cos_theta) given E_nu.

    Args:
        bundle: networks, transform and JSON description (``load_model``).
        device: where the networks run (already moved there).

    Attributes:
        bundle: the underlying :class:`~nugan.models.checkpoint.ModelBundle` or ``FlowBundle``.
        device: sampling device.
    """

    def __init__(self, bundle: Bundle, device: torch.device) -> None:
        self.bundle = bundle
        self.device = device

    # ---------------------------------------------------------------- description
    @classmethod
    def load(cls, spec: str | Path, device: str | torch.device | None = None) -> NuganModel:
        """Load a checkpoint (run directory, ``model.json``/``.safetensors`` or shipped name).

        ``device``: None/'auto' (CUDA if available, else CPU), 'cpu', 'cuda', 'cuda:N'.
        """
        dev = pick_device(device)
        return cls(load_model(spec, device=dev), dev)

    @property
    def arch(self) -> str:
        """Model family: 'gan' or 'flow'."""
        return self.bundle.arch

    @property
    def info(self) -> dict[str, Any]:
        """The checkpoint's JSON description (domain, energy range, training summary, xsec...)."""
        return self.bundle.info

    @property
    def domain(self) -> dict[str, Any]:
        """The checkpoint's ``info["domain"]``: probe_pdg, target_Z, target_A, target, interaction_model."""
        return dict(self.info.get("domain") or {})

    @property
    def name(self) -> str:
        """Short name of the checkpoint (its directory name), '' for an in-memory model."""
        path = self.info.get("path")
        return Path(path).parent.name if path else ""

    @property
    def energy_range(self) -> tuple[float, float]:
        """(E_min, E_max) [GeV] of the training range; E_nu outside it is extrapolation."""
        return self.bundle.energy_range

    @property
    def xsec(self) -> XsecCurve | None:
        """The total cross section stored with the model (``info["xsec"]``), or None."""
        d = self.info.get("xsec")
        return None if d is None else XsecCurve.from_dict(d)

    def meta(
        self,
        seed: int | None,
        energy_range: tuple[float, float] | None = None,
        xsec_cm2: float | None = None,
        extra: dict[str, str] | None = None,
    ) -> SampleMeta:
        """Metadata of a sample drawn from this model (probe, target, model from its domain)."""
        d = self.domain
        base = SampleMeta()
        return SampleMeta(
            probe_pdg=int(d.get("probe_pdg", base.probe_pdg)),
            target_Z=int(d.get("target_Z", base.target_Z)),
            target_A=int(d.get("target_A", base.target_A)),
            model=str(d.get("interaction_model", base.model)),
            source="nugan",
            seed=seed,
            generator_version=f"nugan {__version__}" + (f" (model {self.name})" if self.name else ""),
            energy_range=energy_range,
            xsec_cm2=xsec_cm2,
            extra={
                "nugan_model": self.name,
                "nugan_model_data_fingerprint": str(self.info.get("data_fingerprint", "")),
                **(extra or {}),
            },
        )

    # -------------------------------------------------------------------- sampling
    def check_energies(self, E_nu: np.ndarray, allow_extrapolation: bool = False) -> np.ndarray:
        """``E_nu`` as a float64 1-D array after range checks.

        Raises:
            ValueError: non-finite energies, energies at or below the muon mass, or energies outside
                the model's range unless ``allow_extrapolation`` (then a warning is issued).
        """
        E = np.asarray(E_nu, dtype=np.float64).reshape(-1)
        if len(E) == 0:
            return E
        if not np.all(np.isfinite(E)):
            raise ValueError(f"{int((~np.isfinite(E)).sum())} neutrino energies are NaN or infinite")
        if E.min() <= M_MU:
            raise ValueError(
                f"neutrino energies must exceed the muon mass {M_MU} GeV for CC nu_mu "
                f"scattering; got min {E.min():.6g} GeV"
            )
        inside = self.bundle.transform.in_range(E)
        if not inside.all():
            lo, hi = self.energy_range
            msg = (
                f"{int((~inside).sum()):,} of {len(E):,} neutrino energies (min {E.min():.4g}, "
                f"max {E.max():.4g} GeV) lie outside the model's range [{lo:.4g}, {hi:.4g}] GeV"
            )
            if not allow_extrapolation:
                raise ValueError(msg + "; pass allow_extrapolation=True (--allow-extrapolation) to sample there anyway")
            warnings.warn(msg + ": extrapolating, results there are not validated", stacklevel=3)
        return E

    def sample_checked(
        self,
        E_nu: np.ndarray,
        seed: int,
        allow_extrapolation: bool = False,
        *,
        batch_size: int | None = None,
        offset: int = 0,
        meta: SampleMeta | None = None,
    ) -> tuple[EventTable, PhysicalCheck]:
        """:meth:`sample` plus the explicit physical-range check of its events.

        Rows the check rejects (non-finite values) are dropped from the table; repaired rows are
        clipped into the physical range. ``offset`` places the events in a longer stream (see
        :func:`~nugan.models.sampler.sample_muon`); ``meta`` replaces the default metadata.
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        E = self.check_energies(E_nu, allow_extrapolation)
        E_mu, cos = sample_muon(
            self.bundle.generator,
            self.bundle.transform,
            E,
            int(seed),
            batch_size=batch_size or DEFAULT_BATCH,
            device=self.device,
            offset=offset,
        )
        check = enforce_physical(E, E_mu, cos)
        if meta is None:
            er = (float(E.min()), float(E.max())) if len(E) else None
            meta = self.meta(int(seed), er)
        k = check.keep
        table = EventTable(E[k], check.E_mu[k], check.cos_theta[k], meta=meta)
        return table, check

    def sample(
        self, E_nu: np.ndarray, seed: int, allow_extrapolation: bool = False, *, batch_size: int | None = None
    ) -> EventTable:
        """One event (E_mu [GeV], cos_theta) per neutrino energy in ``E_nu`` [GeV].

        Args:
            E_nu: neutrino energies [GeV] inside :attr:`energy_range`.
            seed: non-negative seed; same seed, energies and device give identical events.
            allow_extrapolation: sample energies outside the training range (with a warning)
                instead of raising ValueError.
            batch_size: events per network call (memory knob; default :data:`DEFAULT_BATCH`).

        Returns:
            EventTable with metadata source 'nugan', the model's probe/target/interaction model,
            the seed and the package version. Events are physical by construction; if the
            explicit check ever has to repair or drop rows, a warning gives the counts.
        """
        table, check = self.sample_checked(E_nu, seed, allow_extrapolation, batch_size=batch_size)
        if check.n_repaired or check.n_rejected:
            warnings.warn(f"model {self.name or '(in memory)'}: {check.summary()}", stacklevel=2)
        return table

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

    def __repr__(self) -> str:
        lo, hi = self.energy_range
        d = self.domain
        return (
            f"NuganModel({self.arch} {self.name or 'in memory'}: {d.get('target', '?')} "
            f"{d.get('interaction_model', '?')}, {lo:g}-{hi:g} GeV, device {self.device})"
        )


def load_generator(path: str | Path, device: str | torch.device | None = None) -> NuganModel:
    """Load a trained model for sampling (what :func:`nugan.load` returns)."""
    return NuganModel.load(path, device)
