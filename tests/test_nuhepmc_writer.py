"""NuHepMC writer: the text it formats from arrays is byte for byte what pyhepmc writes, reads back exactly, streams."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nugan.events import EventTable, SampleMeta
from nugan.events import nuhepmc as nh
from nugan.events.nuhepmc import NuHepMCWriter, check_nuhepmc, load_nuhepmc, write_nuhepmc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from nuhepmc_write import reference_write  # noqa: E402 (the pyhepmc writer nugan's replaced)

XS = 1.3e-38


def _table(
    n: int = 300,
    *,
    probe: int = 14,
    weight: bool | str = True,
    channel: bool = True,
    target: tuple[int, int] = (6, 12),
) -> EventTable:
    rng = np.random.default_rng(n + probe)
    e_nu = 10.0 ** rng.uniform(-1.0, 2.0, n)
    e_mu = np.maximum(rng.uniform(0.0, 1.0, n) * e_nu, 0.105658 * rng.uniform(1.0, 1.3, n))
    cos = rng.uniform(-1.0, 1.0, n)
    cos[:7] = [1.0, -1.0, 0.0, 1e-9, -1e-12, 0.999999999999, -1e-200]  # px = py = 0, -0.0, tiny, 3-digit exponent
    meta = SampleMeta(probe_pdg=probe, target_Z=target[0], target_A=target[1], model="toy", source="nuwro", xsec_cm2=XS)
    return EventTable(
        e_nu,
        e_mu,
        cos,
        meta=meta,
        channel=rng.integers(-1, 6, n) if channel else None,
        weight=None if not weight else np.round(rng.uniform(-1.0 if weight == "signed" else 0.0, 3.0, n), 3),
    )


CASES = {
    "numu, weights, channels": {},
    "negative weights": {"weight": "signed"},
    "numubar, no weights": {"probe": -14, "weight": False},
    "no channels, Ar40": {"channel": False, "target": (18, 40)},
}


@pytest.mark.parametrize("case", list(CASES))
def test_text_is_byte_identical_to_pyhepmc_writer(case: str, tmp_path: Path) -> None:
    t = _table(**CASES[case])
    reference_write(t, tmp_path / "ref.hepmc3", seed=7, chunk_size=70)
    write_nuhepmc(t, tmp_path / "new.hepmc3", seed=7, chunk_size=70)
    assert (tmp_path / "new.hepmc3").read_bytes() == (tmp_path / "ref.hepmc3").read_bytes()


def test_round_trip_is_exact(tmp_path: Path) -> None:
    t = _table(500)
    back = load_nuhepmc(write_nuhepmc(t, tmp_path / "x.hepmc3", chunk_size=128))
    assert np.array_equal(back.E_nu, t.E_nu) and np.array_equal(back.E_mu, t.E_mu)  # %.16e round-trips float64
    np.testing.assert_allclose(back.cos_theta, t.cos_theta, rtol=0, atol=4e-16)  # recomputed from the momenta
    assert np.array_equal(back.weight, t.weight) and np.array_equal(back.channel, t.channel)
    assert not any(mask.any() for mask in back.rejects.values())
    assert check_nuhepmc(tmp_path / "x.hepmc3") == []


def test_reads_like_the_pyhepmc_writers_file(tmp_path: Path) -> None:
    t = _table(200, probe=-14, weight=False)
    a = load_nuhepmc(reference_write(t, tmp_path / "ref.hepmc3"))
    b = load_nuhepmc(write_nuhepmc(t, tmp_path / "new.hepmc3"))
    for col in ("E_nu", "E_mu", "cos_theta", "probe_pdg", "target_Z", "target_A", "channel", "xsec_share"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert a.weight is None and b.weight is None and a.meta == b.meta


def test_several_blocks_per_chunk_and_several_chunks_give_one_text(tmp_path: Path, monkeypatch) -> None:
    t = _table(1000)
    write_nuhepmc(t, tmp_path / "one.hepmc3", chunk_size=1000)
    monkeypatch.setattr(nh, "_BLOCK", 97)
    write_nuhepmc(t, tmp_path / "blocks.hepmc3", chunk_size=1000)
    write_nuhepmc(t, tmp_path / "chunks.hepmc3", chunk_size=33)
    one = (tmp_path / "one.hepmc3").read_bytes()
    assert one == (tmp_path / "blocks.hepmc3").read_bytes() == (tmp_path / "chunks.hepmc3").read_bytes()


def test_empty_chunks_and_empty_file(tmp_path: Path) -> None:
    t = _table(20)
    with NuHepMCWriter(tmp_path / "x.hepmc3", t.meta) as w:
        w.write(t[:0])
        w.write(t[:10])
        w.write(t[10:10])
        w.write(t[10:])
    write_nuhepmc(t, tmp_path / "ref.hepmc3")
    assert (tmp_path / "x.hepmc3").read_bytes() == (tmp_path / "ref.hepmc3").read_bytes()
    empty = write_nuhepmc(t[:0], tmp_path / "empty.hepmc3")
    text = empty.read_bytes()
    assert text.startswith(b"HepMC::Version") and text.endswith(b"HepMC::Asciiv3-END_EVENT_LISTING\n\n")
    assert b"\nE " not in text and b"A NuHepMC.Version.Major 1\n" in text


def test_chunk_of_another_target_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    t = _table(10)
    with (
        pytest.raises(ValueError, match="chunk is numu-Ar40, file is numu-C12"),
        NuHepMCWriter(tmp_path / "x.hepmc3", t.meta) as w,
    ):
        w.write(t)
        assert not (tmp_path / "x.hepmc3").exists()  # the file appears on close only
        w.write(t.with_meta(target_Z=18, target_A=40))
    assert list(tmp_path.iterdir()) == []


def test_e16_matches_printf_on_edge_values() -> None:
    rng = np.random.default_rng(11)
    powers = 10.0 ** np.arange(-8, 19)
    x = np.concatenate(
        [
            rng.uniform(-10.0, 10.0, 20000),
            10.0 ** rng.uniform(-9.0, 19.0, 20000) * rng.choice([-1.0, 1.0], 20000),
            rng.integers(-(10**6), 10**6, 2000) / 8.0,  # exact binary fractions (ties in the last digit)
            powers,
            -powers,
            np.nextafter(powers, 0.0),
            np.nextafter(powers, np.inf),
            [0.0, -0.0, 0.1, 0.5, 1.5, 9.999999999999999, 0.9999999999999999, 5e-324, 1e300, np.inf, -np.inf],
        ]
    )
    field = nh._format_e16(x)
    size = field.text.shape[1]
    got = [bytes(row[size - w :]).decode() for row, w in zip(field.text, field.width.tolist(), strict=True)]
    assert got == [f"{v:.16e}" for v in x.tolist()]
    neg = nh._negated(field, x)
    got = [bytes(row[size - w :]).decode() for row, w in zip(neg.text, neg.width.tolist(), strict=True)]
    assert got == [f"{-v:.16e}" for v in x.tolist()]


def test_int_and_unique_fields() -> None:
    x = np.array([0, 7, 10, 99, 12345, 10**15, 10**16 - 1, 10**16, 2**62, -3])
    f = nh._format_int(x)
    size = f.text.shape[1]
    assert [bytes(r[size - w :]).decode() for r, w in zip(f.text, f.width.tolist(), strict=True)] == [
        str(v) for v in x.tolist()
    ]
    w = np.array([1.0, 0.3, 1.0, -2.5e-120])
    f = nh._format_unique(w, ".22e")
    size = f.text.shape[1]
    assert [bytes(r[size - k :]).decode() for r, k in zip(f.text, f.width.tolist(), strict=True)] == [
        f"{v:.22e}" for v in w.tolist()
    ]
