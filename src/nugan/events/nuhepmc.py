"""NuHepMC (HepMC3 ASCII, NuHepMC spec v1.0.0) reader and streaming writer, via pyhepmc.

Reading (:func:`load_nuhepmc`): per event, the beam is the first particle with status 4, the target
the first with status 20 (11 in pre-1.0 files; nuclear PDG code 100ZZZAAA0 -> Z, A; a free proton
is Z=1, A=1), the muon the first final-state (status 1) particle with ``|pdg| == 13``.
``E_nu`` and ``E_mu`` are their energies, ``cos_theta`` the angle between their 3-momenta;
units follow each event's ``U`` line (MEV or GEV). ``signal_process_id`` gives the channel and
CC/NC by the E.C.1 ranges when the file declares E.C.1 (see :func:`process_to_channel`);
otherwise the channel is unknown and an event counts as CC when it has a final-state muon. The
``CV`` weight becomes ``weight`` (dropped when all 1). The cross section comes from
``NuHepMC.FluxAveragedTotalCrossSection`` (G.C.2) or the last event's ``GenCrossSection`` (E.C.4)
with the declared units and target scale, scaled to the kept events by their CV-weight share.

Writing (:class:`NuHepMCWriter`), one event per row, units GeV/mm::

    nu (status 4, (0, 0, E_nu, E_nu)) + nucleus (status 20, at rest)
      -> primary vertex (status 1)
      -> muon (status 1) + remnant pseudo-particle 2009900000 (status 1, P.C.2)

The remnant carries nu + nucleus - muon, so each event conserves four-momentum; nugan does not
model the hadronic system, which the run info states under ``NuHepMC.Provenance.nugan.*``.
The muon azimuth is drawn uniformly in [0, 2 pi) from ``numpy`` PCG64(``seed``) in event order
(the observables E_mu, cos_theta do not depend on it). The flux-averaged total cross section is
declared (convention G.C.2; a consumer needs it to normalise the events): it is written in pb per
nucleon from ``xsec_cm2`` (argument) or ``meta.xsec_cm2``, and the writer refuses to start without
one. :func:`check_nuhepmc` checks a file against the requirements G.R.1-8 and E.R.1-8.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import nugan
from nugan.atomic import AtomicStreamWriter
from nugan.constants import M_MU, nucleus_pdg
from nugan.events.loading import RawEvents, cos_between, weight_or_none
from nugan.events.outputs import check_output
from nugan.events.table import CHANNEL_CODES, CHANNELS, UNKNOWN_CHANNEL, EventTable, SampleMeta

if TYPE_CHECKING:
    from nugan.events.nuhepmc_check import Violation

__all__ = [
    "NUHEPMC_VERSION",
    "REMNANT_PDG",
    "CHANNEL_PROCESS_ID",
    "UNKNOWN_PROCESS_ID",
    "process_to_channel",
    "nuclear_mass",
    "NuHepMCWriter",
    "write_nuhepmc",
    "load_nuhepmc",
    "check_nuhepmc",
    "refuse_hepmc2",
]

NUHEPMC_VERSION = (1, 0, 0)
REMNANT_PDG = 2009900000
#: E.C.1 process IDs (CC) written for each nugan channel.
CHANNEL_PROCESS_ID: dict[str, int] = {
    "COH": 100,
    "QE": 200,
    "MEC": 300,
    "RES": 400,
    "DIS": 600,
    "OTHER": 700,
}
#: Process ID nugan writes (and reads back as unknown) for events without a recorded channel.
UNKNOWN_PROCESS_ID = 749
_PROCESS_INFO = {
    100: ("CC COH", "Charged-current coherent pion production"),
    200: ("CC QE", "Charged-current quasi-elastic scattering"),
    300: ("CC MEC", "Charged-current meson-exchange current (2p2h)"),
    400: ("CC RES", "Charged-current resonant production"),
    600: ("CC DIS", "Charged-current (shallow and) deep inelastic scattering"),
    700: ("CC other", "Other charged-current process"),
    749: ("CC unknown", "Charged-current event whose channel the sample does not record"),
}
_PB_PER_CM2 = 1e36
_XS_UNITS = {"pb": 1e-36, "nb": 1e-33, "cm2": 1.0, "1e-38 cm2": 1e-38, "10-38 cm2": 1e-38, "cm2_ten38": 1e-38}
_PER_NUCLEON = ("pernucleon", "pertargetnucleon")
_PER_ATOM = ("peratom", "pertargetatom", "pertarget")
# AME2020 mass excess [keV] of nugan's targets; others use 0 (an approximation, < 1e-3 relative).
_MASS_EXCESS_KEV = {(6, 12): 0.0, (8, 16): -4737.00137, (18, 40): -35039.8946, (26, 56): -60607.1}
_U_GEV = 0.93149410242
_ME_GEV = 0.51099895e-3
_MEV = 1e-3
_ENDING = b"HepMC::Asciiv3-END_EVENT_LISTING"
_HEPMC2_LISTING = b"HepMC::IO_GenEvent"  # HepMC2 (IO_GenEvent) listing lines; HepMC3 writes Asciiv3
_LAB_POS = [0.0, 0.0, 0.0]  # no macroscopic geometry (E.R.5)


def nuclear_mass(Z: int, A: int) -> float:
    """Mass of the bare nucleus [GeV]: A u + mass excess - Z m_e (electron binding neglected)."""
    return A * _U_GEV + _MASS_EXCESS_KEV.get((Z, A), 0.0) * 1e-6 - Z * _ME_GEV


def process_to_channel(pid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 channel, is-CC mask) from E.C.1 process IDs.

    100s COH, 200s QE, 300s MEC, 400s and 500s RES, 600s DIS, 700 and above OTHER; X00-X49 are
    CC, X50-X99 NC; negative IDs (EM) are not CC. nugan's 749 reads back as unknown (-1).
    """
    pid = np.asarray(pid, dtype=np.int64)
    hundreds = pid // 100
    table = {1: "COH", 2: "QE", 3: "MEC", 4: "RES", 5: "RES", 6: "DIS"}
    out = np.full(pid.shape, CHANNEL_CODES["OTHER"], dtype=np.int8)
    for h, name in table.items():
        out[hundreds == h] = CHANNEL_CODES[name]
    out[pid == UNKNOWN_PROCESS_ID] = UNKNOWN_CHANNEL
    return out, (pid >= 0) & (pid % 100 < 50)


