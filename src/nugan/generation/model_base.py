"""What every sampling engine's model shares, without torch: description, metadata, energy checks, checked sampling.

:class:`nugan.generation.api.NuganModel` (torch engine, GANs and flows) and
:class:`nugan.generation.numpy_model.NumpyGanModel` (NumPy engine, GANs on CPU) derive from :class:`SamplingModel`
and differ only in how they turn energies into muons (:meth:`SamplingModel.sample_muon`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from nugan import __version__
from nugan.constants import M_MU
from nugan.events.table import EventTable, SampleMeta
from nugan.generation.checks import PhysicalCheck, enforce_physical
from nugan.physics.xsec import XsecCurve

__all__ = ["SamplingModel", "check_seed"]


def check_seed(seed: Any) -> int:
    """``seed`` as an int after checking it is a non-negative integer (ValueError otherwise)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


class SamplingModel:
    """A trained model ready to sample CC-inclusive (E_mu, cos_theta) given E_nu (engine-independent part).

    Subclasses set ``bundle`` (with ``arch``, ``info``, ``transform``, ``energy_range``), ``device`` and
    ``engine`` ('torch' or 'numpy') and implement :meth:`sample_muon`.
    """

    bundle: Any
    device: Any
    engine: str

    def sample_muon(
        self, E: np.ndarray, seed: int, batch_size: int | None, offset: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(E_mu, cos_theta) for the checked energies ``E`` (the engine's work)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- description
    @property
    def arch(self) -> str:
        """Model family: 'gan' or 'flow'."""
        return str(self.bundle.arch)

    @property
    def info(self) -> dict[str, Any]:
        """The checkpoint's JSON description (domain, energy range, training summary, xsec...)."""
        info: dict[str, Any] = self.bundle.info
        return info

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
        lo, hi = self.bundle.energy_range
        return (lo, hi)

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
        clipped into the physical range. ``offset`` places the events in a longer stream (a multiple of
        :data:`~nugan.models.latents.LATENT_BLOCK`); ``meta`` replaces the default metadata.
        """
        seed = check_seed(seed)
        E = self.check_energies(E_nu, allow_extrapolation)
        E_mu, cos = self.sample_muon(E, seed, batch_size, offset)
        check = enforce_physical(E, E_mu, cos)
        if meta is None:
            er = (float(E.min()), float(E.max())) if len(E) else None
            meta = self.meta(seed, er)
        k = check.keep
        table = EventTable(E[k], check.E_mu[k], check.cos_theta[k], meta=meta)
        return table, check

    def sample(
        self, E_nu: np.ndarray, seed: int, allow_extrapolation: bool = False, *, batch_size: int | None = None
    ) -> EventTable:
        """One event (E_mu [GeV], cos_theta) per neutrino energy in ``E_nu`` [GeV].

        Args:
            E_nu: neutrino energies [GeV] inside :attr:`energy_range`.
            seed: non-negative seed; same seed, energies, device and engine give identical events.
            allow_extrapolation: sample energies outside the training range (with a warning)
                instead of raising ValueError.
            batch_size: events per network call (memory knob of the torch engine).

        Returns:
            EventTable with metadata source 'nugan', the model's probe/target/interaction model,
            the seed and the package version. Events are physical by construction; if the
            explicit check ever has to repair or drop rows, a warning gives the counts.
        """
        table, check = self.sample_checked(E_nu, seed, allow_extrapolation, batch_size=batch_size)
        if check.n_repaired or check.n_rejected:
            warnings.warn(f"model {self.name or '(in memory)'}: {check.summary()}", stacklevel=2)
        return table

    def __repr__(self) -> str:
        lo, hi = self.energy_range
        d = self.domain
        return (
            f"{type(self).__name__}({self.arch} {self.name or 'in memory'}: {d.get('target', '?')} "
            f"{d.get('interaction_model', '?')}, {lo:g}-{hi:g} GeV, device {self.device})"
        )
