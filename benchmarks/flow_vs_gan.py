"""GAN vs flow on the same test sets: the table of docs/results.md ("GAN vs flow").

    python benchmarks/flow_vs_gan.py --domain nuwro --nuwro-dir ../shared/data/nuwro \
        --model nuwro-C12 --model nuwro-C12-flow
    python benchmarks/flow_vs_gan.py --domain simulator --model numu-C12 --model numu-C12-flow

nuwro: the test set is the last 200,000 rows of numu_C12_base (never trained on, benchmarks/paper_reproduction.py's
rule), the fixed-energy references NuWro's 0.5 / 1 / 3 GeV C12 samples; floors from half splits of each.
simulator: two independent 200,000-event flat samples (seeds 901, 902) and two at each fixed energy.
Per model: classifier AUC (flat, and at each fixed energy) with its floor, MAP-3D, MAP-3D w/o tails, <MAP>, EMD at
0.5 / 1 / 3 GeV with floors, Delta(1232) contrast in W at 1 and 3 GeV against the reference's, test NLL (flows),
the training steps and wall time recorded in the model, and in-process sampling events/s (1e6 events, measured
in this run, so ratios between models are fair). Prints a markdown table; writes
benchmarks/results/flow_vs_gan_<domain>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from provenance import provenance, stamp

import nugan
from nugan.atomic import atomic_write_text
from nugan.events import EventTable, kinematics, read_parquet
from nugan.metrics.evaluate import compute_floor, evaluate_samples
from nugan.metrics.peaks import delta_windows, peak_contrast
from nugan.physics import simulate

RESULTS = Path(__file__).resolve().parent / "results"
ENERGIES = (0.5, 1.0, 3.0)


def nuwro_refs(nuwro: Path) -> tuple[EventTable, EventTable | None, dict[float, EventTable], dict | None]:
    base = read_parquet(nuwro / "numu_C12_base.parquet").with_meta(energy_range=(0.3, 10.0))
    test = base[len(base) - 200_000 :]
    fixed = {e: read_parquet(nuwro / "fixed_energy" / f"numu_C12_E{e:.1f}.parquet") for e in ENERGIES}
    return test, None, fixed, None


def simulator_refs(n: int) -> tuple[EventTable, EventTable, dict[float, EventTable], dict[float, EventTable]]:
    kw = {"probe": "numu", "target": "C12", "model": "default"}
    t1 = simulate(energy=(0.3, 10.0), n_events=n, seed=901, **kw)
    t2 = simulate(energy=(0.3, 10.0), n_events=n, seed=902, **kw)
    f1 = {e: simulate(energy=e, n_events=50_000, seed=1001 + i, **kw) for i, e in enumerate(ENERGIES)}
    f2 = {e: simulate(energy=e, n_events=50_000, seed=2001 + i, **kw) for i, e in enumerate(ENERGIES)}
    return t1, t2, f1, f2


def delta_contrasts(model: nugan.NuganModel | None, fixed: dict[float, EventTable], seed: int) -> dict[str, float]:
    """Delta-peak contrast at 1 and 3 GeV in the windows located on the reference (the reference's own if None)."""
    out = {}
    for e in (1.0, 3.0):
        ref = fixed[e]
        win = delta_windows(kinematics.W(ref.E_nu, ref.E_mu, ref.cos_theta))
        t = ref if model is None else model.sample(np.full(len(ref), e), seed=seed)
        out[f"{e:g}"] = peak_contrast(kinematics.W(t.E_nu, t.E_mu, t.cos_theta), win)[0]
    return out


def sampling_rate(model: nugan.NuganModel, n: int = 1_000_000) -> float:
    """In-process events/s of ``model.sample`` over a flat 0.3-10 GeV spectrum (best of 2)."""
    E = np.exp(np.random.default_rng(0).uniform(np.log(0.3), np.log(10.0), n))
    best = 0.0
    for s in range(2):
        t = time.perf_counter()
        model.sample(E, seed=s)
        best = max(best, n / (time.perf_counter() - t))
    return best


def training_record(model: nugan.NuganModel) -> dict[str, object]:
    """Steps, batch size and wall time of the model's training as recorded in its JSON (None where absent)."""
    info = model.info
    return {
        "best_step": info.get("best_step"),
        "batch_size": info.get("batch_size"),
        "train_seconds": info.get("train_seconds"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--domain", choices=["nuwro", "simulator"], required=True)
    ap.add_argument("--nuwro-dir", type=Path, default=Path("../shared/data/nuwro"))
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--events", type=int, default=200_000, help="simulator reference size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the sampling-rate figure")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    test, test2, fixed, fixed2 = nuwro_refs(a.nuwro_dir) if a.domain == "nuwro" else simulator_refs(a.events)
    floor = compute_floor(test, fixed, test2, fixed2, a.seed, (0.3, 10.0), 20, True, 100_000)
    rows = []
    ref_delta = delta_contrasts(None, fixed, a.seed)
    for spec in a.model:
        m = nugan.load(spec, device="cpu")
        t0 = time.perf_counter()
        rep = evaluate_samples(
            lambda E, s, m=m: m.sample(E, seed=s),
            test,
            fixed,
            seed=a.seed,
            name=spec,
            floor=floor,
            energy_range=(0.3, 10.0),
        )
        row = {
            "model": spec,
            "arch": m.arch,
            **rep.headline(),
            "auc_se": rep.auc.auc_se if rep.auc else None,
            "auc_by_energy": {f"{e:g}": r.auc for e, r in rep.auc_by_energy.items()},
            "emd_by_energy": {f"{e:g}": float(np.mean(list(d.values()))) for e, d in rep.emd.per_energy.items()}
            if rep.emd
            else {},
            "delta_contrast": delta_contrasts(m, fixed, a.seed + 1),
            "test_nll": None,
            **training_record(m),
            "eval_seconds": time.perf_counter() - t0,
        }
        if m.arch == "flow":
            nll = -m.log_prob(test)
            row["test_nll"] = {"mean": float(nll.mean()), "se": float(nll.std(ddof=1) / np.sqrt(len(nll)))}
        row["events_per_s"] = sampling_rate(m)
        rows.append(row)
        print(
            f"{spec}: AUC {row['auc']:.4f}, MAP-3D {row['map3d']:.3f}, EMD {row['emd']:.4f}, "
            f"{row['events_per_s']:,.0f} events/s"
        )
    fh = rep.floor_headline()
    fl = {
        **fh,
        "auc_by_energy": {f"{e:g}": r.auc for e, r in floor.auc_by_energy.items()},
        "emd_by_energy": {f"{e:g}": float(np.mean(list(d.values()))) for e, d in floor.emd.per_energy.items()}
        if floor.emd
        else {},
        "delta_contrast": ref_delta,
    }
    md = table(rows, fl, a)
    print(md)
    out = a.out or RESULTS / f"flow_vs_gan_{a.domain}.json"
    atomic_write_text(
        out,
        json.dumps(
            {
                "domain": a.domain,
                "command": " ".join(
                    ["python benchmarks/flow_vs_gan.py", f"--domain {a.domain}", *(f"--model {m}" for m in a.model)]
                ),
                "threads": a.threads,
                "floor": fl,
                "rows": rows,
            },
            indent=1,
            default=float,
        ),
    )
    atomic_write_text(out.with_suffix(".md"), md)
    prov = provenance()
    stamp(out, prov=prov)
    stamp(out.with_suffix(".md"), prov=prov)
    print(f"wrote {out} and {out.with_suffix('.md')}")


def table(rows: list[dict], fl: dict, a: argparse.Namespace) -> str:
    """Markdown: one row per model plus the floor row."""
    ref = (
        "NuWro 25.11 (last 200k rows of numu_C12_base; fixed-energy NuWro samples)"
        if a.domain == "nuwro"
        else "built-in simulator (200k flat, seeds 901/902; 50k per fixed energy)"
    )
    head = (
        "| model | AUC | AUC 0.5 / 1 / 3 GeV | MAP-3D | w/o tails | <MAP> | EMD | EMD 0.5 / 1 / 3 GeV | "
        "Delta contrast 1 / 3 GeV | test NLL [nats] | events/s |\n"
        "|---|---:|---|---:|---:|---:|---:|---|---|---:|---:|\n"
    )

    def trio(d: dict, digits: int) -> str:
        return " / ".join(f"{d[k]:.{digits}f}" if d.get(k) is not None else "-" for k in ("0.5", "1", "3"))

    lines = []
    for r in rows:
        nll = f"{r['test_nll']['mean']:.4f} ± {r['test_nll']['se']:.4f}" if r["test_nll"] else "-"
        dc = r["delta_contrast"]
        lines.append(
            f"| {r['model']} ({r['arch']}) | {r['auc']:.4f} ± {r['auc_se']:.4f} | "
            f"{trio(r['auc_by_energy'], 3)} | {r['map3d']:.3f} | {r['map3d_no_tails']:.3f} | "
            f"{r['mean_map']:.3f} | {r['emd']:.4f} | {trio(r['emd_by_energy'], 4)} | "
            f"{dc['1']:.2f} / {dc['3']:.2f} | {nll} | {r['events_per_s']:,.0f} |"
        )
    fd = fl["delta_contrast"]
    lines.append(
        f"| *MC vs MC floor / reference* | *{fl['auc']:.4f}* | *{trio(fl['auc_by_energy'], 3)}* | "
        f"*{fl['map3d']:.3f}* | *{fl['map3d_no_tails']:.3f}* | *{fl['mean_map']:.3f}* | "
        f"*{fl['emd']:.4f}* | *{trio(fl['emd_by_energy'], 4)}* | *{fd['1']:.2f} / {fd['3']:.2f}* | - | - |"
    )
    return (
        f"# GAN vs flow on {a.domain} nu_mu-C12\n\nReference: {ref}. Command: `python benchmarks/flow_vs_gan.py "
        f"--domain {a.domain} {' '.join('--model ' + m for m in a.model)}`; sampling rate in-process, "
        f"{a.threads} torch threads, 1e6 events over 0.3-10 GeV.\n\n" + head + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