# ----------------------------------------------------------------------------------- writing
def _run_info(meta: SampleMeta, xsec_cm2: float, seed: int) -> Any:
    """GenRunInfo with the NuHepMC run-level requirements G.R.2-8, conventions G.C.2, E.C.1, P.C.2 and provenance."""
    import pyhepmc as hp

    ri = hp.GenRunInfo()
    tools = [("nugan", nugan.__version__, "nugan: learned neutrino event generator (lepton kinematics only)")]
    if meta.source not in ("", "unknown", "nugan"):  # G.R.3: name and version must not be empty
        tools.append((meta.source, meta.generator_version or "unknown", f"source of the events ({meta.model})"))
    ri.tools = tools
    ri.weight_names = ["CV"]
    a = ri.attributes
    for part, value in zip(("Major", "Minor", "Patch"), NUHEPMC_VERSION, strict=True):
        a[f"NuHepMC.Version.{part}"] = value
    a["NuHepMC.Conventions"] = ["G.C.2", "E.C.1", "P.C.2"]
    a["NuHepMC.FluxAveragedTotalCrossSection"] = float(xsec_cm2 * _PB_PER_CM2)
    a["NuHepMC.Units.CrossSection.Unit"] = "pb"
    a["NuHepMC.Units.CrossSection.TargetScale"] = "PerNucleon"
    a["NuHepMC.ProcessIDs"] = sorted(_PROCESS_INFO)
    for pid, (name, desc) in _PROCESS_INFO.items():
        a[f"NuHepMC.ProcessInfo[{pid}].Name"] = name
        a[f"NuHepMC.ProcessInfo[{pid}].Description"] = desc
    a["NuHepMC.VertexStatusIDs"] = [1]
    a["NuHepMC.VertexStatusInfo[1].Name"] = "PrimaryVertex"
    a["NuHepMC.VertexStatusInfo[1].Description"] = "The neutrino-nucleus interaction"
    statuses = {
        1: ("UndecayedPhysical", "Final-state particle"),
        4: ("IncomingBeam", "Incoming neutrino"),
        20: ("Target", "Target nucleus at rest"),
    }
    a["NuHepMC.ParticleStatusIDs"] = sorted(statuses)
    for sid, (name, desc) in statuses.items():
        a[f"NuHepMC.ParticleStatusInfo[{sid}].Name"] = name
        a[f"NuHepMC.ParticleStatusInfo[{sid}].Description"] = desc
    a["NuHepMC.AdditionalParticleNumbers"] = [REMNANT_PDG]
    # G.R.8 names the attribute AdditionalParticleNumber[..].Name; NuHepMC's C++ reader reads AdditionalParticleInfo
    a[f"NuHepMC.AdditionalParticleNumber[{REMNANT_PDG}].Name"] = "NuclearRemnant"
    a[f"NuHepMC.AdditionalParticleInfo[{REMNANT_PDG}].Name"] = "NuclearRemnant"
    a[f"NuHepMC.AdditionalParticleInfo[{REMNANT_PDG}].Description"] = (
        "nu + nucleus - muon: the unmodelled hadronic system and nuclear remnant (P.C.2)"
    )
    a["NuHepMC.Provenance.nugan.HadronicSystem"] = (
        "not modelled: nugan samples the muon only; the pseudo-particle 2009900000 carries nu + nucleus - muon (P.C.2)"
    )
    a["NuHepMC.Provenance.nugan.MuonAzimuth"] = (
        f"uniform in [0, 2pi) from numpy PCG64(seed={seed}), drawn in event order"
    )
    a["NuHepMC.Provenance.nugan.Target"] = "nucleus at rest, AME2020 mass minus electrons"
    a["NuHepMC.Provenance.nugan.SampleMeta"] = meta.replace(xsec_cm2=xsec_cm2).to_json()
    return ri


