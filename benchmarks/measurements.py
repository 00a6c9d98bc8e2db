"""chi2 / ndf of every generator on the shipped published measurements (issue 18's results table).

Run (1M events per model / simulator prediction; NuWro samples from ``../shared/data/nuwro``)::

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/measurements.py \
        --nuwro ../shared/data/nuwro --out benchmarks/results/measurements.json

Rows per measurement: the release's own predictions (T2K: NEUT 5.3.2, GENIE 2.8.0), the NuWro 25.11 flat-flux
samples reweighted to the flux, the built-in simulator on the flux, and the shipped models (``numu-C12``,
``nuwro-C12``, and the flows ``numu-C12-flow``, ``nuwro-C12-flow``). The flux outside a generator's energy range
contributes nothing (the share is in the table). No argon model is shipped: on MicroBooNE the carbon models stand
in for argon (per-nucleon, labelled so); ``--argon-model DIR`` adds a model transferred to argon (e.g. the flow of
``benchmarks/reweight_nuwro.py``, ``runs/reweight/ar40-flow``).
T2K is CH: carbon per nucleon stands for CH (one extra T2K row shows NuWro with hydrogen counted as zero).
Prints a markdown table and writes JSON (each row without its 71/42 bin values unless ``--values``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from provenance import stamp

from nugan.atomic import atomic_write_text
from nugan.events.readers import read_events
from nugan.generation.api import load_generator
from nugan.measurements import get_measurement
from nugan.physics.xsec import is_flat_flux_sample
from nugan.workflows import predict as wf

T2K = "t2k-nd280-ccinc-c-2018"
UB = "microboone-ccinc-ar-2019"
MODELS = ("numu-C12", "nuwro-C12", "numu-C12-flow", "nuwro-C12-flow")  # names not shipped are skipped


def rows_for(mid: str, args: argparse.Namespace) -> list[wf.PredictionRow]:
    """Every generator's row on measurement ``mid``."""
    m = get_measurement(mid)
    rows = wf.stored_rows(m)
    nuwro = Path(args.nuwro) if args.nuwro else None
    if mid == T2K:
        samples = [
            ("NuWro 25.11 (C12)", "numu_C12_base", {"C12": 1.0}),
            ("NuWro 25.11 (C12, H counted as zero)", "numu_C12_base", {"C12": 12.0, "H1": 1.0}),
            ("NuWro 25.11 altmodel (C12)", "numu_C12_altmodel", {"C12": 1.0}),
            ("NuWro 25.11 altmodel2 (C12)", "numu_C12_altmodel2", {"C12": 1.0}),
        ]
        sim_target, comp = "C12", {"C12": 1.0}
    else:
        samples = [("NuWro 25.11 (Ar40)", "numu_Ar40", {"Ar40": 1.0})]
        sim_target, comp = "Ar40", {"Ar40": 1.0}
    if nuwro is not None:
        for label, stem, c in samples:
            table = read_events(nuwro / f"{stem}.parquet")
            rows.append(wf.events_row(m, table, c, label, True, is_flat_flux_sample))
    rows.append(wf.simulator_row(m, comp, sim_target, "default", args.n_events, args.seed, True))
    rows[-1].label = f"simulator default ({sim_target})"
    from nugan.models.checkpoint import shipped_models

    for name in (n for n in MODELS if n in shipped_models()):
        model = load_generator(name, device="cpu")
        if mid == T2K:
            rows.append(wf.model_row(m, model, comp, args.n_events, args.seed, True, f"model {name}"))
        else:
            rows.append(
                wf.model_row(
                    m, model, {"C12": 1.0}, args.n_events, args.seed, True, f"model {name} (C12 standing in for Ar)"
                )
            )
    if mid == UB:
        for path in args.argon_model or []:
            model = load_generator(path, device="cpu")
            rows.append(
                wf.model_row(m, model, {"Ar40": 1.0}, args.n_events, args.seed, True, f"model {Path(path).name} (Ar40)")
            )
    return rows


def table(results: dict[str, list[dict]]) -> str:
    """Markdown: one row per generator, chi2/ndf (shape-only chi2/ndf) per measurement."""
    labels: list[str] = []
    for rows in results.values():
        labels += [r["label"] for r in rows if r["label"] not in labels]
    head = "| generator | " + " | ".join(f"{mid}: chi2/ndf (shape-only) | flux not covered" for mid in results)
    lines = [head + " |", "|---|" + "---:|---:|" * len(results)]
    for lab in labels:
        cells = []
        for rows in results.values():
            r = next((r for r in rows if r["label"] == lab), None)
            if r is None:
                cells += ["-", "-"]
                continue
            miss = r["flux_outside_fraction"]
            cells += [
                f"{r['chi2']:.1f}/{r['ndf']} ({r['chi2_shape']:.1f}/{r['ndf_shape']})",
                "-" if miss is None else f"{miss:.1%}",
            ]
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--nuwro", default="../shared/data/nuwro", help="folder of the NuWro flat-flux samples ('' to skip them)"
    )
    ap.add_argument("--n-events", type=int, default=1_000_000, help="events per model / simulator prediction")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--argon-model",
        action="append",
        default=None,
        help="an argon model (run dir) for the MicroBooNE rows, e.g. runs/reweight/ar40-flow",
    )
    ap.add_argument("--measurements", nargs="+", default=[T2K, UB])
    ap.add_argument("--values", action="store_true", help="keep every row's bin values in the JSON")
    ap.add_argument("--out", default="benchmarks/results/measurements.json")
    args = ap.parse_args(argv)
    if args.nuwro and not Path(args.nuwro).is_dir():
        print(f"NuWro folder {args.nuwro} not found; pass --nuwro '' to skip the NuWro rows", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results: dict[str, list[dict]] = {}
    for mid in args.measurements:
        dicts = []
        for r in rows_for(mid, args):
            d = r.__dict__.copy()
            if not args.values:
                d.pop("values")
            dicts.append(d)
        results[mid] = dicts
    text = table(results)
    print(text)
    doc = {
        "n_events": args.n_events,
        "seed": args.seed,
        "nuwro": args.nuwro or None,
        "seconds": time.perf_counter() - t0,
        "table_markdown": text,
        "results": results,
    }
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    stamp(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
