"""NuHepMC requirements G.R.1-8 and E.R.1-9: nugan's writer output passes; a file broken for one rule fails it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyhepmc as hp
import pytest

from nugan.events import EventTable, SampleMeta
from nugan.events.nuhepmc import REMNANT_PDG, check_nuhepmc, write_nuhepmc
from nugan.events.nuhepmc_check import RULES, Violation

XS = 1.1e-38  # cm^2 per nucleon


def _table(n: int = 40, seed: int = 2, source: str = "test", weight: bool = True) -> EventTable:
    rng = np.random.default_rng(seed)
    e_nu = rng.uniform(0.5, 5.0, n)
    e_mu = np.maximum(rng.uniform(0.2, 1.0, n) * e_nu, 0.11)
    meta = SampleMeta(probe_pdg=14, target_Z=6, target_A=12, model="toy", source=source, xsec_cm2=XS)
    return EventTable(
        e_nu,
        e_mu,
        rng.uniform(-1.0, 1.0, n),
        meta=meta,
        channel=rng.integers(-1, 6, n),
        weight=rng.uniform(0.5, 2.0, n) if weight else None,
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A nugan NuHepMC file: several chunks, every channel and the unknown one, weights, a source tool
    without a version."""
    return write_nuhepmc(_table(), tmp_path / "good.hepmc3", chunk_size=16)


def _rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def _broken(good: Path, edit: Callable[[str], str]) -> Path:
    """A copy of ``good`` with its text edited (the edit must change it)."""
    text = good.read_text()
    new = edit(text)
    assert new != text, "the edit did not change the file"
    out = good.with_name("broken.hepmc3")
    out.write_text(new)
    return out


def _drop(pattern: str) -> Callable[[str], str]:
    """Remove every line matching ``pattern`` (a regular expression anchored at the line start)."""
    return lambda text: "".join(line for line in text.splitlines(keepends=True) if not re.match(pattern, line))


def _first(old: str, new: str) -> Callable[[str], str]:
    """Replace the first occurrence of ``old``."""
    return lambda text: text.replace(old, new, 1)


def test_writer_output_meets_every_requirement(good: Path) -> None:
    assert check_nuhepmc(good) == []


def test_writer_output_without_weights_or_channels_meets_every_requirement(tmp_path: Path) -> None:
    t = _table(10, source="nugan", weight=False)
    t = EventTable(t.E_nu, t.E_mu, t.cos_theta, meta=t.meta)
    assert check_nuhepmc(write_nuhepmc(t, tmp_path / "plain.hepmc3")) == []


def test_rules_table_lists_the_checked_requirements() -> None:
    assert list(RULES) == [f"G.R.{i}" for i in range(1, 9)] + [f"E.R.{i}" for i in range(1, 10)]


# one edit per rule: (rule, edit of the good file's text)
BROKEN: list[tuple[str, Callable[[str], str]]] = [
    ("G.R.1", _drop(r"[WTA] ")),  # no run-level lines (event attribute lines start with "A 0", kept below)
    ("G.R.2", _drop(r"A NuHepMC\.Version\.Minor ")),
    ("G.R.3", _first("T nugan\\|0.1.0\\|", "T nugan\\|\\|")),
    ("G.R.4", _drop(r"A NuHepMC\.ProcessInfo\[200\]\.Description ")),
    ("G.R.5", _drop(r"A NuHepMC\.VertexStatusInfo\[1\]\.Name ")),
    ("G.R.6", lambda t: re.sub(rf"(\nP 4 -1 {REMNANT_PDG} [^\n]*) 1\n", r"\1 25\n", t, count=1)),
    ("G.R.7", _first("\nW CV\n", "\nW nominal\n")),
    ("G.R.8", _drop(r"A NuHepMC\.AdditionalParticleNumbers ")),
    (
        "E.R.1",
        lambda t: re.sub(r"\nE 0 1 4\n", "\nE 0 1 5\n", t, count=1).replace(
            "\nE 1 ", "\nP 5 0 22 0 0 1 1 0 1\nE 1 ", 1
        ),
    ),
    ("E.R.2", _first("\nE 1 1 4\n", "\nE 0 1 4\n")),
    ("E.R.3", lambda t: re.sub(r"signal_process_id \d+", "signal_process_id 999", t, count=1)),
    ("E.R.4", _drop(r"U GEV MM")),
    ("E.R.5", _drop(r"A 0 (lab_pos|LabPos) ")),
    ("E.R.6", _first("\nV -1 1 [", "\nV -1 0 [")),
    ("E.R.7", lambda t: re.sub(r"(\nP 2 0 1000060120 [^\n]*) 20\n", r"\1 4\n", t, count=1)),
    ("E.R.8", lambda t: re.sub(r"(\nP 3 -1 13 [^\n]*) 1\n", r"\1 3\n", t, count=1)),
    ("E.R.9", _first(f"\nP 2 0 1000060120 {0.0:.16e} ", f"\nP 2 0 1000060120 {0.1:.16e} ")),  # a moving target
]


@pytest.mark.parametrize(("rule", "edit"), BROKEN, ids=[r for r, _ in BROKEN])
def test_a_file_broken_for_one_rule_fails_it(good: Path, rule: str, edit: Callable[[str], str]) -> None:
    found = check_nuhepmc(_broken(good, edit))
    assert rule in _rules(found), [str(v) for v in found]


def test_every_rule_has_a_broken_file() -> None:
    assert [r for r, _ in BROKEN] == list(RULES)