class NuHepMCWriter(AtomicStreamWriter[EventTable]):
    """Streaming NuHepMC writer: ``write`` chunks of events; the file appears on ``close``.

    Args:
        path: output file (``.hepmc3``); written as ``path.tmp`` then renamed.
        meta: the sample's metadata (probe, target, provenance).
        xsec_cm2: flux-averaged total cross section per nucleon [cm^2] of the events written;
            default ``meta.xsec_cm2``. The file declares it (G.C.2), so it must be known.
        seed: seed of the muon azimuth generator.

    Use as a context manager; on an exception the temporary file is removed.
    """

    def __init__(
        self, path: str | os.PathLike[str], meta: SampleMeta, *, xsec_cm2: float | None = None, seed: int = 0
    ) -> None:
        import pyhepmc as hp

        self.path = check_output(path, "nuhepmc")
        xs = meta.xsec_cm2 if xsec_cm2 is None else float(xsec_cm2)
        if xs is None:
            raise ValueError(
                f"{self.path}: NuHepMC needs the flux-averaged total cross section (G.C.2) but "
                "the sample's is unknown; pass it in cm^2 per nucleon (xsec_cm2=..., or --xsec "
                "on the command line), e.g. the mean NuWro event weight"
            )
        if not (np.isfinite(xs) and xs > 0):
            raise ValueError(f"{self.path}: cross section must be finite and > 0, got {xs!r} cm^2")
        self.meta = meta.replace(xsec_cm2=xs)
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._ri = _run_info(meta, xs, seed)
        self._m_target = nuclear_mass(meta.target_Z, meta.target_A)
        self._pdg_target = nucleus_pdg(meta.target_Z, meta.target_A)
        self._pdg_mu = 13 if meta.probe_pdg > 0 else -13
        super().__init__(self.path)
        try:
            self._writer = hp.io.WriterAscii(str(self._tmp), self._ri)
        except BaseException:
            self._release()
            raise

    def _check(self, table: EventTable) -> None:
        """Refuse chunks of another probe or target than the file's."""
        m = table.meta
        if (m.probe_pdg, m.target_Z, m.target_A) != (self.meta.probe_pdg, self.meta.target_Z, self.meta.target_A):
            raise ValueError(
                f"{self.path}: chunk is {m.probe}-{m.target}, file is {self.meta.probe}-{self.meta.target}"
            )

    def write(self, table: EventTable) -> None:
        """Append the events of ``table`` (GeV)."""
        import pyhepmc as hp

        self._check(table)
        n = len(table)
        phi = self._rng.uniform(0.0, 2.0 * np.pi, size=n)
        p = np.sqrt(np.clip(table.E_mu**2 - M_MU**2, 0.0, None))
        sin = np.sqrt(np.clip(1.0 - table.cos_theta**2, 0.0, None))
        mu = np.stack([p * sin * np.cos(phi), p * sin * np.sin(phi), p * table.cos_theta, table.E_mu], axis=1)
        w = np.ones(n) if table.weight is None else table.weight
        ch = np.full(n, UNKNOWN_CHANNEL) if table.channel is None else table.channel
        ids = np.array([CHANNEL_PROCESS_ID.get(c, 700) for c in CHANNELS] + [UNKNOWN_PROCESS_ID])
        pids = ids[np.where(ch >= 0, ch, len(CHANNELS))]
        for i in range(n):
            e_nu = float(table.E_nu[i])
            ev = hp.GenEvent(hp.Units.GEV, hp.Units.MM)
            ev.run_info = self._ri
            ev.event_number = self.n_written + i
            ev.weights = [float(w[i])]
            ev.attributes["signal_process_id"] = int(pids[i])
            ev.attributes["lab_pos"] = _LAB_POS  # E.R.5 (1.0.0 name); LabPos for readers of the draft name
            ev.attributes["LabPos"] = _LAB_POS
            v = hp.GenVertex()
            v.status = 1
            v.add_particle_in(hp.GenParticle((0.0, 0.0, e_nu, e_nu), self.meta.probe_pdg, 4))
            v.add_particle_in(hp.GenParticle((0.0, 0.0, 0.0, self._m_target), self._pdg_target, 20))
            px, py, pz, e = (float(x) for x in mu[i])
            v.add_particle_out(hp.GenParticle((px, py, pz, e), self._pdg_mu, 1))
            v.add_particle_out(hp.GenParticle((-px, -py, e_nu - pz, e_nu + self._m_target - e), REMNANT_PDG, 1))
            ev.add_vertex(v)
            self._writer.write_event(ev)
        self.n_written += n


