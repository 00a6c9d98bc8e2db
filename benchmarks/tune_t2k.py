"""Tune the NuWro-trained carbon flow to T2K ND280, cross-validated; then transfer it to argon and predict MicroBooNE.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/tune_t2k.py --nuwro-dir ../shared/data/nuwro \
        [--out runs/tune_t2k] [--lambda 1000,10000,100000] [--folds 4]

1. ``nugan tune`` (:func:`nugan.workflows.tune.run_tune`) of ``nuwro-C12-flow`` on ``t2k-nd280-ccinc-c-2018``: k-fold
   over the cos_theta slices (round robin) for every lambda of the grid, the lambda with the lowest held-out chi2
   tuned on all bins; held-out and in-sample chi2 of the tuned model, the untuned base, and the release's NEUT 5.3.2
   and GENIE 2.8.0 predictions on the same held-out slices; classifier AUC tuned vs base; plots. -> OUT/tune
2. Transfer learning of the tuned model and of the untuned base to NuWro nu_mu-Ar40, each on the first 100,000 rows
   of numu_Ar40.parquet (flow transfer defaults, E_nu-balanced as in benchmarks/reweight_nuwro.py; the last 60,000
   rows are the study's test rows, scored here by test NLL). -> OUT/ar40-tuned, OUT/ar40-base
3. MicroBooNE (``microboone-ccinc-ar-2019``) predictions of both argon models with the argon sigma(E) of the Ar40
   sample (stored by transfer learning), and of the tuned one with the tune's s(E) applied to that sigma(E) too;
   NuWro's own Ar40 events beside them.

Steps 2-3 need the NuWro samples (``--nuwro-dir``); without them they are skipped and the JSON says so.
Writes benchmarks/results/tune_t2k.json and .md, and the plots as benchmarks/results/tune_t2k_*.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nugan
from nugan.atomic import atomic_write_text
from nugan.events import read_parquet
from nugan.measurements import get_measurement
from nugan.measurements.tuning import SigmaCorrection
from nugan.physics.xsec import XsecCurve, is_flat_flux_sample
from nugan.training.flow_loop import paired_improvement
from nugan.training.runs import transfer, transfer_defaults
from nugan.workflows import predict as wf
from nugan.workflows.tune import TuneConfig, parse_lambdas, run_tune, tune_markdown

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
T2K = "t2k-nd280-ccinc-c-2018"
UB = "microboone-ccinc-ar-2019"
N_TRAIN, N_TEST = 100_000, 60_000
PLOTS = (
    "slices.png",
    "sigma.png",
    "fixed_E0.5_E_mu.png",
    "fixed_E0.5_cos_theta.png",
    "fixed_E1_E_mu.png",
    "fixed_E1_cos_theta.png",
    "fixed_E3_E_mu.png",
    "fixed_E3_cos_theta.png",
)


def git_commit() -> str | None:
    try:
        r = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return None
    return r.stdout.strip() or None


def command_line() -> str:
    """This run's command line, the script path relative to the repository."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else Path(script.name)
    return " ".join(["python", str(shown), *sys.argv[1:]])


def transfer_to_argon(model: str, pool: Any, run: Path, seed: int) -> dict[str, Any]:
    """Flow transfer (defaults, E_nu-balanced) of ``model`` on ``pool`` into ``run``; its summary."""
    t0 = time.perf_counter()
    cfg = transfer_defaults("flow").replace(energy_balance=1.0, seed=seed)
    transfer(model, pool, run, cfg=cfg, force=True, progress=True)
    s = json.loads((run / "summary.json").read_text())
    return {
        "run": str(run),
        "best_step": s["best_step"],
        "steps_done": s["steps_done"],
        "seconds": time.perf_counter() - t0,
    }


def with_xsec(model: nugan.NuganModel, curve: XsecCurve) -> nugan.NuganModel:
    """The same model with another sigma(E) (in memory)."""
    m2 = nugan.load(model.info["path"], device="cpu")
    m2.bundle.info["xsec"] = curve.to_dict()
    return m2


