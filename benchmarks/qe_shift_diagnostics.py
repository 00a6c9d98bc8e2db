"""Where the built-in simulator's QE energy transfer differs from NuWro's, and what closing it would buy (issue 20).

    python benchmarks/qe_shift_diagnostics.py --nuwro-dir ../shared/data/nuwro [--model default] [--out FILE.json]

Two diagnostics on the fixed-energy samples (C12, 0.5 and 1 GeV):

1. The median of omega - Q2/2M of QE events in bins of Q2, for NuWro and for the simulator, nu_mu and anti-nu_mu
   (simulator: 200,000 events, seed 11, as ``simulator_vs_nuwro.py``).
2. A proxy at anti-nu_mu-C12 0.5 GeV: the classifier AUC against NuWro after raising the muon energy of the
   simulator's QE events by a constant (0-12 MeV, i.e. lowering their omega), alone and with the simulator's
   events weighted by channel to NuWro's cross section by label (QE, MEC, RES + DIS against RES + DIS + COH,
   hyperons). It says how far a better QE peak position and a NuWro-like composition would take the AUC; it is
   not a model.

Prints tables and writes JSON stamped with its provenance.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from provenance import write_json
from simulator_vs_nuwro import NUWRO_CHANNELS

from nugan.constants import M_NUCLEON
from nugan.events import read_parquet
from nugan.events.table import CHANNEL_CODES, EventTable
from nugan.metrics.classifier import classifier_auc
from nugan.physics import cross_section_table, simulate
from nugan.physics.channels import SIM_CHANNELS

RESULTS = Path(__file__).resolve().parent / "results" / "qe_shift_diagnostics.json"
Q2_EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0)  # [GeV^2]
SHIFTS_MEV = (0.0, 4.0, 8.0, 10.0, 12.0)
#: generator label -> the group compared ('INEL' = RES + DIS, + COH for NuWro; the simulator's hyperon events,
#: channel HYP, are written with the label OTHER)
GROUP = {"QE": "QE", "MEC": "MEC", "RES": "INEL", "DIS": "INEL", "COH": "INEL", "HYP": "HYP", "OTHER": "HYP"}


def shift_medians(t: EventTable, min_events: int = 200) -> list[dict]:
    """Median of omega - Q2/2M [MeV] of QE events per Q2 bin, with the bin's share of the QE events."""
    qe = t.channel == CHANNEL_CODES["QE"]
    q2, shift = t.Q2[qe], t.omega[qe] - t.Q2[qe] / (2.0 * M_NUCLEON)
    out = []
    for lo, hi in zip(Q2_EDGES[:-1], Q2_EDGES[1:], strict=True):
        sel = (q2 >= lo) & (q2 < hi)
        if sel.sum() >= min_events:
            out.append({"Q2": [lo, hi], "median_MeV": float(np.median(shift[sel]) * 1e3), "share": float(sel.mean())})
    return out


def channel_weights(sim: EventTable, nuwro_json: Path, probe: str, E: float, model: str) -> np.ndarray:
    """Per-event weights that give the simulated sample NuWro's cross section by channel group."""
    side = json.loads(nuwro_json.read_text())
    xs = cross_section_table(probe, "C12", model)
    nuwro: dict[str, float] = {}
    ours: dict[str, float] = {}
    for name, v in side["channels"].items():
        g = GROUP[NUWRO_CHANNELS[name]]
        nuwro[g] = nuwro.get(g, 0.0) + float(v["sigma_cm2_per_nucleon"])
    for c in SIM_CHANNELS:
        ours[GROUP[c]] = ours.get(GROUP[c], 0.0) + float(xs.channel(c, E))
    w = np.ones(len(sim))
    for label, code in CHANNEL_CODES.items():
        g = GROUP.get(label)
        if g is not None and ours.get(g, 0.0) > 0 and nuwro.get(g, 0.0) > 0:
            w[sim.channel == code] = nuwro[g] / ours[g]
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nuwro-dir", type=Path, required=True)
    ap.add_argument("--model", default="default")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    fixed = a.nuwro_dir / "fixed_energy"
    medians = []
    print("median omega - Q2/2M of QE events [MeV] per Q2 bin [GeV^2] (share of QE events):")
    for E in (0.5, 1.0):
        for probe in ("numu", "numubar"):
            ref = read_parquet(fixed / f"{probe}_C12_E{E}.parquet")
            sim = simulate(probe, "C12", a.model, energy=E, n_events=a.events, seed=11)
            row = {"probe": probe, "E": E, "nuwro": shift_medians(ref), "sim": shift_medians(sim)}
            medians.append(row)
            for who in ("nuwro", "sim"):
                cells = " ".join(
                    f"{b['Q2'][0]:g}-{b['Q2'][1]:g}: {b['median_MeV']:5.1f} ({b['share']:.0%})" for b in row[who]
                )
                print(f"  {probe:<8}{E:>4} GeV {who:<6}{cells}")
    E = 0.5
    ref_path = fixed / f"numubar_C12_E{E}.parquet"
    ref = read_parquet(ref_path)
    sim = simulate("numubar", "C12", a.model, energy=E, n_events=a.events, seed=11)
    w = channel_weights(sim, ref_path.with_suffix(".json"), "numubar", E, a.model)
    qe = sim.channel == CHANNEL_CODES["QE"]
    proxy = []
    print(f"anti-nu_mu-C12 {E} GeV: AUC against NuWro with the QE muon energy raised by a constant")
    print(f"{'shift [MeV]':>12}{'AUC':>8}{'AUC, NuWro composition':>25}")
    for s in SHIFTS_MEV:
        e_mu = sim.E_mu.copy()
        e_mu[qe] = np.minimum(e_mu[qe] + s * 1e-3, sim.E_nu[qe] - 1e-4)
        moved = dataclasses.replace(sim, E_mu=e_mu)
        plain = classifier_auc(moved, ref, seed=0, cap=len(ref)).auc
        weighted = classifier_auc(moved, ref, seed=0, cap=len(ref), gen_weights=w).auc
        proxy.append({"shift_MeV": s, "auc": plain, "auc_nuwro_composition": weighted})
        print(f"{s:>12.1f}{plain:>8.4f}{weighted:>25.4f}")
    out = {"model": a.model, "q2_medians": medians, "nubar_0.5GeV_proxy": proxy}
    write_json(a.out, out)


if __name__ == "__main__":
    main()
