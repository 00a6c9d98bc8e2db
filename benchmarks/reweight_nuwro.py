"""Reweighting NuWro carbon events to argon with flows, and what adaptation gained in nats.

    python benchmarks/reweight_nuwro.py --nuwro-dir ../shared/data/nuwro [--base nuwro-C12-flow] [--out runs/reweight]

1. Transfer learning of the flow base to NuWro nu_mu-Ar40 on the first 100,000 rows of numu_Ar40 (flow defaults:
   first block frozen, NLL selection with the paired margin; E_nu-balanced, --energy-balance, default 1, since the
   nuclei differ most at low E_nu where a flat flux puts few events) into OUT/ar40-flow (resumable).
2. Test NLL on the last 60,000 rows (never trained on) of the zero-shot base and of the transferred flow, and
   their paired difference (mean and standard error): what adaptation gained, in nats per event.
3. Reweighting: NuWro C12 events at fixed 0.5, 1 and 3 GeV (and the flat-flux C12 test rows) get weights
   p_Ar(x | E) / p_C(x | E) from the two flows (clip 100); classifier AUC of C12 (unweighted and weighted)
   against NuWro Ar40 at the same energy, with the MC floor (Ar40 half against half) and the effective sample
   size of the weights.
Prints a markdown table; writes benchmarks/results/reweight_nuwro.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from provenance import provenance, stamp

import nugan
from nugan.atomic import atomic_write_text
from nugan.events import EventTable, read_parquet
from nugan.generation.reweight import density_ratio_weights
from nugan.metrics.classifier import classifier_auc
from nugan.training.flow_loop import paired_improvement
from nugan.training.runs import transfer, transfer_defaults
from nugan.training.state import has_state

RESULTS = Path(__file__).resolve().parent / "results"
N_TRAIN, N_TEST = 100_000, 60_000


def ar40_split(nuwro: Path) -> tuple[EventTable, EventTable]:
    t = read_parquet(nuwro / "numu_Ar40.parquet").with_meta(energy_range=(0.3, 10.0))
    return t[:N_TRAIN], t[len(t) - N_TEST :]


def reweight_row(
    label: str, c12: EventTable, ar: EventTable, base: nugan.NuganModel, tl: nugan.NuganModel, seed: int
) -> dict[str, object]:
    res = density_ratio_weights(base.log_prob(c12), tl.log_prob(c12))
    h = len(ar) // 2
    plain = classifier_auc(c12, ar, seed=seed, comparison="C12 vs Ar40")
    weighted = classifier_auc(c12, ar, seed=seed, gen_weights=res.weights, comparison="weighted C12 vs Ar40")
    floor = classifier_auc(ar[:h], ar[h:], seed=seed, comparison="Ar40 vs Ar40")
    return {
        "sample": label,
        "n_c12": len(c12),
        "n_ar40": len(ar),
        "auc_unweighted": plain.auc,
        "auc_unweighted_se": plain.auc_se,
        "auc_weighted": weighted.auc,
        "auc_weighted_se": weighted.auc_se,
        "auc_floor": floor.auc,
        "auc_floor_se": floor.auc_se,
        "ess": res.ess,
        "ess_fraction": res.ess / len(c12),
        "mean_weight": res.mean,
        "fraction_clipped": res.fraction_clipped,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nuwro-dir", type=Path, default=Path("../shared/data/nuwro"))
    ap.add_argument("--base", default="nuwro-C12-flow")
    ap.add_argument("--out", type=Path, default=Path("runs/reweight"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--energy-balance",
        type=float,
        default=1.0,
        help="alpha of E_nu-balanced fine-tuning (and of the validation NLL that selects)",
    )
    ap.add_argument("--results", type=Path, default=RESULTS / "reweight_nuwro.json")
    a = ap.parse_args()
    nuwro = a.nuwro_dir
    pool, test = ar40_split(nuwro)
    run = a.out / "ar40-flow"
    if not (run / "summary.json").exists():
        cfg = transfer_defaults("flow").replace(energy_balance=a.energy_balance)
        transfer(a.base, pool, run, cfg=cfg, resume=has_state(run), force=not has_state(run))
    base, tl = nugan.load(a.base, device="cpu"), nugan.load(str(run), device="cpu")
    nll_base, nll_tl = -base.log_prob(test), -tl.log_prob(test)
    gain, gain_se = paired_improvement(nll_tl, nll_base)
    summary = json.loads((run / "summary.json").read_text())
    nll = {
        "zero_shot": float(nll_base.mean()),
        "transfer": float(nll_tl.mean()),
        "gain": gain,
        "gain_se": gain_se,
        "n_test": len(test),
        "best_step": summary["best_step"],
        "steps_done": summary["steps_done"],
    }
    print(
        f"test NLL on {len(test):,} NuWro Ar40 events: zero-shot {nll['zero_shot']:.4f}, transferred "
        f"{nll['transfer']:.4f}, difference {gain:+.5f} +- {gain_se:.5f} nats/event (best step {nll['best_step']})"
    )
    rows = []
    fixed = nuwro / "fixed_energy"
    for e in (0.5, 1.0, 3.0):
        c12, ar = read_parquet(fixed / f"numu_C12_E{e}.parquet"), read_parquet(fixed / f"numu_Ar40_E{e}.parquet")
        rows.append(reweight_row(f"{e:g} GeV", c12, ar, base, tl, a.seed))
        print(rows[-1])
    c12_flat = read_parquet(nuwro / "numu_C12_base.parquet")
    rows.append(reweight_row("flat 0.3-10 GeV", c12_flat[len(c12_flat) - N_TEST :], test, base, tl, a.seed))
    md = [
        "# Reweighting NuWro C12 events to Ar40 with flows",
        "",
        f"Command: `python benchmarks/reweight_nuwro.py --nuwro-dir ../shared/data/nuwro --base {a.base} "
        f"--energy-balance {a.energy_balance:g}`. "
        f"Transfer: {a.base} -> NuWro nu_mu-Ar40 (first {N_TRAIN:,} rows), selected step {nll['best_step']} of "
        f"{nll['steps_done']}.",
        "",
        f"Test NLL on the last {N_TEST:,} NuWro Ar40 rows: zero-shot {nll['zero_shot']:.4f}, transferred "
        f"{nll['transfer']:.4f} nats/event; paired difference {gain:+.5f} ± {gain_se:.5f}.",
        "",
        "| C12 sample | AUC C12 vs Ar40 | AUC weighted C12 vs Ar40 | Ar40 floor | ESS / N | mean w | clipped |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    md += [
        f"| {r['sample']} | {r['auc_unweighted']:.4f} ± {r['auc_unweighted_se']:.4f} | "
        f"{r['auc_weighted']:.4f} ± {r['auc_weighted_se']:.4f} | {r['auc_floor']:.4f} ± {r['auc_floor_se']:.4f} | "
        f"{r['ess_fraction']:.3f} | {r['mean_weight']:.4f} | {r['fraction_clipped']:.2e} |"
        for r in rows
    ]
    text = "\n".join(md) + "\n"
    print(text)
    atomic_write_text(
        a.results,
        json.dumps(
            {"base": a.base, "energy_balance": a.energy_balance, "nll": nll, "rows": rows}, indent=1, default=float
        ),
    )
    atomic_write_text(a.results.with_suffix(".md"), text)
    prov = provenance()
    stamp(a.results, prov=prov)
    stamp(a.results.with_suffix(".md"), prov=prov)
    print(f"wrote {a.results} and {a.results.with_suffix('.md')}")


if __name__ == "__main__":
    main()