def argon_part(
    nuwro: Path, out: Path, tuned_dir: Path, base: str, doc: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Transfer tuned and base models to Ar40, test NLL, MicroBooNE rows."""
    table = read_parquet(nuwro / "numu_Ar40.parquet").with_meta(energy_range=(0.3, 10.0))
    pool, test = table[:N_TRAIN], table[len(table) - N_TEST :]
    runs = {
        "tuned": transfer_to_argon(str(tuned_dir), pool, out / "ar40-tuned", args.seed),
        "base": transfer_to_argon(base, pool, out / "ar40-base", args.seed),
    }
    ar_t = nugan.load(str(out / "ar40-tuned"), device="cpu")
    ar_b = nugan.load(str(out / "ar40-base"), device="cpu")
    nll_t, nll_b = -ar_t.log_prob(test), -ar_b.log_prob(test)
    diff, diff_se = paired_improvement(nll_t, nll_b)
    nll = {
        "base_transferred": float(nll_b.mean()),
        "tuned_transferred": float(nll_t.mean()),
        "tuned_minus_base": diff,
        "tuned_minus_base_se": diff_se,
        "n_test": len(test),
    }
    m = get_measurement(UB)
    comp = {"Ar40": 1.0}
    rows = [wf.events_row(m, table, comp, "NuWro 25.11 (Ar40 events)", True, is_flat_flux_sample)]
    rows.append(wf.model_row(m, ar_b, comp, args.predict_events, args.seed + 1, True, "base -> Ar40"))
    rows.append(wf.model_row(m, ar_t, comp, args.predict_events, args.seed + 1, True, "tuned -> Ar40 (argon sigma(E))"))
    coeffs = tuple(doc["tuned"]["sigma"]["coefficients"])
    if coeffs and ar_t.xsec is not None:
        s = SigmaCorrection(coeffs, *ar_t.energy_range)
        rows.append(
            wf.model_row(
                m,
                with_xsec(ar_t, s.apply(ar_t.xsec)),
                comp,
                args.predict_events,
                args.seed + 1,
                True,
                "tuned -> Ar40 (argon sigma(E) x tune's s(E))",
            )
        )
    wf.write_outputs(out / "microboone", m, wf.stored_rows(m) + rows, list(m.notes))
    return {
        "transfer": runs,
        "test_nll": nll,
        "microboone": [
            {
                "label": r.label,
                "chi2": r.chi2,
                "ndf": r.ndf,
                "chi2_shape": r.chi2_shape,
                "ndf_shape": r.ndf_shape,
                "norm_shape": r.norm_shape,
                "flux_outside_fraction": r.flux_outside_fraction,
            }
            for r in rows
        ],
    }


def markdown(res: dict[str, Any]) -> str:
    t = res["t2k"]
    lines = [
        "# Tuning nuwro-C12-flow to T2K ND280 (issue 19)",
        "",
        f"Command: `{res['command']}` (commit {res['git_commit']}); {res['threads']} thread(s).",
        "",
        tune_markdown(t).rstrip(),
        "",
    ]
    s = t["seconds"]
    lines.append(
        f"Timings: whole tune protocol {s['total']:.0f} s ({len(s['tunes'])} tunes, mean "
        f"{s['tune_mean']:.0f} s each; fresh predictions {s['predictions']:.0f} s; AUC {s['auc']:.0f} s)."
    )
    ar = res.get("argon")
    if ar is None:
        lines += ["", f"Argon / MicroBooNE: skipped ({res.get('argon_skipped')})."]
        return "\n".join(lines) + "\n"
    n, tt, tb = ar["test_nll"], ar["transfer"]["tuned"], ar["transfer"]["base"]
    lines += [
        "",
        "## Transferred to argon; MicroBooNE",
        "",
        f"Transfer (first {N_TRAIN:,} NuWro Ar40 rows): tuned selected step {tt['best_step']} of "
        f"{tt['steps_done']} ({tt['seconds']:.0f} s), base {tb['best_step']} of {tb['steps_done']} "
        f"({tb['seconds']:.0f} s). Test NLL on the last {n['n_test']:,} rows: base -> Ar40 "
        f"{n['base_transferred']:.4f}, tuned -> Ar40 {n['tuned_transferred']:.4f} nats/event (difference "
        f"{n['tuned_minus_base']:+.4f} +- {n['tuned_minus_base_se']:.4f}).",
        "",
        "| MicroBooNE prediction | chi2 / ndf | shape-only chi2 / ndf | flux not covered |",
        "|---|---:|---:|---:|",
    ]
    for r in ar["microboone"]:
        miss = r["flux_outside_fraction"]
        lines.append(
            f"| {r['label']} | {r['chi2']:.1f} / {r['ndf']} | {r['chi2_shape']:.1f} / {r['ndf_shape']} | "
            f"{'-' if miss is None else f'{miss:.1%}'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--nuwro-dir",
        type=Path,
        default=Path("../shared/data/nuwro"),
        help="NuWro samples (numu_Ar40.parquet) for the argon part; skipped when absent",
    )
    ap.add_argument("--base", default="nuwro-C12-flow")
    ap.add_argument("--out", type=Path, default=Path("runs/tune_t2k"))
    ap.add_argument(
        "--lambda", dest="lambdas", action="append", default=None, help="KL weight grid (default 1000,10000,100000)"
    )
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--predict-events", type=int, default=1_000_000)
    ap.add_argument("--auc-events", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="reuse OUT/tune/tune.json if present (argon part only)")
    ap.add_argument("--results", type=Path, default=RESULTS / "tune_t2k.json")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    tune_dir = a.out / "tune"
    cfg = TuneConfig(
        T2K,
        a.base,
        tune_dir,
        folds=a.folds,
        lambdas=parse_lambdas(a.lambdas or ["1000,10000,100000"]),
        events=a.events,
        steps=a.steps,
        seed=a.seed,
        predict_events=a.predict_events,
        auc_events=a.auc_events,
        allow_extrapolation=True,
        force=True,
    )
    if a.reuse and (tune_dir / "tune.json").exists():
        doc = json.loads((tune_dir / "tune.json").read_text())
        print(f"reusing {tune_dir / 'tune.json'}")
    else:
        doc = run_tune(cfg, progress=not a.no_progress)
    print(tune_markdown(doc))
    import torch

    res: dict[str, Any] = {
        "tuned": _four(doc["tuned"]),
        "base": _four(doc["base"]),
        "neut": _four(doc["neut"]),
        "genie": _four(doc["genie"]),
        "lambda": doc["lambda"],
        "lambda_scan": [{k: r[k] for k in ("lambda", "heldout_chi2", "heldout_ndf")} for r in doc["lambda_scan"]],
        "auc": doc["auc"],
        "command": command_line(),
        "git_commit": git_commit(),
        "threads": torch.get_num_threads(),
        "t2k": doc,
    }
    if (a.nuwro_dir / "numu_Ar40.parquet").exists():
        res["argon"] = argon_part(a.nuwro_dir, a.out, Path(doc["model"]), a.base, doc, a)
    else:
        res["argon"] = None
        res["argon_skipped"] = f"{a.nuwro_dir / 'numu_Ar40.parquet'} not found"
        print(f"argon part skipped: {res['argon_skipped']}")
    res["seconds"] = time.perf_counter() - t0
    a.results.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.results, json.dumps(res, indent=1, default=float) + "\n")
    text = markdown(res)
    atomic_write_text(a.results.with_suffix(".md"), text)
    stem = a.results.with_suffix("")
    copied = []
    for name in PLOTS:
        if (tune_dir / name).exists():
            dst = Path(f"{stem}_{name}")
            shutil.copyfile(tune_dir / name, dst)
            copied.append(dst.name)
    print(text)
    print(
        f"wrote {a.results}, {a.results.with_suffix('.md')} and {len(copied)} plots ({', '.join(copied)}) in "
        f"{res['seconds']:.0f} s"
    )
    return 0


def _four(d: dict[str, Any]) -> dict[str, Any]:
    keys = ("heldout_chi2", "heldout_ndf", "chi2", "ndf", "chi2_shape", "ndf_shape")
    return {k: d[k] for k in keys if k in d}


if __name__ == "__main__":
    sys.exit(main())
