"""NuHepMC writer layout, streaming, round trips; reader on foreign-style (MeV, per-atom) files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyhepmc as hp
import pytest

from nugan.events import EventTable, SampleMeta, read_parquet, write_parquet
from nugan.events.nuhepmc import (
    REMNANT_PDG,
    NuHepMCWriter,
    nuclear_mass,
    process_to_channel,
    write_nuhepmc,
)
from nugan.events.readers import detect_format, load_events, read_events
from nugan.events.table import CHANNEL_CODES

XS = 1.25e-38  # cm^2 per nucleon


def _table(n: int = 50, seed: int = 1, probe: int = 14, channel: bool = True) -> EventTable:
    rng = np.random.default_rng(seed)
    e_nu = rng.uniform(0.5, 5.0, n)
    e_mu = rng.uniform(0.2, 1.0, n) * e_nu
    e_mu = np.maximum(e_mu, 0.11)
    cos = rng.uniform(-1.0, 1.0, n)
    ch = rng.integers(-1, 6, n) if channel else None
    meta = SampleMeta(probe_pdg=probe, target_Z=18, target_A=40, model="toy", source="nugan", xsec_cm2=XS)
    return EventTable(e_nu, e_mu, cos, meta=meta, channel=ch)


def _run_attr(ev: hp.GenEvent, name: str, typ: type) -> object:
    return ev.run_info.attributes[name].astype(typ)


def test_round_trip_nuwro_parquet_nuhepmc_parquet(nuwro_root_fixture: Path, tmp_path: Path) -> None:
    src = read_events(nuwro_root_fixture)
    write_parquet(src, tmp_path / "a.parquet")
    write_nuhepmc(read_parquet(tmp_path / "a.parquet"), tmp_path / "b.hepmc3", chunk_size=64)
    assert detect_format(tmp_path / "b.hepmc3") == "nuhepmc"
    write_parquet(read_events(tmp_path / "b.hepmc3"), tmp_path / "c.parquet")
    back = read_parquet(tmp_path / "c.parquet")
    assert len(back) == len(src) == 500
    for col in ("E_nu", "E_mu", "cos_theta"):
        np.testing.assert_allclose(getattr(back, col), getattr(src, col), rtol=1e-12, atol=1e-14)
    assert np.array_equal(back.channel, src.channel)
    assert back.meta.xsec_cm2 == pytest.approx(src.meta.xsec_cm2, rel=1e-12, abs=0)
    assert (back.meta.source, back.meta.seed, back.meta.target) == ("nuwro", 3001, "C12")


def test_writer_event_layout_and_run_info(tmp_path: Path) -> None:
    t = _table(20, probe=-14)
    write_nuhepmc(t, tmp_path / "x.hepmc3", seed=3)
    with hp.open(str(tmp_path / "x.hepmc3")) as f:
        events = list(f)
    assert len(events) == 20
    ev = events[0]
    assert _run_attr(ev, "NuHepMC.Version.Major", int) == 1
    conv = _run_attr(ev, "NuHepMC.Conventions", str).split()
    assert {"G.C.2", "E.C.1"} <= set(conv)
    fatx = _run_attr(ev, "NuHepMC.FluxAveragedTotalCrossSection", float)
    assert fatx == pytest.approx(XS * 1e36, rel=1e-12)
    assert _run_attr(ev, "NuHepMC.Units.CrossSection.Unit", str) == "pb"
    assert "not modelled" in _run_attr(ev, "NuHepMC.Provenance.nugan.HadronicSystem", str)
    assert ev.run_info.weight_names == ["CV"]
    assert ev.run_info.tools[0].name == "nugan"
    for i, ev in enumerate(events):
        assert ev.event_number == i and ev.weight("CV") == 1.0
        assert ev.momentum_unit == hp.Units.GEV and ev.length_unit == hp.Units.MM
        assert [v.status for v in ev.vertices] == [1]
        by_status = sorted((p.status, p.pid) for p in ev.particles)
        assert by_status == sorted([(4, -14), (20, 1000180400), (1, -13), (1, REMNANT_PDG)])
        v = ev.vertices[0]
        p_in = sum(np.array(p.momentum) for p in v.particles_in)
        p_out = sum(np.array(p.momentum) for p in v.particles_out)
        np.testing.assert_allclose(p_in, p_out, atol=1e-12)
        target = next(p for p in v.particles_in if p.status == 20)
        assert target.momentum.e == pytest.approx(nuclear_mass(18, 40))
        pid = ev.attributes["signal_process_id"].astype(int)
        assert process_to_channel(np.array([pid]))[0][0] == t.channel[i]
        assert list(ev.attributes["lab_pos"].astype(str).split()) == ["0.000000"] * 3


def test_nuclear_mass_of_carbon() -> None:
    assert nuclear_mass(6, 12) == pytest.approx(11.174862, abs=2e-6)  # GeV


def test_writer_is_chunk_invariant_and_seeded(tmp_path: Path) -> None:
    t = _table(30)
    write_nuhepmc(t, tmp_path / "one.hepmc3", chunk_size=1000)
    write_nuhepmc(t, tmp_path / "many.hepmc3", chunk_size=7)
    write_nuhepmc(t, tmp_path / "other.hepmc3", seed=99)
    one = (tmp_path / "one.hepmc3").read_bytes()
    assert one == (tmp_path / "many.hepmc3").read_bytes()
    assert one != (tmp_path / "other.hepmc3").read_bytes()
    a, b = read_events(tmp_path / "one.hepmc3"), read_events(tmp_path / "other.hepmc3")
    np.testing.assert_allclose(a.cos_theta, b.cos_theta, rtol=1e-12, atol=1e-14)


def test_writer_requires_cross_section(tmp_path: Path) -> None:
    t = _table(5).with_meta(xsec_cm2=None)
    with pytest.raises(ValueError, match=r"x\.hepmc3: NuHepMC needs the flux-averaged total"):
        write_nuhepmc(t, tmp_path / "x.hepmc3")
    assert not any(tmp_path.iterdir())
    write_nuhepmc(t, tmp_path / "x.hepmc3", xsec_cm2=2e-38)
    assert read_events(tmp_path / "x.hepmc3").meta.xsec_cm2 == pytest.approx(2e-38, rel=1e-12, abs=0)


def test_writer_removes_temp_on_error_and_rejects_other_domain(tmp_path: Path) -> None:
    t = _table(5)
    with (
        pytest.raises(ValueError, match="chunk is numubar-Ar40, file is numu-Ar40"),
        NuHepMCWriter(tmp_path / "x.hepmc3", t.meta) as w,
    ):
        w.write(t)
        w.write(t.with_meta(probe_pdg=-14))
    assert list(tmp_path.iterdir()) == []


def test_unknown_channel_and_weights_round_trip(tmp_path: Path) -> None:
    t = _table(12, channel=False)
    t = EventTable(t.E_nu, t.E_mu, t.cos_theta, t.meta, weight=np.linspace(0.5, 2.0, 12))
    write_nuhepmc(t, tmp_path / "w.hepmc3")
    back = read_events(tmp_path / "w.hepmc3")
    assert np.all(back.channel == -1)
    np.testing.assert_allclose(back.weight, t.weight, rtol=1e-15)


def _foreign_file(path: Path) -> None:
    """A MeV / per-atom file as another generator might write it: CC, NC and EM events."""
    ri = hp.GenRunInfo()
    ri.tools = [("OtherGen", "3.1", "test generator")]
    ri.weight_names = ["CV"]
    ri.attributes["NuHepMC.Conventions"] = ["G.C.2", "E.C.1"]
    ri.attributes["NuHepMC.FluxAveragedTotalCrossSection"] = 40.0 * 1e-2  # pb per Ar40 atom
    ri.attributes["NuHepMC.Units.CrossSection.Unit"] = "pb"
    ri.attributes["NuHepMC.Units.CrossSection.TargetScale"] = "PerAtom"
    rows = [  # (process id, outgoing lepton pdg, E_nu MeV, E_l MeV, cos)
        (200, 13, 1000.0, 700.0, 0.5),
        (301, 13, 2000.0, 900.0, -0.2),
        (500, 13, 1500.0, 600.0, 0.9),
        (601, 13, 3000.0, 1200.0, 0.1),
        (250, 14, 1000.0, 400.0, 0.3),
        (-100, 13, 800.0, 300.0, 0.0),
    ]
    with hp.io.WriterAscii(str(path), ri) as w:
        for i, (pid, lep, e_nu, e_l, cos) in enumerate(rows):
            ev = hp.GenEvent(hp.Units.MEV, hp.Units.CM)
            ev.run_info = ri
            ev.event_number = i
            ev.weights = [1.0]
            ev.attributes["signal_process_id"] = pid
            v = hp.GenVertex()
            v.status = 1
            # beam along x, to check that cos is taken relative to the neutrino, not z
            v.add_particle_in(hp.GenParticle((e_nu, 0.0, 0.0, e_nu), 14, 4))
            v.add_particle_in(hp.GenParticle((0.0, 0.0, 0.0, 37215.0), 1000180400, 20))
            p = np.sqrt(e_l**2 - (105.658 if lep == 13 else 0.0) ** 2)
            s = np.sqrt(1 - cos**2)
            v.add_particle_out(hp.GenParticle((p * cos, p * s, 0.0, e_l), lep, 1))
            ev.add_vertex(v)
            w.write_event(ev)


def test_reader_on_foreign_mev_per_atom_file(tmp_path: Path) -> None:
    _foreign_file(tmp_path / "f.hepmc3")
    res = load_events(tmp_path / "f.hepmc3")
    t = res.table
    assert res.n_records == 6
    assert res.skipped == {"not charged current (signal_process_id)": 2}
    np.testing.assert_allclose(t.E_nu, [1.0, 2.0, 1.5, 3.0], rtol=1e-15)
    np.testing.assert_allclose(t.E_mu, [0.7, 0.9, 0.6, 1.2], rtol=1e-15)
    np.testing.assert_allclose(t.cos_theta, [0.5, -0.2, 0.9, 0.1], rtol=1e-12, atol=1e-14)
    codes = [CHANNEL_CODES[c] for c in ("QE", "MEC", "RES", "DIS")]
    assert t.channel.tolist() == codes
    m = t.meta
    assert (m.probe_pdg, m.target, m.source, m.generator_version) == (14, "Ar40", "othergen", "3.1")
    # 0.4 pb per atom = 1e-38 cm^2 per nucleon for all 6 events; 4 of 6 kept
    assert m.xsec_cm2 == pytest.approx(1e-38 * 4 / 6, rel=1e-12, abs=0)


def test_truncated_hepmc_file_is_reported(tmp_path: Path) -> None:
    write_nuhepmc(_table(10), tmp_path / "x.hepmc3")
    data = (tmp_path / "x.hepmc3").read_bytes()
    (tmp_path / "cut.hepmc3").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.hepmc3: HepMC3 file is truncated"):
        read_events(tmp_path / "cut.hepmc3")
