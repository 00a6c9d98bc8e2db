"""NuHepMC writing speed: nugan's writer (events formatted from arrays) vs the per-event pyhepmc writer it replaced.

    python benchmarks/nuhepmc_write.py [--n 100000] [--chunk 100000] [--reference-n 20000]

Writes ``n`` toy numu-C12 events (log-uniform E_nu 0.3-10 GeV, physical kinematics, channels, no weights) to a
.hepmc3 file in a temporary directory, best of 3, and prints events/s of each writer by wall-clock and by CPU
time.
:func:`reference_write` keeps the pyhepmc path (one ``GenEvent`` per event through ``WriterAscii``) as the
reference that tests/test_nuhepmc_writer.py compares nugan's bytes with.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from nugan.constants import M_MU, nucleus_pdg
from nugan.events import EventTable, SampleMeta
from nugan.events.nuhepmc import (
    CHANNEL_PROCESS_ID,
    REMNANT_PDG,
    UNKNOWN_PROCESS_ID,
    _run_info,
    nuclear_mass,
    write_nuhepmc,
)
from nugan.events.table import CHANNELS, UNKNOWN_CHANNEL


def reference_write(
    table: EventTable,
    path: str | os.PathLike[str],
    *,
    xsec_cm2: float | None = None,
    seed: int = 0,
    chunk_size: int = 100_000,
) -> Path:
    """The events of ``table`` written one ``pyhepmc.GenEvent`` at a time (nugan's writer before the text one)."""
    import pyhepmc as hp

    meta = table.meta
    xs = meta.xsec_cm2 if xsec_cm2 is None else xsec_cm2
    assert xs is not None
    ri = _run_info(meta, xs, seed)
    rng = np.random.Generator(np.random.PCG64(seed))
    m_target, pdg_target = nuclear_mass(meta.target_Z, meta.target_A), nucleus_pdg(meta.target_Z, meta.target_A)
    pdg_mu = 13 if meta.probe_pdg > 0 else -13
    ids = np.array([CHANNEL_PROCESS_ID.get(c, 700) for c in CHANNELS] + [UNKNOWN_PROCESS_ID])
    with hp.io.WriterAscii(str(path), ri) as writer:
        for start in range(0, len(table), chunk_size):
            t = table[start : start + chunk_size]
            n = len(t)
            phi = rng.uniform(0.0, 2.0 * np.pi, size=n)
            p = np.sqrt(np.clip(t.E_mu**2 - M_MU**2, 0.0, None))
            sin = np.sqrt(np.clip(1.0 - t.cos_theta**2, 0.0, None))
            mu = np.stack([p * sin * np.cos(phi), p * sin * np.sin(phi), p * t.cos_theta, t.E_mu], axis=1)
            w = np.ones(n) if t.weight is None else t.weight
            ch = np.full(n, UNKNOWN_CHANNEL) if t.channel is None else t.channel
            pids = ids[np.where(ch >= 0, ch, len(CHANNELS))]
            for i in range(n):
                e_nu = float(t.E_nu[i])
                ev = hp.GenEvent(hp.Units.GEV, hp.Units.MM)
                ev.run_info = ri
                ev.event_number = start + i
                ev.weights = [float(w[i])]
                ev.attributes["signal_process_id"] = int(pids[i])
                ev.attributes["lab_pos"] = [0.0, 0.0, 0.0]
                ev.attributes["LabPos"] = [0.0, 0.0, 0.0]
                v = hp.GenVertex()
                v.status = 1
                v.add_particle_in(hp.GenParticle((0.0, 0.0, e_nu, e_nu), meta.probe_pdg, 4))
                v.add_particle_in(hp.GenParticle((0.0, 0.0, 0.0, m_target), pdg_target, 20))
                px, py, pz, e = (float(x) for x in mu[i])
                v.add_particle_out(hp.GenParticle((px, py, pz, e), pdg_mu, 1))
                v.add_particle_out(hp.GenParticle((-px, -py, e_nu - pz, e_nu + m_target - e), REMNANT_PDG, 1))
                ev.add_vertex(v)
                writer.write_event(ev)
    return Path(path)


def toy_events(n: int, seed: int = 0) -> EventTable:
    """``n`` numu-C12 events with physical kinematics (Q^2 below 2 m_N omega) and channels (no weights)."""
    rng = np.random.default_rng(seed)
    e_nu = np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    e_mu = M_MU + rng.uniform(0.05, 0.95, n) * (e_nu - M_MU)
    p_mu = np.sqrt(e_mu**2 - M_MU**2)
    q2 = rng.uniform(0.0, 1.0, n) * 2 * 0.938 * (e_nu - e_mu)
    cos = np.clip((2 * e_nu * e_mu - M_MU**2 - q2) / (2 * e_nu * p_mu), -1.0, 1.0)
    meta = SampleMeta(probe_pdg=14, target_Z=6, target_A=12, model="toy", source="nugan", xsec_cm2=1.0e-38)
    return EventTable(e_nu, e_mu, cos, meta=meta, channel=rng.integers(-1, 6, n))


def nuhepmc_write_rate(
    n: int, *, reference: bool = False, chunk_size: int = 100_000, repeat: int = 3, clock: str = "wall"
) -> float:
    """Best events/s of writing ``n`` toy events to NuHepMC with nugan's writer (or ``reference``: pyhepmc's).

    ``clock="cpu"`` times by this process's CPU time, which other processes on a shared machine disturb less.
    """
    timer = {"wall": time.perf_counter, "cpu": time.process_time}[clock]
    table = toy_events(n)
    write = reference_write if reference else write_nuhepmc
    best = 0.0
    with tempfile.TemporaryDirectory(prefix="nugan-bench-") as d:
        for r in range(repeat):
            path = Path(d) / f"events{r}.hepmc3"
            t = timer()
            write(table, path, chunk_size=chunk_size)
            best = max(best, n / (timer() - t))
            path.unlink()
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="events written by nugan's writer")
    ap.add_argument("--chunk", type=int, default=100_000, help="events per write() call")
    ap.add_argument("--reference-n", type=int, default=20_000, help="events written by the pyhepmc writer")
    args = ap.parse_args()
    print(f"NuHepMC writing, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; best of 3 (reference: 1)")
    for clock in ("wall", "cpu"):
        new = nuhepmc_write_rate(args.n, chunk_size=args.chunk, clock=clock)
        old = nuhepmc_write_rate(args.reference_n, reference=True, chunk_size=args.chunk, repeat=1, clock=clock)
        print(
            f"  {clock:4s} time: nugan text writer {new:10,.0f} events/s ({args.n:,} events, chunks of "
            f"{args.chunk:,}); pyhepmc per event {old:8,.0f} events/s ({args.reference_n:,} events); {new / old:.1f}x"
        )


if __name__ == "__main__":
    main()
