"""The in-memory sample of CC-inclusive events: :class:`EventTable` and its :class:`SampleMeta`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nugan.constants import probe_name, target_name
from nugan.events import kinematics as kin

__all__ = ["CHANNELS", "CHANNEL_CODES", "channel_code", "SampleMeta", "EventTable"]

#: Interaction channel labels, stored per event as int8 codes (index into this tuple).
CHANNELS: tuple[str, ...] = ("QE", "MEC", "RES", "DIS", "COH", "OTHER")
CHANNEL_CODES: dict[str, int] = {name: i for i, name in enumerate(CHANNELS)}
UNKNOWN_CHANNEL = -1


def channel_code(name: str) -> int:
    """int8 code of a channel label ('QE', 'MEC', 'RES', 'DIS', 'COH', 'OTHER')."""
    key = name.upper()
    if key in ("CCQE", "QEL"):
        key = "QE"
    if key in ("2P2H",):
        key = "MEC"
    if key not in CHANNEL_CODES:
        raise ValueError(f"unknown channel {name!r}; known: {CHANNELS}")
    return CHANNEL_CODES[key]


@dataclass(frozen=True)
class SampleMeta:
    """What a sample is: probe, target, interaction model and provenance.

    Attributes:
        probe_pdg: 14 (nu_mu) or -14 (anti-nu_mu).
        target_Z, target_A: nucleus protons and nucleons.
        model: interaction model name (simulator model, 'nuwro-25.11', a nugan model name...).
        source: where the events came from ('simulator', 'nuwro', 'genie', 'nugan', a file name...).
        seed: random seed used to produce the sample, if known.
        generator_version: version string of the generator that made it.
        energy_range: (E_min, E_max) of the beam in GeV, if known.
        xsec_cm2: flux-averaged total cross section per nucleon [cm^2], if known.
        extra: free-form string metadata kept through I/O.
    """

    probe_pdg: int = 14
    target_Z: int = 6
    target_A: int = 12
    model: str = "unknown"
    source: str = "unknown"
    seed: int | None = None
    generator_version: str = ""
    energy_range: tuple[float, float] | None = None
    xsec_cm2: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """Conventional target name, e.g. 'C12'."""
        return target_name(self.target_Z, self.target_A)

    @property
    def probe(self) -> str:
        """'numu' or 'numubar'."""
        return probe_name(self.probe_pdg)

    @property
    def domain(self) -> str:
        """Short domain label, e.g. 'numu-C12:default'."""
        return f"{self.probe}-{self.target}:{self.model}"

    def replace(self, **changes: Any) -> SampleMeta:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """JSON text of every field."""
        d = dataclasses.asdict(self)
        d["extra"] = dict(self.extra)
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SampleMeta:
        """Inverse of :meth:`to_json`; unknown keys go to ``extra``."""
        d = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        extra = dict(d.pop("extra", {}) or {})
        for k in list(d):
            if k not in names:
                extra[k] = str(d.pop(k))
        if d.get("energy_range") is not None:
            d["energy_range"] = tuple(float(v) for v in d["energy_range"])
        return cls(**d, extra=extra)


@dataclass
class EventTable:
    """A sample of CC-inclusive events, lepton kinematics only (GeV).

    Columns are 1-D float64 arrays of equal length: ``E_nu`` (neutrino energy), ``E_mu`` (total muon
    energy), ``cos_theta`` (muon angle to the beam); optional ``weight`` (float64) and ``channel``
    (int8 codes into :data:`CHANNELS`, -1 unknown). Derived quantities are computed on demand.

    Construction never modifies values; use :func:`nugan.events.validation.validate` or
    :meth:`checked` to find or drop unphysical rows.
    """

    E_nu: np.ndarray
    E_mu: np.ndarray
    cos_theta: np.ndarray
    meta: SampleMeta = field(default_factory=SampleMeta)
    weight: np.ndarray | None = None
    channel: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.E_nu = np.ascontiguousarray(self.E_nu, dtype=np.float64).reshape(-1)
        self.E_mu = np.ascontiguousarray(self.E_mu, dtype=np.float64).reshape(-1)
        self.cos_theta = np.ascontiguousarray(self.cos_theta, dtype=np.float64).reshape(-1)
        n = len(self.E_nu)
        if len(self.E_mu) != n or len(self.cos_theta) != n:
            raise ValueError(f"column lengths differ: E_nu {n}, E_mu {len(self.E_mu)}, cos_theta {len(self.cos_theta)}")
        if self.weight is not None:
            self.weight = np.ascontiguousarray(self.weight, dtype=np.float64).reshape(-1)
            if len(self.weight) != n:
                raise ValueError(f"weight has {len(self.weight)} rows, expected {n}")
        if self.channel is not None:
            self.channel = np.ascontiguousarray(self.channel, dtype=np.int8).reshape(-1)
            if len(self.channel) != n:
                raise ValueError(f"channel has {len(self.channel)} rows, expected {n}")
            bad = (self.channel < UNKNOWN_CHANNEL) | (self.channel >= len(CHANNELS))
            if bad.any():
                raise ValueError(
                    f"channel codes {sorted(set(np.unique(self.channel[bad]).tolist()))[:6]} are not "
                    f"nugan codes (0-{len(CHANNELS) - 1} = {', '.join(CHANNELS)}, -1 unknown)"
                )

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.E_nu)

    def __getitem__(self, index: slice | np.ndarray) -> EventTable:
        """Rows selected by a slice, integer index array or boolean mask (metadata kept)."""
        return EventTable(
            self.E_nu[index],
            self.E_mu[index],
            self.cos_theta[index],
            meta=self.meta,
            weight=None if self.weight is None else self.weight[index],
            channel=None if self.channel is None else self.channel[index],
        )

    @classmethod
    def concat(cls, tables: list[EventTable]) -> EventTable:
        """Concatenate tables; metadata of the first, optional columns kept only if all have them."""
        if not tables:
            raise ValueError("cannot concatenate an empty list of tables")

        def cat(name: str) -> np.ndarray | None:
            cols = [getattr(t, name) for t in tables]
            return None if any(c is None for c in cols) else np.concatenate(cols)

        return cls(
            np.concatenate([t.E_nu for t in tables]),
            np.concatenate([t.E_mu for t in tables]),
            np.concatenate([t.cos_theta for t in tables]),
            meta=tables[0].meta,
            weight=cat("weight"),
            channel=cat("channel"),
        )

    def with_meta(self, **changes: Any) -> EventTable:
        """Same events, metadata fields changed."""
        return EventTable(self.E_nu, self.E_mu, self.cos_theta, self.meta.replace(**changes), self.weight, self.channel)

    def split(self, fraction: float, seed: int) -> tuple[EventTable, EventTable]:
        """Random disjoint split: (first with ``fraction`` of rows, rest)."""
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"split fraction must be in (0, 1), got {fraction}")
        perm = np.random.default_rng(seed).permutation(len(self))
        k = int(round(fraction * len(self)))
        return self[np.sort(perm[:k])], self[np.sort(perm[k:])]

    def columns(self) -> dict[str, np.ndarray]:
        """The stored columns as a dict (optional ones only if present)."""
        out = {"E_nu": self.E_nu, "E_mu": self.E_mu, "cos_theta": self.cos_theta}
        if self.weight is not None:
            out["weight"] = self.weight
        if self.channel is not None:
            out["channel"] = self.channel
        return out

    def channel_fractions(self) -> dict[str, float]:
        """Fraction of (weighted) events per channel label; {} if no channel column."""
        if self.channel is None or len(self) == 0:
            return {}
        w = np.ones(len(self)) if self.weight is None else self.weight
        total = w.sum()
        out: dict[str, float] = {}
        for code in np.unique(self.channel):
            name = CHANNELS[code] if 0 <= code < len(CHANNELS) else "unknown"
            out[name] = float(w[self.channel == code].sum() / total)
        return out

    # ------------------------------------------------------------ derived (GeV)
    @property
    def p_mu(self) -> np.ndarray:
        """Muon momentum [GeV]."""
        return kin.p_mu(self.E_mu)

    @property
    def omega(self) -> np.ndarray:
        """Energy transfer [GeV]."""
        return kin.omega(self.E_nu, self.E_mu)

    @property
    def Q2(self) -> np.ndarray:
        """Four-momentum transfer squared [GeV^2]."""
        return kin.Q2(self.E_nu, self.E_mu, self.cos_theta)

    @property
    def q3(self) -> np.ndarray:
        """Three-momentum transfer [GeV]."""
        return kin.q3(self.E_nu, self.E_mu, self.cos_theta)

    @property
    def W(self) -> np.ndarray:
        """Hadronic invariant mass, nucleon at rest [GeV]."""
        return kin.W(self.E_nu, self.E_mu, self.cos_theta)

    @property
    def x(self) -> np.ndarray:
        """Bjorken x."""
        return kin.bjorken_x(self.E_nu, self.E_mu, self.cos_theta)

    @property
    def y(self) -> np.ndarray:
        """Inelasticity y = omega / E_nu."""
        return kin.inelasticity_y(self.E_nu, self.E_mu)

    def observable(self, name: str) -> np.ndarray:
        """A stored or derived column by name ('E_mu', 'cos_theta', 'Q2', 'omega', 'W', 'x', 'y', ...)."""
        if name in ("E_nu", "E_mu", "cos_theta", "weight", "channel"):
            col = getattr(self, name)
            if col is None:
                raise KeyError(f"sample has no {name!r} column")
            return col
        if name in ("p_mu", "omega", "Q2", "q3", "W", "x", "y"):
            return getattr(self, name)
        raise KeyError(f"unknown observable {name!r}")

    def checked(self, strict: bool = True) -> EventTable:
        """Validated copy: ``strict`` raises on any bad row; lenient drops them and warns with counts."""
        from nugan.events.validation import validate

        return validate(self, strict=strict).table
