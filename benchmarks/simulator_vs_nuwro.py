"""Compare the built-in simulator with the reference NuWro samples.

Usage: python benchmarks/simulator_vs_nuwro.py --nuwro-dir PATH/shared/data/nuwro [--events N] [--out FILE.json]

For each fixed-energy NuWro file (fixed_energy/*_E{0.5,1.0,3.0}.parquet, default model only) the simulator
(model 'default') is run at the same energy; per observable (E_mu, cos_theta, W, Q2, omega) it reports
the 1-D Wasserstein distance divided by the NuWro standard deviation, the total cross-section ratio, the
channel fractions (with W < 1.6 / W > 1.6 split, NuWro's RES/DIS definition) and the peak positions of W.
Also flat-flux 0.3-10 GeV flux-averaged cross sections against NuWro's, read from the JSON sidecars of the
default-model flat samples (``cross_section_total_cm2_per_nucleon`` of numu_C12_base.json, numu_Ar40.json,
numubar_C12.json). Writes benchmarks/results/simulator_vs_nuwro.json (``--out``), stamped with its provenance.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from provenance import stamp
from scipy.stats import wasserstein_distance

from nugan.atomic import atomic_write_text
from nugan.events import read_parquet
from nugan.physics import simulate

OBS = ("E_mu", "cos_theta", "W", "Q2", "omega")
#: (probe, target) -> NuWro's default-model flat-flux (0.3-10 GeV) sample whose sidecar JSON holds its sigma
FLAT_SAMPLES = {("numu", "C12"): "numu_C12_base", ("numu", "Ar40"): "numu_Ar40", ("numubar", "C12"): "numubar_C12"}
PDG = {"numu": 14, "numubar": -14}
TARGET_ZA = {"C12": (6, 12), "Ar40": (18, 40)}


def nuwro_flat_sigma(nuwro_dir: Path, probe: str, target: str) -> tuple[float, str]:
    """NuWro's flux-averaged sigma [cm^2 per nucleon] of the flat 0.3-10 GeV sample, and the sidecar it came from.

    Refuses a sidecar whose beam, target or energy range is not the one asked for."""
    side = nuwro_dir / f"{FLAT_SAMPLES[probe, target]}.json"
    if not side.exists():
        raise SystemExit(f"error: {side} not found (the NuWro sample's JSON sidecar holds its cross section)")
    info = json.loads(side.read_text())
    got = (info.get("beam_pdg"), info.get("target_Z"), info.get("target_A"), info.get("beam_energy_param_MeV"))
    want = (PDG[probe], *TARGET_ZA[target], "300 10000")
    if got != want:
        raise SystemExit(f"error: {side}: beam/target/energy {got}, expected {want}")
    return float(info["cross_section_total_cm2_per_nucleon"]), side.name


def _peak(w: np.ndarray, lo: float, hi: float) -> float:
    h, e = np.histogram(w[(w > lo) & (w < hi)], bins=np.arange(lo, hi + 1e-9, 0.01))
    return float(0.5 * (e[np.argmax(h)] + e[np.argmax(h) + 1]))


def compare_file(path: Path, n: int) -> dict | None:
    m = re.match(r"(numu|numubar)_(C12|Ar40|O16)_E([0-9.]+)\.parquet$", path.name)
    if not m:
        return None
    probe, target, E = m.group(1), m.group(2), float(m.group(3))
    ref = read_parquet(path)
    sim = simulate(probe, target, "default", energy=E, n_events=n, seed=11)
    row: dict = {
        "sample": path.stem,
        "E": E,
        "n_nuwro": len(ref),
        "n_sim": len(sim),
        "sigma_nuwro": ref.meta.xsec_cm2,
        "sigma_sim": sim.meta.xsec_cm2,
        "sigma_ratio": sim.meta.xsec_cm2 / ref.meta.xsec_cm2 if ref.meta.xsec_cm2 else None,
    }
    for o in OBS:
        a, b = ref.observable(o), sim.observable(o)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        row[f"w1_{o}"] = float(wasserstein_distance(a, b) / np.std(a))
        row[f"mean_{o}_nuwro"], row[f"mean_{o}_sim"] = float(a.mean()), float(b.mean())
    fr_ref, fr_sim = ref.channel_fractions(), sim.channel_fractions()
    row["fractions_nuwro"] = {k: round(v, 4) for k, v in fr_ref.items()}
    row["fractions_sim"] = {k: round(v, 4) for k, v in fr_sim.items()}
    for name, t in (("nuwro", ref), ("sim", sim)):
        W = t.W
        inel = np.isin(t.channel, [2, 3])  # RES, DIS codes
        row[f"inel_Wlt1.6_{name}"] = float(np.mean(inel & (W < 1.6)))
        row[f"inel_Wge1.6_{name}"] = float(np.mean(inel & (W >= 1.6)))
        row[f"W_peak_QE_{name}"] = _peak(W, 0.8, 1.1)
        row[f"W_peak_Delta_{name}"] = _peak(W, 1.1, 1.4)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nuwro-dir", type=Path, required=True, help="folder with NuWro Parquet samples")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "simulator_vs_nuwro.json")
    args = ap.parse_args()
    fixed = args.nuwro_dir / "fixed_energy"
    if not fixed.is_dir():
        raise SystemExit(f"error: {fixed} not found (give the shared/data/nuwro folder)")
    rows = [r for p in sorted(fixed.glob("*.parquet")) if (r := compare_file(p, args.events))]
    hdr = f"{'sample':18s} {'sig sim/nuwro':>13s} " + " ".join(f"{'W1/std ' + o:>14s}" for o in OBS)
    print(hdr)
    for r in rows:
        print(f"{r['sample']:18s} {r['sigma_ratio']:13.3f} " + " ".join(f"{r['w1_' + o]:14.3f}" for o in OBS))
    print("\nchannel fractions (NuWro RES = W<1.6 inelastic, DIS = W>1.6) and W peaks:")
    for r in rows:
        fn, fs = r["fractions_nuwro"], r["fractions_sim"]
        print(
            f"{r['sample']:18s} QE {fn.get('QE', 0):.3f}/{fs.get('QE', 0):.3f}  MEC {fn.get('MEC', 0):.3f}/"
            f"{fs.get('MEC', 0):.3f}  inel W<1.6 {r['inel_Wlt1.6_nuwro']:.3f}/{r['inel_Wlt1.6_sim']:.3f}  "
            f"W>1.6 {r['inel_Wge1.6_nuwro']:.3f}/{r['inel_Wge1.6_sim']:.3f}  W_QE {r['W_peak_QE_nuwro']:.3f}/"
            f"{r['W_peak_QE_sim']:.3f}  W_D {r['W_peak_Delta_nuwro']:.3f}/{r['W_peak_Delta_sim']:.3f}"
        )
    flat = []
    for probe, target in FLAT_SAMPLES:
        ref, source = nuwro_flat_sigma(args.nuwro_dir, probe, target)
        s = simulate(probe, target, "default", energy=(0.3, 10.0), n_events=1000, seed=0).meta.xsec_cm2
        flat.append(
            {
                "probe": probe,
                "target": target,
                "sigma_sim": s,
                "sigma_nuwro": ref,
                "ratio": s / ref,
                "nuwro_source": source,
            }
        )
        print(
            f"flat 0.3-10 GeV {probe}-{target}: sim {s / 1e-38:.3f} vs NuWro {ref / 1e-38:.3f} (x{s / ref:.3f}, "
            f"{source})"
        )
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps({"fixed_energy": rows, "flat": flat}, indent=1, default=float))
    stamp(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
