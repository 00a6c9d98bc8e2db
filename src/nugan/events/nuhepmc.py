"""NuHepMC (HepMC3 ASCII, NuHepMC spec v1.0.0) reader (pyhepmc) and streaming writer.

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
one. The run info (file head) is written by pyhepmc's ``WriterAscii``; the events are formatted from each
chunk's arrays as HepMC3 Asciiv3 text, byte for byte what ``WriterAscii`` writes for the same events (momenta
``%.16e``, weights ``%.22e``). :func:`check_nuhepmc` checks a file against the
requirements G.R.1-8 and E.R.1-9.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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


# ----------------------------------------------------------------------------------- event text
# HepMC3 Asciiv3 event lines formatted from NumPy arrays, byte for byte as HepMC3's WriterAscii writes them
# (pyhepmc 2.16 / HepMC3 3.2): momenta and masses as printf "%.16e", weights "%.22e". Each variable field is a
# (rows, width) uint8 matrix, right-aligned and NUL-padded, with each row's text width; events whose fields all
# have the same widths share one layout and are joined as one matrix, then put back in event order.
_LE32 = np.dtype("<u4")
_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp splitting of a float64 into two 26-bit halves
_POW10 = np.array([10.0**s for s in range(23)])  # exact in float64 up to 10**22
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)  # 10 .. 10**18
_KMIN, _KMAX = -6, 16  # decimal exponents formatted in NumPy; others (and inf, nan) by Python's "%.16e"


def _words(texts: Any) -> np.ndarray:
    """4-byte ASCII texts as little-endian uint32 words."""
    return np.frombuffer("".join(texts).encode("ascii"), dtype=_LE32)


_DIGITS4 = _words(f"{i:04d}" for i in range(10000))
_LEAD = _words("\0" + ("-" if neg else "\0") + str(d) + "." for neg in (0, 1) for d in range(10))
_EXPONENT = _words(f"e{k:+03d}" for k in range(_KMIN, _KMAX + 1))


#: Word masks keeping the last ``d`` bytes of a 20-byte integer field, for d = 0 .. 20.
_INT_MASKS = np.where(np.arange(20)[None, :] >= 20 - np.arange(21)[:, None], 255, 0).astype(np.uint8).view(_LE32)


class _Field(NamedTuple):
    """Right-aligned, NUL-padded text of one value per row, and each row's text width."""

    text: np.ndarray
    width: np.ndarray


