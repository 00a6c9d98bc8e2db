"""Fast scan of simulator models against NuWro at fixed energy, from the exact weighted Monte Carlo (issue 20).

    python benchmarks/simulator_scan.py --nuwro-dir ../shared/data/nuwro \
        [--models default,configs/models/simulator_moving_flux.toml,...] [--trials 1000000] [--out FILE.json]

For each model (built-in name or TOML/YAML file) and each fixed-energy NuWro sample
(``fixed_energy/{numu_C12,numu_Ar40,numubar_C12}_E{0.5,1.0,3.0}``): every simulator channel's weighted events at
that energy (``--trials`` per channel, :func:`nugan.physics.channels.weighted_events`, seed 11) are unweighted by
accepting each with probability weight / (largest weight of all channels), so channels keep their cross-section
shares. No kinematic tables are built, so a variant costs seconds rather than the minutes of
``simulator_vs_nuwro.py`` (which judges the table sampler a user gets; the two agree within the AUC's noise).
Per sample: sigma / sigma_NuWro (sidecar total), the classifier AUC against NuWro's events
(:func:`nugan.metrics.classifier_auc`, capped at NuWro's size) averaged over ``--auc-seeds`` classifier seeds (the
train/test split and the fit vary; the spread is printed), and chi2 per bin of the W and Q2 histograms (bins with
more than 20 events in both together; each sample's own Poisson errors). Prints a model x sample table and writes
JSON stamped with its provenance.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from provenance import write_json
from simulator_vs_nuwro import ENERGIES, FIXED, PDG

from nugan.events import read_parquet
from nugan.events.table import CHANNEL_CODES, EventTable
from nugan.metrics.classifier import classifier_auc
from nugan.physics.channels import all_channels
from nugan.physics.models import ModelParams, get_model
from nugan.physics.nucleus import nuclear_config

RESULTS = Path(__file__).resolve().parent / "results" / "simulator_scan.json"
MODELS = (
    "default-2.3",
    "configs/models/simulator_qe_potential.toml",
    "configs/models/simulator_moving_flux.toml",
    "configs/models/simulator_qe_deforest.toml",
    "configs/models/simulator_res_background.toml",
    "configs/models/simulator_delta_pole.toml",
    "default",
)
W_EDGES = np.linspace(0.8, 2.6, 37)  # [GeV]
Q2_EDGES = np.concatenate([np.linspace(0.0, 1.0, 21), [1.3, 1.7, 2.5, 4.0]])  # [GeV^2]
MIN_BIN = 20


def exact_sample(
    model: ModelParams, probe: str, target: str, E: float, trials: int, seed: int
) -> tuple[EventTable, float]:
    """Unweighted events of the exact weighted Monte Carlo at energy ``E`` [GeV] and its sigma [cm^2 per nucleon]."""
    cfg = nuclear_config(target, model)
    rng = np.random.default_rng(seed)
    parts = all_channels(E, trials, rng, cfg, model, PDG[probe])
    w_max = max(float(ev.weight.max()) for _, ev in parts)
    e_mu, cos, chan = [], [], []
    for ch, ev in parts:
        keep = rng.random(len(ev.weight)) < ev.weight / w_max
        e_mu.append(ev.E_mu[keep])
        cos.append(ev.cos_theta[keep])
        code = CHANNEL_CODES["OTHER" if ch == "HYP" else ch]  # hyperon events carry the label OTHER, as NuWro's
        chan.append(np.full(int(keep.sum()), code, dtype=np.int8))
    order = rng.permutation(sum(len(x) for x in e_mu))
    table = EventTable(
        E_nu=np.full(len(order), E),
        E_mu=np.concatenate(e_mu)[order],
        cos_theta=np.concatenate(cos)[order],
        channel=np.concatenate(chan)[order],
    )
    return table, float(sum(ev.sigma for _, ev in parts))


def chi2_per_bin(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> float:
    """chi2 per bin between the shapes of samples ``a`` and ``b`` (both normalised; their own Poisson errors)."""
    ha, hb = np.histogram(a, edges)[0].astype(float), np.histogram(b, edges)[0].astype(float)
    used = ha + hb > MIN_BIN
    pa, pb = ha / ha.sum(), hb / hb.sum()
    var = ha / ha.sum() ** 2 + hb / hb.sum() ** 2
    return float(np.sum((pa - pb)[used] ** 2 / var[used]) / used.sum())


def scan_model(spec: str, nuwro_dir: Path, trials: int, auc_seeds: int) -> dict:
    """All fixed-energy samples for one model."""
    model = get_model(spec)
    rows = []
    for name in FIXED:
        probe, target = name.split("_")
        for E in ENERGIES:
            path = nuwro_dir / "fixed_energy" / f"{name}_E{E}.parquet"
            if not path.exists():
                continue
            ref = read_parquet(path)
            side = json.loads(path.with_suffix(".json").read_text())
            sim, sigma = exact_sample(model, probe, target, E, trials, 11)
            aucs = [classifier_auc(sim, ref, seed=s, cap=len(ref)).auc for s in range(auc_seeds)]
            row = {
                "sample": path.stem,
                "n_sim": len(sim),
                "sigma_ratio": sigma / float(side["cross_section_total_cm2_per_nucleon"]),
                "auc": float(np.mean(aucs)),
                "auc_seeds": aucs,
                "chi2_per_bin_W": chi2_per_bin(ref.W, sim.W, W_EDGES),
                "chi2_per_bin_Q2": chi2_per_bin(ref.Q2, sim.Q2, Q2_EDGES),
            }
            rows.append(row)
            print(
                f"  {model.label:<34}{path.stem:<20} sigma x{row['sigma_ratio']:.3f}  AUC {row['auc']:.4f} "
                f"({min(aucs):.3f}-{max(aucs):.3f})  chi2/bin W {row['chi2_per_bin_W']:.1f} "
                f"Q2 {row['chi2_per_bin_Q2']:.1f}",
                flush=True,
            )
    return {"model": spec, "label": model.label, "description": model.description, "samples": rows}


def print_table(results: list[dict]) -> None:
    """AUC (sigma ratio) per model and sample."""
    samples = [r["sample"] for r in results[0]["samples"]]
    print("\nAUC against NuWro (sigma ratio)")
    print(f"{'model':<34}" + "".join(f"{s.replace('_E', ' '):>18}" for s in samples))
    for res in results:
        by = {r["sample"]: r for r in res["samples"]}
        cells = "".join(f"{by[s]['auc']:>10.3f} ({by[s]['sigma_ratio']:.2f})" for s in samples)
        print(f"{res['label']:<34}{cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nuwro-dir", type=Path, required=True, help="folder with NuWro's fixed_energy/ samples")
    ap.add_argument("--models", default=",".join(MODELS), help="built-in names or model files, comma-separated")
    ap.add_argument("--trials", type=int, default=1_000_000, help="weighted events per channel")
    ap.add_argument("--auc-seeds", type=int, default=3, help="classifier seeds averaged")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if not (args.nuwro_dir / "fixed_energy").is_dir():
        raise SystemExit(f"{args.nuwro_dir}: no fixed_energy/ folder of NuWro samples")
    results = [scan_model(m, args.nuwro_dir, args.trials, args.auc_seeds) for m in args.models.split(",") if m]
    print_table(results)
    write_json(args.out, {"trials": args.trials, "auc_seeds": args.auc_seeds, "models": results})


if __name__ == "__main__":
    main()