def write_nuhepmc(
    table: EventTable,
    path: str | os.PathLike[str],
    *,
    xsec_cm2: float | None = None,
    seed: int = 0,
    chunk_size: int = 100_000,
) -> Path:
    """Write a whole table to NuHepMC (see :class:`NuHepMCWriter`); returns the path."""
    with NuHepMCWriter(path, table.meta, xsec_cm2=xsec_cm2, seed=seed) as w:
        for start in range(0, len(table), chunk_size):
            w.write(table[start : start + chunk_size])
    return w.path


# ----------------------------------------------------------------------------------- checking
def check_nuhepmc(
    path: str | os.PathLike[str], *, max_events: int | None = None, max_per_rule: int = 5
) -> list[Violation]:
    """Violations of the NuHepMC requirements G.R.1-8 and E.R.1-8 (see :mod:`nugan.events.nuhepmc_check`)."""
    from nugan.events.nuhepmc_check import check_nuhepmc as check

    return check(path, max_events=max_events, max_per_rule=max_per_rule)


# ----------------------------------------------------------------------------------- reading
def _attr(attrs: Any, name: str, typ: type) -> Any:
    """A run/event attribute converted to ``typ``, or None when absent."""
    if name not in attrs:
        return None
    value = attrs[name]
    return value.astype(typ) if hasattr(value, "astype") else typ(value)


