"""Check a NuHepMC file against the generator-run (G.R.1-8) and event (E.R.1-9) requirements.

G.R.1-8 and E.R.1-8 are those of the NuHepMC specification text describing version 1.0.0 (NuHepMC/Spec); E.R.9
(Event Frame of Reference: momenta in the lab frame) is in the later revision of that text (README.md of
NuHepMC/Spec, still "Version 1.0.0"), which also renumbers the run requirements (G.R.1-11; see
``docs/formats.md``). Where the 1.0.0 upgrade renamed an attribute, both spellings are accepted: ``lab_pos`` /
``LabPos`` (E.R.5) and ``NuHepMC.AdditionalParticleNumber[<PDG>].Name`` /
``NuHepMC.AdditionalParticleInfo[<PDG>].Name`` (G.R.8). What each check tests, and which parts of a rule it
reads for an inclusive lepton-level event, is in ``docs/formats.md`` ("NuHepMC requirements"). Conventions
(G.C, E.C, P.C) are not checked, except that a signalled P.C.2 exempts the remnant code 2009900000 from G.R.8.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RULES", "Violation", "check_nuhepmc"]

#: The requirements checked, with their titles in the specification.
RULES: dict[str, str] = {
    "G.R.1": "Valid GenRunInfo",
    "G.R.2": "NuHepMC Version",
    "G.R.3": "Generator Identification",
    "G.R.4": "Process Metadata",
    "G.R.5": "Vertex Status Metadata",
    "G.R.6": "Particle Status Metadata",
    "G.R.7": "Event Weights",
    "G.R.8": "Non-standard Particle Numbers",
    "E.R.1": "HepMC3 Compatibility",
    "E.R.2": "Event Number",
    "E.R.3": "Process ID",
    "E.R.4": "Units",
    "E.R.5": "Lab Position",
    "E.R.6": "Vertices",
    "E.R.7": "Beam and Target Particles",
    "E.R.8": "Event Completeness",
    "E.R.9": "Event Frame of Reference",
}

#: Vertex status codes defined by the standard (0 is "not defined" and forbidden by E.R.6).
_STANDARD_VERTEX = {1, 2}
#: Particle status codes defined by HepMC3 (1-4) and NuHepMC (20, target).
_STANDARD_PARTICLE = {1, 2, 3, 4, 20}
_LEPTONS = {11, 12, 13, 14, 15, 16}
_NEUTRINOS = {12, 14, 16}
_REMNANT = 2009900000
#: E.R.9 tolerance, relative to the beam plus target energy: float64 rounding of the written momenta is ~1e-16.
LAB_FRAME_RTOL = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken requirement: ``rule`` (e.g. ``"E.R.3"``), ``event`` (0-based index in the file, None for
    the run), ``message``."""

    rule: str
    message: str
    event: int | None = None

    def __str__(self) -> str:
        where = "run" if self.event is None else f"event {self.event}"
        return f"{self.rule} {RULES.get(self.rule, '')} ({where}): {self.message}"


class _Collector:
    """Violations, at most ``cap`` kept per rule (the rest counted)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: list[Violation] = []
        self.counts: Counter[str] = Counter()

    def add(self, rule: str, message: str, event: int | None = None) -> None:
        self.counts[rule] += 1
        if self.counts[rule] <= self.cap:
            self.kept.append(Violation(rule, message, event))

    def result(self) -> list[Violation]:
        extra = [Violation(r, f"... and {n - self.cap} more") for r, n in sorted(self.counts.items()) if n > self.cap]
        return self.kept + extra


def _text(value: Any) -> str:
    """An attribute's value as text (pyhepmc gives unparsed attributes on reading)."""
    if hasattr(value, "astype"):
        return str(value.astype(str))
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _ints(value: Any) -> list[int] | None:
    """Whitespace-separated integers, or None when one does not parse."""
    try:
        return [int(x) for x in _text(value).split()]
    except ValueError:
        return None


def _floats(value: Any) -> list[float] | None:
    """Whitespace-separated floats, or None when one does not parse."""
    try:
        return [float(x) for x in _text(value).split()]
    except ValueError:
        return None