def _two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * b`` as ``p + err`` exactly (Dekker), with ``p`` the rounded product."""
    p = a * b
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _python_field(field: _Field, rows: np.ndarray, strings: list[str]) -> None:
    """Overwrite ``rows`` of ``field`` with the given (ASCII) strings."""
    size = field.text.shape[1]
    text = "".join(s.rjust(size, "\0") for s in strings).encode("ascii")
    field.text[rows] = np.frombuffer(text, dtype=np.uint8).reshape(len(strings), size)
    field.width[rows] = [len(s) for s in strings]


def _format_e16(x: np.ndarray) -> _Field:
    """``"%.16e" % v`` for each float64 (17 significant digits, correctly rounded, as C printf writes them).

    For |v| in [1e-6, 1e17) and 0 the 17 digits are ``round(|v| * 10**(16 - k))`` with ``k`` the decimal
    exponent, computed exactly as a two-term product (10**s is exact for s <= 22); other values go through Python.
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    fast = ((a >= 1e-6) & (a < 1e17)) | (a == 0)
    a = np.where(fast, a, 0.0)
    k = np.clip(np.floor(np.log10(np.maximum(a, 1e-6))).astype(np.int64), _KMIN, _KMAX)
    k[a == 0] = 0  # 0.0000000000000000e+00
    p, err = _two_product(a, _POW10[16 - k])
    for _ in range(3):  # log10 may be one off: move k until 1e16 <= |v| * 10**(16 - k) < 1e17 exactly
        low = (p < 1e16) | ((p == 1e16) & (err < 0))
        high = (p > 1e17) | ((p == 1e17) & (err >= 0))
        move = (low | high) & (a > 0)
        if not move.any():
            break
        k = k - (low & move) + (high & move)
        fast &= ~(move & ((k < _KMIN) | (k > _KMAX)))
        k = np.clip(k, _KMIN, _KMAX)
        p[move], err[move] = _two_product(a[move], _POW10[16 - k[move]])
    d = p.astype(np.int64) + np.rint(err).astype(np.int64)  # p is even (its ulp >= 2): ties go to even
    carry = d >= 10**17  # rounded up to 10**17: 1.0000000000000000e(k+1)
    if carry.any():
        d[carry] = 10**16
        k = np.clip(k + carry, _KMIN, _KMAX)
    neg = np.signbit(x)
    hi = d // 10**8  # the leading digit and the next 8; the last 8 in int32
    lo = (d - hi * 10**8).astype(np.int32)
    lead = (hi // 10**8).astype(np.int32)
    mid = hi.astype(np.int32) - lead * 10**8
    g0, g2 = mid // 10**4, lo // 10**4
    words = np.empty((len(x), 6), dtype=_LE32)
    words[:, 0] = _LEAD[neg * 10 + lead]
    words[:, 1] = _DIGITS4[g0]
    words[:, 2] = _DIGITS4[mid - g0 * 10**4]
    words[:, 3] = _DIGITS4[g2]
    words[:, 4] = _DIGITS4[lo - g2 * 10**4]
    words[:, 5] = _EXPONENT[k - _KMIN]
    field = _Field(words.view(np.uint8), 22 + neg)
    slow = np.flatnonzero(~fast)
    if len(slow):
        _python_field(field, slow, [f"{v:.16e}" for v in x[slow].tolist()])
    return field


def _negated(field: _Field, x: np.ndarray) -> _Field:
    """The text of ``-x`` from that of ``x`` (the digits are the same)."""
    text = field.text.copy()
    text[:, 1] ^= ord("-")  # the sign byte: NUL <-> "-"
    out = _Field(text, field.width + np.where(np.signbit(x), -1, 1))
    slow = np.flatnonzero(text[:, 3] != ord("."))  # Python-formatted rows of another layout (3-digit exponent, nan)
    if len(slow):
        _python_field(out, slow, [f"{-v:.16e}" for v in x[slow].tolist()])
    return out


def _format_int(x: np.ndarray) -> _Field:
    """Decimal text of non-negative integers below 10**16 (others through Python)."""
    x = np.asarray(x, dtype=np.int64)
    fast = (x >= 0) & (x < 10**16)
    v = np.where(fast, x, 0)
    hi = v // 10**8
    lo = v - hi * 10**8
    words = np.zeros((len(v), 5), dtype=_LE32)  # 20 bytes: room for any int64 from Python
    for j, (q, r) in enumerate(((hi // 10**4, hi % 10**4), (lo // 10**4, lo % 10**4))):
        words[:, 1 + 2 * j] = _DIGITS4[q]
        words[:, 2 + 2 * j] = _DIGITS4[r]
    ndigits = np.searchsorted(_POWERS_OF_TEN, v, side="right") + 1
    words &= _INT_MASKS[ndigits]  # the leading zeros cleared
    field = _Field(words.view(np.uint8), ndigits)
    slow = np.flatnonzero(~fast)
    if len(slow):
        _python_field(field, slow, [str(v) for v in x[slow].tolist()])
    return field


def _format_unique(x: np.ndarray, spec: str) -> _Field:
    """``format(v, spec)`` for each value, formatted once per distinct value by Python."""
    values, inverse = np.unique(x, return_inverse=True)
    strings = [format(v, spec) for v in values.tolist()]
    size = max(len(s) for s in strings)
    table = _Field(np.zeros((len(values), size), dtype=np.uint8), np.zeros(len(values), dtype=np.int64))
    _python_field(table, np.arange(len(values)), strings)
    return _Field(table.text[inverse], table.width[inverse])


def _join(
    parts: list[bytes | _Field], n: int, rows: np.ndarray | None = None, templates: dict[Any, np.ndarray] | None = None
) -> memoryview:
    """The text of ``n`` records, each the concatenation of ``parts`` (constant bytes, or one field per record).

    Records whose fields have the same widths share a layout. Each group of such records (contiguous when the
    caller ordered them so, else sorted here) is filled as one uint8 matrix, a row per record: a template row
    holding the constants, then one column slice per field. An Arrow ``take`` on the rows then writes record
    ``i`` at position ``rows[i]`` (default: in the order given). ``templates`` (a dict the caller keeps
    between calls) caches the template row of each layout.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if n == 0:
        return memoryview(b"")
    rows = np.arange(n) if rows is None else rows
    templates = {} if templates is None else templates
    fields = [p for p in parts if isinstance(p, _Field)]
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for f in fields:
        lo, hi = int(f.width.min()), int(f.width.max())
        if hi > lo:
            key += (f.width - lo) * span
            span *= hi - lo + 1
    if span >= 2**62:  # too many layouts to number them so: one per distinct row of widths
        key = np.unique(np.stack([f.width for f in fields], axis=1), axis=0, return_inverse=True)[1].ravel()
    bounds = np.flatnonzero(np.diff(key)) + 1
    if len(bounds) >= len(np.unique(key)):  # a layout in more than one run: sort the records by layout
        order = np.argsort(key, kind="stable")
        parts = [_Field(p.text[order], p.width[order]) if isinstance(p, _Field) else p for p in parts]
        fields = [p for p in parts if isinstance(p, _Field)]
        key, rows = key[order], rows[order]
        bounds = np.flatnonzero(np.diff(key)) + 1
    lengths = np.full(n, sum(len(p) for p in parts if isinstance(p, bytes)), dtype=np.int64)
    for f in fields:
        lengths += f.width
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), n], strict=True):
        widths = [len(p) if isinstance(p, bytes) else int(p.width[a]) for p in parts]
        layout = (*widths, *(p for p in parts if isinstance(p, bytes)))
        template = templates.get(layout)
        if template is None:
            template = np.frombuffer(
                b"".join(p if isinstance(p, bytes) else bytes(w) for p, w in zip(parts, widths, strict=True)),
                dtype=np.uint8,
            )
            templates[layout] = template
        block = data[offsets[a] : offsets[b]].reshape(b - a, len(template))
        block[...] = template
        col = 0
        for p, w in zip(parts, widths, strict=True):
            if isinstance(p, _Field):
                block[:, col : col + w] = p.text[a:b, p.text.shape[1] - w :]
            col += w
    if np.array_equal(rows, np.arange(n)):
        return memoryview(data.data)
    table = pa.LargeBinaryArray.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    inverse = np.empty(n, dtype=np.int64)
    inverse[rows] = np.arange(n)
    joined = pc.take(table, pa.array(inverse))
    _, joined_offsets, joined_data = joined.buffers()
    first, last = np.frombuffer(joined_offsets, dtype=np.int64)[[0, n]]
    return memoryview(joined_data)[first:last]


_BLOCK = 4096  # events formatted at once: their text matrices stay in cache (and bounded in memory)
_FOOTER = _ENDING + b"\n\n"
_ONE_WEIGHT = f"{1.0:.22e}".encode()  # the CV weight of an unweighted sample
_EVENT_ATTRIBUTES = (  # HepMC3 writes event attributes sorted by name; lab_pos: E.R.5, LabPos: its draft name
    b"\nA 0 LabPos 0.000000 0.000000 0.000000\nA 0 lab_pos 0.000000 0.000000 0.000000\nA 0 signal_process_id "
)
#: E.C.1 process ID of each channel code (index -1 / len(CHANNELS): unknown).
_PROCESS_IDS = np.array([CHANNEL_PROCESS_ID.get(c, 700) for c in CHANNELS] + [UNKNOWN_PROCESS_ID], dtype=np.int64)


def _header(ri: Any) -> bytes:
    """The file head pyhepmc's ``WriterAscii`` writes for run info ``ri`` (version, listing start, W, T, A lines)."""
    import tempfile

    import pyhepmc as hp

    with tempfile.TemporaryDirectory(prefix="nugan-hepmc-") as d:
        path = Path(d) / "head.hepmc3"
        writer = hp.io.WriterAscii(str(path), ri)
        writer.close()
        text = path.read_bytes()
    if not text.endswith(_FOOTER):
        raise RuntimeError(f"pyhepmc wrote an unexpected run-info block ending {text[-60:]!r}")
    return text[: -len(_FOOTER)]


def _mass(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The mass HepMC3 writes for a particle without a set mass: FourVector::m(), with its sign convention."""
    m2 = e * e - ((px * px + py * py) + pz * pz)
    return np.where(m2 > 0.0, np.sqrt(np.abs(m2)), -np.sqrt(np.abs(m2)))


class NuHepMCWriter(AtomicStreamWriter[EventTable]):
    """Streaming NuHepMC writer: ``write`` chunks of events; the file appears on ``close``.

    Args:
        path: output file (``.hepmc3``); written as ``path.<pid>.tmp`` then renamed.
        meta: the sample's metadata (probe, target, provenance).
        xsec_cm2: flux-averaged total cross section per nucleon [cm^2] of the events written;
            default ``meta.xsec_cm2``. The file declares it (G.C.2), so it must be known.
        seed: seed of the muon azimuth generator.

    The run info (header) is written by pyhepmc's ``WriterAscii``; the events are formatted from the
    chunk's arrays as HepMC3 Asciiv3 text, the same bytes ``WriterAscii`` writes for them. Use as a
    context manager; on an exception the temporary file is removed.
    """

    def __init__(
        self, path: str | os.PathLike[str], meta: SampleMeta, *, xsec_cm2: float | None = None, seed: int = 0
    ) -> None:
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
        self._templates: dict[Any, np.ndarray] = {}
        import pyarrow.compute  # noqa: F401 (imported here, not inside the first write)

        header = _header(_run_info(meta, xs, seed))
        self._m_target = nuclear_mass(meta.target_Z, meta.target_A)
        self._pdg_mu = 13 if meta.probe_pdg > 0 else -13
        m = self._m_target
        target_mass = _mass(np.zeros(1), np.zeros(1), np.zeros(1), np.array([m]))[0]
        zero = f"{0.0:.16e}"
        self._beam = f"\nP 1 0 {meta.probe_pdg} {zero} {zero} ".encode()
        self._target = (
            f" {zero} 4\nP 2 0 {nucleus_pdg(meta.target_Z, meta.target_A)} {zero} {zero} {zero} "
            f"{m:.16e} {target_mass:.16e} 20\nV -1 1 [1,2]\nP 3 -1 {self._pdg_mu} "
        ).encode()
        super().__init__(self.path)
        try:
            self._writer = open(self._tmp, "wb")  # noqa: SIM115 (closed by close or abort)
            self._writer.write(header)
        except BaseException:
            self.abort()
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
        self._check(table)
        n = len(table)
        phi = self._rng.uniform(0.0, 2.0 * np.pi, size=n)
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            parts, rows = self._event_parts(table[start:stop], phi[start:stop], self.n_written + start)
            self._writer.write(_join(parts, stop - start, rows, self._templates))
        self.n_written += n

    def _event_parts(self, table: EventTable, phi: np.ndarray, first: int) -> tuple[list[bytes | _Field], np.ndarray]:
        """The HepMC3 text of the events of ``table``, numbered from ``first``, as parts for :func:`_join`,
        with the position of each row."""
        n = len(table)
        e_nu, e_mu = np.asarray(table.E_nu, dtype=np.float64), np.asarray(table.E_mu, dtype=np.float64)
        p = np.sqrt(np.clip(e_mu**2 - M_MU**2, 0.0, None))
        sin = np.sqrt(np.clip(1.0 - table.cos_theta**2, 0.0, None))
        px, py, pz = p * sin * np.cos(phi), p * sin * np.sin(phi), p * table.cos_theta
        pz_r, e_r = e_nu - pz, e_nu + self._m_target - e_mu
        ch = np.full(n, UNKNOWN_CHANNEL) if table.channel is None else table.channel
        pids = _PROCESS_IDS[np.where(ch >= 0, ch, len(CHANNELS))]
        numbers = first + np.arange(n)
        m_mu, m_r = _mass(px, py, pz, e_mu), _mass(-px, -py, pz_r, e_r)
        # events formatted grouped by the signs that vary (px, py, pz; a negative remnant mass where the
        # kinematics are unphysical) and the digits of their number, which give the layout of nearly every event
        # (see _join); rows says where each goes back
        layout = (
            np.signbit(px)
            + 2 * np.signbit(py)
            + 4 * np.signbit(pz)
            + 8 * np.signbit(m_r)
            + 16 * np.searchsorted(_POWERS_OF_TEN, numbers, side="right")
        )
        rows = np.argsort(layout, kind="stable")
        values = tuple(v[rows] for v in (e_nu, px, py, pz, e_mu, m_mu, pz_r, e_r, m_r))
        px, py = values[1], values[2]
        pids, numbers = pids[rows], numbers[rows]
        weight = _ONE_WEIGHT if table.weight is None else _format_unique(table.weight[rows], ".22e")
        text = _format_e16(np.concatenate(values))  # one call for all: NumPy's per-call cost paid once
        enu, fpx, fpy, fpz, fe, fm, fpz_r, fe_r, fm_r = (
            _Field(text.text[i * n : (i + 1) * n], text.width[i * n : (i + 1) * n]) for i in range(len(values))
        )
        parts: list[bytes | _Field] = [
            b"E ",
            _format_int(numbers),
            b" 1 4\nU GEV MM\nW ",
            weight,
            _EVENT_ATTRIBUTES,
            _format_unique(pids, "d"),
            self._beam,
            enu,
            b" ",
            enu,
            self._target,
            fpx,
            b" ",
            fpy,
            b" ",
            fpz,
            b" ",
            fe,
            b" ",
            fm,
            f" 1\nP 4 -1 {REMNANT_PDG} ".encode(),
            _negated(fpx, px),
            b" ",
            _negated(fpy, py),
            b" ",
            fpz_r,
            b" ",
            fe_r,
            b" ",
            fm_r,
            b" 1\n",
        ]
        return parts, rows

    def close(self) -> Path:
        """Write the end-of-listing line, finish the file and move it into place."""
        try:
            self._writer.write(_FOOTER)
        except BaseException:
            self.abort()
            raise
        return super().close()


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
    """Violations of the NuHepMC requirements G.R.1-8 and E.R.1-9 (see :mod:`nugan.events.nuhepmc_check`)."""
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
