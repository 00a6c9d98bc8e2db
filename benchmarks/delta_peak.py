"""Delta(1232) peak contrast in W at fixed E_nu: reference MC against trained models (issue 4's W target).

Run (simulator reference, default model, 200,000 events per energy)::

    python benchmarks/delta_peak.py --model numu-C12 --model runs/base/numu-C12-modes \
        --out benchmarks/results/delta_peak.json

or against NuWro's monoenergetic samples (30,000 events each)::

    python benchmarks/delta_peak.py --model nuwro-C12 --nuwro-fixed ../shared/data/nuwro/fixed_energy

For each energy the dip and Delta windows (0.06 GeV wide) are located in the reference's W histogram
(:func:`nugan.metrics.peaks.delta_windows`); the contrast is events in the Delta window over events in the
dip window, for the reference, an independent second reference (simulator only) and each model. A model
shows the Delta as a peak when its contrast is clearly above 1. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from provenance import stamp

from nugan.atomic import atomic_write_text
from nugan.events import EventTable, kinematics, read_parquet
from nugan.generation.api import NuganModel
from nugan.metrics.peaks import delta_windows, peak_contrast
from nugan.physics import simulate


def w_of(t: EventTable) -> np.ndarray:
    """W [GeV] of each event, struck nucleon at rest."""
    return kinematics.W(t.E_nu, t.E_mu, t.cos_theta)


def references(args: argparse.Namespace, E: float) -> dict[str, EventTable]:
    """The reference sample(s) at energy E [GeV]: NuWro's file, or two independent simulator samples."""
    if args.nuwro_fixed:
        path = Path(args.nuwro_fixed) / f"{args.probe}_{args.target}_E{E:.1f}.parquet"
        return {f"NuWro ({path.name})": read_parquet(path)}
    kw = {"probe": args.probe, "target": args.target, "model": args.sim_model, "energy": E, "n_events": args.events}
    return {"simulator": simulate(seed=7001, **kw), "simulator (2nd)": simulate(seed=7002, **kw)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="shipped name or run directory")
    ap.add_argument("--energies", default="1,3", help="comma-separated E_nu [GeV]")
    ap.add_argument("--events", type=int, default=200_000, help="events per sample (simulator, models)")
    ap.add_argument("--probe", default="numu")
    ap.add_argument("--target", default="C12")
    ap.add_argument("--sim-model", default="default", help="simulator interaction model of the reference")
    ap.add_argument("--nuwro-fixed", default=None, help="directory of NuWro monoenergetic samples")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default=None, help="JSON output (default: print only)")
    args = ap.parse_args()

    rows = []
    models = {m: NuganModel.load(m, device="cpu") for m in args.model}
    for E in (float(x) for x in args.energies.split(",")):
        refs = references(args, E)
        first = next(iter(refs.values()))
        win = delta_windows(w_of(first))
        samples = dict(refs)
        n_model = len(first) if args.nuwro_fixed else args.events
        for name, m in models.items():
            samples[name] = m.sample(np.full(n_model, E), seed=args.seed)
        for name, t in samples.items():
            r, err = peak_contrast(w_of(t), win)
            rows.append({"E_nu": E, "sample": name, "n": len(t), "contrast": r, "error": err, **win.to_dict()})
            print(
                f"E={E:4.1f} GeV  {name:40s} n={len(t):7d}  dip {win.dip:.3f}  Delta {win.delta:.3f} GeV  "
                f"contrast {r:.3f} +- {err:.3f}"
            )
    if args.out:
        atomic_write_text(
            Path(args.out),
            json.dumps({"command": "python benchmarks/delta_peak.py", "args": vars(args), "rows": rows}, indent=1),
        )
        stamp(args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