def test_g_r_8_undeclared_nonstandard_number_is_reported(good: Path) -> None:
    # P.C.2 exempts the remnant 2009900000 only; another code with digits 6-7 = 99 must be declared
    broken = _broken(good, _first(f"\nP 4 -1 {REMNANT_PDG} ", "\nP 4 -1 2009900001 "))
    found = [v for v in check_nuhepmc(broken) if v.rule == "G.R.8"]
    assert len(found) == 1 and "2009900001" in found[0].message


def test_e_r_5_accepts_either_attribute_name_and_four_numbers(good: Path) -> None:
    assert check_nuhepmc(_broken(good, _drop(r"A 0 LabPos "))) == []
    assert check_nuhepmc(_broken(good, _drop(r"A 0 lab_pos "))) == []
    four = _broken(
        good, lambda t: t.replace("lab_pos 0.000000 0.000000 0.000000", "lab_pos 0.000000 0.000000 0.000000 1e-9")
    )
    assert check_nuhepmc(four) == []
    two = _broken(good, lambda t: t.replace("lab_pos 0.000000 0.000000 0.000000", "lab_pos 0 0"))
    assert "E.R.5" in _rules(check_nuhepmc(two))


def test_e_r_7_two_beams_fail(tmp_path: Path) -> None:
    good = write_nuhepmc(_table(2), tmp_path / "g.hepmc3")
    with hp.open(str(good)) as f:
        ev = next(iter(f))
    v = ev.vertices[0]
    v.add_particle_in(hp.GenParticle((0.0, 0.0, 1.0, 1.0), 14, 4))
    with hp.open(str(tmp_path / "two.hepmc3"), "w") as out:
        out.write(ev)
    assert "E.R.7" in _rules(check_nuhepmc(tmp_path / "two.hepmc3"))


def test_violations_are_capped_per_rule(good: Path) -> None:
    found = check_nuhepmc(_broken(good, _drop(r"U GEV MM")), max_per_rule=3)
    er4 = [v for v in found if v.rule == "E.R.4"]
    assert len(er4) == 4 and er4[-1].message == "... and 37 more"
    assert str(er4[0]).startswith("E.R.4 Units (event 0): ")


def test_max_events_limits_the_check(good: Path) -> None:
    broken = _broken(good, lambda t: re.sub(r"\nE 39 1 4\n", "\nE 0 1 4\n", t))
    assert "E.R.2" in _rules(check_nuhepmc(broken))
    assert check_nuhepmc(broken, max_events=39) == []


def _events(path: Path) -> list[hp.GenEvent]:
    with hp.open(str(path)) as f:
        return list(f)


def _write(events: list[hp.GenEvent], path: Path) -> Path:
    with hp.io.WriterAscii(str(path), events[0].run_info) as out:
        for ev in events:
            out.write_event(ev)
    return path


def test_e_r_9_boosted_frame_fails(good: Path, tmp_path: Path) -> None:
    # the same events seen from a frame moving along -z: the beam stays massless and four-momentum stays conserved,
    # but the target moves
    beta = 0.3
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    events = _events(good)
    for ev in events:
        for p in ev.particles:
            m = p.momentum
            p.momentum = hp.FourVector(m.px, m.py, gamma * (m.pz + beta * m.e), gamma * (m.e + beta * m.pz))
    found = check_nuhepmc(_write(events, tmp_path / "boosted.hepmc3"), max_per_rule=100)
    assert _rules(found) == {"E.R.9"}
    assert len(found) == len(events) and all("target (status 20) is not at rest" in v.message for v in found)


def test_e_r_9_lab_frame_in_mev_passes(good: Path, tmp_path: Path) -> None:
    # unit conversion rounds every momentum; the check's tolerance is relative, so it passes in MeV as in GeV
    events = _events(good)
    for ev in events:
        ev.set_units(hp.Units.MEV, hp.Units.CM)
    assert check_nuhepmc(_write(events, tmp_path / "mev.hepmc3")) == []


def test_e_r_9_massive_beam_and_unbalanced_vertex_fail(good: Path) -> None:
    # beam energy above |p|: the neutrino is not massless (and the vertex no longer balances)
    massive = _broken(
        good, lambda t: re.sub(r"(\nP 1 0 14 \S+ \S+ \S+) \S+ ", r"\1 9.0000000000000000e+00 ", t, count=1)
    )
    messages = [v.message for v in check_nuhepmc(massive) if v.rule == "E.R.9"]
    assert any("massless neutrino" in m for m in messages)
    # muon momentum changed: beam and target fine, four-momentum not conserved at the primary vertex
    unbalanced = _broken(
        good, lambda t: re.sub(r"(\nP 3 -1 13 \S+ \S+) \S+ ", r"\1 1.2345000000000000e-01 ", t, count=1)
    )
    found = [v for v in check_nuhepmc(unbalanced) if v.rule == "E.R.9"]
    assert len(found) == 1 and found[0].event == 0 and "not conserved" in found[0].message


def test_e_r_9_conservation_is_checked_only_with_a_remnant(tmp_path: Path) -> None:
    # an event without the P.C.2 remnant (a generator that writes the full final state) need not balance exactly
    events = _events(write_nuhepmc(_table(3), tmp_path / "g.hepmc3"))
    for ev in events:
        remnant = next(p for p in ev.particles if p.pid == REMNANT_PDG)
        remnant.pid = 2212
    found = check_nuhepmc(_write(events, tmp_path / "proton.hepmc3"))
    assert "E.R.9" not in _rules(found)
    events[0].particles[2].momentum = hp.FourVector(0.0, 0.0, 0.5, 0.6)  # the muon: still not checked
    assert "E.R.9" not in _rules(check_nuhepmc(_write(events, tmp_path / "proton2.hepmc3")))