def _nonstandard_pdg(pid: int) -> bool:
    """Whether a particle number lies outside the PDG scheme: generator-internal 81-100, or digits 6-7 = 99."""
    a = abs(pid)
    return 81 <= a <= 100 or (a // 100000) % 100 == 99


def _declared(
    c: _Collector,
    attrs: dict[str, Any],
    rule: str,
    ids_name: str,
    info: tuple[str, ...],
    fields: tuple[str, ...] = ("Name", "Description"),
) -> set[int]:
    """IDs listed in ``NuHepMC.<ids_name>``, each checked for non-empty ``NuHepMC.<info>[ID].<field>``."""
    key = f"NuHepMC.{ids_name}"
    if key not in attrs:
        c.add(rule, f"attribute {key} is missing")
        return set()
    ids = _ints(attrs[key])
    if ids is None:
        c.add(rule, f"{key} is not a list of integers: {_text(attrs[key])!r}")
        return set()
    for i in ids:
        for field in fields:
            names = [f"NuHepMC.{stub}[{i}].{field}" for stub in info]
            if not any(n in attrs and _text(attrs[n]).strip() for n in names):
                c.add(rule, f"{names[0]} is missing or empty")
    return set(ids)


def _check_run(c: _Collector, ri: Any) -> dict[str, Any]:
    """G.R.1-4 and the declarations of G.R.5-8; returns the declared ID sets and conventions."""
    attrs = {k: v for k, v in ri.attributes.items()}
    for part in ("Major", "Minor", "Patch"):
        key = f"NuHepMC.Version.{part}"
        if key not in attrs:
            c.add("G.R.2", f"attribute {key} is missing")
        elif _ints(attrs[key]) is None or len(_ints(attrs[key]) or []) != 1:
            c.add("G.R.2", f"{key} is not an integer: {_text(attrs[key])!r}")
    tools = list(ri.tools)
    if not tools:
        c.add("G.R.3", "no ToolInfo (the generator is not identified)")
    for t in tools:
        if not t.name.strip() or not t.version.strip():
            c.add("G.R.3", f"ToolInfo with an empty name or version: name={t.name!r}, version={t.version!r}")
    return {
        "process": _declared(c, attrs, "G.R.4", "ProcessIDs", ("ProcessInfo",)),
        "vertex": _declared(c, attrs, "G.R.5", "VertexStatusIDs", ("VertexStatusInfo",)),
        "particle": _declared(c, attrs, "G.R.6", "ParticleStatusIDs", ("ParticleStatusInfo",)),
        "pdg": _declared(
            c,
            attrs,
            "G.R.8",
            "AdditionalParticleNumbers",
            ("AdditionalParticleNumber", "AdditionalParticleInfo"),
            fields=("Name",),
        ),
        "conventions": set(_text(attrs.get("NuHepMC.Conventions", "")).split()),
        "weights": list(ri.weight_names),
    }


def _check_event(c: _Collector, i: int, ev: Any, run: dict[str, Any], used: dict[str, set[int]]) -> None:
    """E.R.1-3 and E.R.5-9 of one event, the CV weight (G.R.7), and the codes it uses (for G.R.5, 6, 8)."""
    attrs = {k: v for k, v in ev.attributes.items()}
    parts, verts = list(ev.particles), list(ev.vertices)
    # E.R.1: HepMC3 event graph: every vertex has incoming and outgoing particles, no particle is detached
    attached: set[int] = set()
    for v in verts:
        pin, pout = list(v.particles_in), list(v.particles_out)
        if not pin or not pout:
            c.add("E.R.1", f"vertex {v.id} has {len(pin)} incoming and {len(pout)} outgoing particles", i)
        attached.update(p.id for p in pin + pout)
    for p in parts:
        if p.id not in attached:
            c.add("E.R.1", f"particle {p.id} (pdg {p.pid}) is attached to no vertex", i)
    # E.R.3: signal_process_id declared by G.R.4
    if "signal_process_id" not in attrs:
        c.add("E.R.3", "attribute signal_process_id is missing", i)
    else:
        pid = _ints(attrs["signal_process_id"])
        if pid is None or len(pid) != 1:
            c.add("E.R.3", f"signal_process_id is not an integer: {_text(attrs['signal_process_id'])!r}", i)
        elif pid[0] not in run["process"]:
            c.add("E.R.3", f"signal_process_id {pid[0]} is not declared in NuHepMC.ProcessIDs", i)
    # E.R.5: lab position, 3 (or 4 with time) numbers
    key = "lab_pos" if "lab_pos" in attrs else "LabPos" if "LabPos" in attrs else None
    pos = None if key is None else _floats(attrs[key])
    if key is None:
        c.add("E.R.5", "attribute lab_pos (LabPos) is missing", i)
    elif pos is None or len(pos) not in (3, 4):
        c.add("E.R.5", f"{key} is not 3 or 4 numbers: {_text(attrs[key])!r}", i)
    # E.R.6: one primary vertex, none undefined
    status = Counter(v.status for v in verts)
    if status[1] != 1 or status[0]:
        c.add(
            "E.R.6",
            f"{len(verts)} vertices, {status[1]} with status 1 (need exactly 1), {status[0]} with status 0 (need none)",
            i,
        )
    # E.R.7: exactly one beam and one target particle
    pstatus = Counter(p.status for p in parts)
    if pstatus[4] != 1 or pstatus[20] != 1:
        c.add(
            "E.R.7",
            f"{pstatus[4]} beam (status 4) and {pstatus[20]} target (status 20) particles; need exactly one of each",
            i,
        )
    # E.R.8 (lepton level): the outgoing lepton of the neutrino interaction is written as a final-state particle
    if not any(p.status == 1 and abs(p.pid) in _LEPTONS for p in parts):
        c.add("E.R.8", "no final-state (status 1) lepton", i)
    # E.R.9: momenta in the lab frame
    _check_lab_frame(c, i, parts, verts)
    # G.R.7: the CV weight is filled
    w = list(ev.weights)
    if "CV" in run["weights"] and len(w) != len(run["weights"]):
        c.add("G.R.7", f"{len(w)} weights for {len(run['weights'])} declared names (CV not filled)", i)
    used["vertex"].update(status)
    used["particle"].update(pstatus)
    used["pdg"].update(p.pid for p in parts)


def _four(p: Any) -> tuple[float, float, float, float]:
    m = p.momentum
    return (m.px, m.py, m.pz, m.e)


def _check_lab_frame(c: _Collector, i: int, parts: list[Any], verts: list[Any]) -> None:
    """E.R.9 for an event's beam and target, and four-momentum conservation in a lepton-level event.

    In the lab frame the target (status 20) is at rest: zero 3-momentum, and energy equal to its mass (> 0);
    a neutrino beam (status 4) is massless, E = |p| (another beam is not faster than light, E >= |p|). In a
    lepton-level event (the primary vertex takes in the beam and the target and gives out a P.C.2 remnant
    2009900000 carrying the balance), four-momentum is conserved at that vertex. All within ``LAB_FRAME_RTOL``
    of the beam plus target energy. Events without exactly one beam and one target are left to E.R.7.
    """
    beams = [p for p in parts if p.status == 4]
    targets = [p for p in parts if p.status == 20]
    if len(beams) != 1 or len(targets) != 1:
        return
    beam, target = _four(beams[0]), _four(targets[0])
    tol = LAB_FRAME_RTOL * max(abs(beam[3]) + abs(target[3]), 1e-300)
    p_target = math.hypot(*target[:3])
    if p_target > tol or target[3] <= 0:
        c.add(
            "E.R.9",
            f"target (status 20) is not at rest: |p| = {p_target:.6g}, E = {target[3]:.6g} "
            "(lab frame: |p| = 0, E = mass)",
            i,
        )
    p_beam = math.hypot(*beam[:3])
    massless = abs(beams[0].pid) in _NEUTRINOS
    if beam[3] <= 0 or (abs(beam[3] - p_beam) > tol if massless else p_beam - beam[3] > tol):
        want = "E = |p| (massless neutrino)" if massless else "E >= |p|"
        c.add("E.R.9", f"beam (status 4) has E = {beam[3]:.17g}, |p| = {p_beam:.17g}; lab frame needs {want}", i)
    for v in verts:
        pin, pout = list(v.particles_in), list(v.particles_out)
        ids = {p.id for p in pin}
        if v.status != 1 or not {beams[0].id, targets[0].id} <= ids or all(p.pid != _REMNANT for p in pout):
            continue
        diff = [sum(_four(p)[k] for p in pin) - sum(_four(p)[k] for p in pout) for k in range(4)]
        if max(abs(d) for d in diff) > tol:
            c.add(
                "E.R.9",
                "four-momentum not conserved at the primary vertex of a lepton-level event (in - out = "
                + ", ".join(f"{d:.3g}" for d in diff)
                + ")",
                i,
            )


def _check_usage(c: _Collector, run: dict[str, Any], used: dict[str, set[int]]) -> None:
    """Generator-specific status codes and particle numbers used must be declared (G.R.5, 6, 8)."""
    for rule, kind, standard in (("G.R.5", "vertex", _STANDARD_VERTEX), ("G.R.6", "particle", _STANDARD_PARTICLE)):
        for code in sorted(used[kind] - standard - run[kind] - {0}):
            c.add(rule, f"{kind} status {code} is used but not declared in NuHepMC.{kind.capitalize()}StatusIDs")
    exempt = {_REMNANT} if "P.C.2" in run["conventions"] else set()
    for pdg in sorted(p for p in used["pdg"] if _nonstandard_pdg(p)):
        if pdg not in run["pdg"] and abs(pdg) not in exempt:
            c.add(
                "G.R.8",
                f"non-standard particle number {pdg} is used but not declared in NuHepMC.AdditionalParticleNumbers",
            )


def _check_units_lines(c: _Collector, path: Path, max_events: int | None) -> None:
    """E.R.4: each event record (``E`` line) is followed by an explicit ``U`` units line."""
    i, expect_units = -1, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if expect_units and not line.startswith("U "):
                c.add("E.R.4", "no units line (U) after the event line", i)
            expect_units = False
            if line.startswith("E "):
                i, expect_units = i + 1, True
                if max_events is not None and i >= max_events:
                    return
    if expect_units:
        c.add("E.R.4", "no units line (U) after the event line", i)


def check_nuhepmc(
    path: str | os.PathLike[str], *, max_events: int | None = None, max_per_rule: int = 5
) -> list[Violation]:
    """Violations of G.R.1-8 and E.R.1-9 in a NuHepMC (HepMC3 ASCII) file; empty when it complies.

    Args:
        path: the file.
        max_events: check only the first events (default: all).
        max_per_rule: violations kept per rule; the rest are counted in a final "... and N more" entry.
    """
    import pyhepmc as hp

    path = Path(path)
    c = _Collector(max_per_rule)
    run: dict[str, Any] | None = None
    used: dict[str, set[int]] = {"vertex": set(), "particle": set(), "pdg": set()}
    numbers: Counter[int] = Counter()
    with hp.open(str(path)) as f:
        for i, ev in enumerate(f):
            if max_events is not None and i >= max_events:
                break
            ri = ev.run_info
            if run is None:
                if ri is None or (not list(ri.tools) and not len(list(ri.attributes.items()))):
                    c.add("G.R.1", "the file holds no GenRunInfo (no run-level T, W or A lines)")
                    return c.result()
                run = _check_run(c, ri)
                if "CV" not in run["weights"]:
                    c.add("G.R.7", f"no weight named CV declared (weights: {run['weights']})")
            if ev.event_number < 0:
                c.add("E.R.2", f"negative event number {ev.event_number}", i)
            numbers[ev.event_number] += 1
            if numbers[ev.event_number] == 2:
                c.add("E.R.2", f"event number {ev.event_number} is not unique", i)
            _check_event(c, i, ev, run, used)
    if run is None:
        c.add("G.R.1", "the file holds no event, hence no GenRunInfo")
        return c.result()
    _check_usage(c, run, used)
    _check_units_lines(c, path, max_events)
    return c.result()