def _za(pdg: int) -> tuple[int, int]:
    """(Z, A) of a target PDG code (nucleus 100ZZZAAAI, proton, neutron); (0, 0) if none."""
    if pdg == 2212:
        return 1, 1
    if pdg == 2112:
        return 0, 1
    if pdg >= 1000000000:
        return (pdg // 10000) % 1000, (pdg // 10) % 1000
    return 0, 0


def refuse_hepmc2(path: str | os.PathLike[str], head: bytes) -> None:
    """Raise if ``head`` (the first bytes of a file) opens a HepMC2 (IO_GenEvent) listing.

    Both HepMC2 and HepMC3 files start with a ``HepMC::Version`` line (HepMC3 can also write the
    HepMC2 format), so the listing line that follows tells them apart.
    """
    lines = head.lstrip().splitlines()[:2]
    if any(line.strip().startswith(_HEPMC2_LISTING) for line in lines):
        raise ValueError(f"{path}: HepMC2 file; nugan reads HepMC3 / NuHepMC only")


def _check_complete(path: Path) -> None:
    """Raise for a HepMC2 file, or unless the file ends with the HepMC3 end-of-listing line."""
    with open(path, "rb") as f:
        refuse_hepmc2(path, f.read(256))
        f.seek(max(0, path.stat().st_size - 256))
        tail = f.read()
    if _ENDING not in tail:
        raise ValueError(
            f"{path}: HepMC3 file is truncated (no '{_ENDING.decode()}' line at the end); the writer did not finish"
        )


def _event_row(ev: Any) -> tuple[list[float], int, int, int, int, float]:
    """([E, px, py, pz] of beam and muon in GeV, beam pdg, target pdg, muon pdg, process, weight).

    Missing particles give NaN kinematics and PDG code 0; a missing process ID gives -1.
    """
    import pyhepmc as hp

    scale = _MEV if ev.momentum_unit == hp.Units.MEV else 1.0
    beam = target = muon = None
    for p in ev.particles:
        if p.status == 4 and beam is None:
            beam = p
        elif p.status in (20, 11) and target is None:
            target = p
        elif p.status == 1 and abs(p.pid) == 13 and muon is None:
            muon = p
    kin = [np.nan] * 8
    if beam is not None:
        m = beam.momentum
        kin[:4] = [m.e * scale, m.px * scale, m.py * scale, m.pz * scale]
    if muon is not None:
        m = muon.momentum
        kin[4:] = [m.e * scale, m.px * scale, m.py * scale, m.pz * scale]
    pid = _attr(ev.attributes, "signal_process_id", int)
    w = ev.weights[0] if len(ev.weights) else 1.0
    return (
        kin,
        0 if beam is None else beam.pid,
        0 if target is None else target.pid,
        0 if muon is None else muon.pid,
        -1 if pid is None else pid,
        w,
    )


def _run_meta(ri: Any) -> tuple[SampleMeta, set[str]]:
    """Template metadata and the declared conventions of a run info."""
    a = ri.attributes
    text = _attr(a, "NuHepMC.Provenance.nugan.SampleMeta", str)
    if text:
        meta = SampleMeta.from_json(text)
    elif ri.tools:
        t = ri.tools[0]
        meta = SampleMeta(source=t.name.lower(), model=t.name, generator_version=t.version)
    else:
        meta = SampleMeta(source="nuhepmc")
    conventions = set((_attr(a, "NuHepMC.Conventions", str) or "").split())
    return meta, conventions


def _fatx_cm2(ri: Any, last_event: Any) -> float | None:
    """Flux-averaged total cross section in declared units -> cm^2 (per the declared scale)."""
    a = ri.attributes
    value = _attr(a, "NuHepMC.FluxAveragedTotalCrossSection", float)
    if value is None and last_event is not None and last_event.cross_section is not None:
        value = float(last_event.cross_section.xsec())
    unit = (_attr(a, "NuHepMC.Units.CrossSection.Unit", str) or "pb").strip()
    if value is None or unit not in _XS_UNITS:
        return None
    return value * _XS_UNITS[unit]


def _xsec_share(ri: Any, last: Any, A: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """Per-event share of the cross section per nucleon [cm^2]: FATX x CV weight / sum(weights)."""
    fatx = _fatx_cm2(ri, last)
    if fatx is None or weight.sum() <= 0:
        return None
    scale = _attr(ri.attributes, "NuHepMC.Units.CrossSection.TargetScale", str) or ""
    scale = scale.strip().lower()
    if scale in _PER_ATOM:
        per_nucleon = fatx / np.where(A > 0, A, 1)
    elif scale in _PER_NUCLEON:
        per_nucleon = np.full(len(A), fatx)
    else:
        return None
    return per_nucleon * weight / weight.sum()


def load_nuhepmc(path: str | os.PathLike[str]) -> RawEvents:
    """Every event of a NuHepMC / HepMC3 ASCII file with CC/muon rejection masks."""
    import pyhepmc as hp

    path = Path(path)
    _check_complete(path)
    rows, ri, last = [], None, None
    with hp.open(str(path)) as f:
        for ev in f:
            ri = ev.run_info if ri is None else ri
            rows.append(_event_row(ev))
            last = ev
    n = len(rows)
    if ri is None:
        raise ValueError(f"{path}: HepMC3 file holds no event")
    kin = np.array([r[0] for r in rows], dtype=np.float64).reshape(n, 8)
    ids = np.array([r[1:5] for r in rows], dtype=np.int64).reshape(n, 4)
    weight = np.array([r[5] for r in rows], dtype=np.float64)
    meta, conventions = _run_meta(ri)
    za = np.array([_za(int(t)) for t in ids[:, 1]], dtype=np.int64).reshape(n, 2)
    has_muon = ids[:, 2] != 0
    if "E.C.1" in conventions:
        channel, cc = process_to_channel(ids[:, 3])
    else:
        channel, cc = np.full(n, UNKNOWN_CHANNEL, dtype=np.int8), has_muon
    return RawEvents(
        E_nu=kin[:, 0],
        E_mu=kin[:, 4],
        cos_theta=cos_between(kin[:, 1:4], kin[:, 5:8]),
        probe_pdg=ids[:, 0],
        target_Z=za[:, 0],
        target_A=za[:, 1],
        channel=channel,
        weight=weight_or_none(weight),
        xsec_share=_xsec_share(ri, last, za[:, 1], weight),
        rejects={
            "no target nucleus (status 20)": za[:, 1] == 0,
            "not charged current (signal_process_id)": ~cc,
            "no final-state muon": ~has_muon,
        },
        meta=meta,
    )
