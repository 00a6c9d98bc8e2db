"""Compare the built-in simulator with the reference NuWro 25.11 samples (issue 20's figures).

Usage: python benchmarks/simulator_vs_nuwro.py --nuwro-dir PATH/shared/data/nuwro [--events N] [--out FILE.json]
       [--model NAME|FILE.toml]  (default: the built-in 'default'; a variant is judged the same way)

Every NuWro number is read from the samples (Parquet + JSON sidecars), none is copied here.

1. Fixed energy (fixed_energy/{numu_C12,numu_Ar40,numubar_C12}_E{0.5,1.0,3.0}): the simulator (``--model``)
   at the same energy, ``--events`` events. Per sample: sigma_sim / sigma_NuWro (sidecar total); the
   cross-section shares by lepton-level W range (labels differ by definition: NuWro's RES/DIS split sits near
   W ~ 1.9 GeV, ours is a blend, so inelastic events are compared by W, not by label); W mean/std of the QE and
   MEC labels (defined alike in both) and the QE events' omega - Q2/2M (M = 0.9389 GeV; mean and 5/25/50/75/95%
   quantiles); the cross section by generator label (NuWro's sidecar, the simulator's tables); the classifier
   AUC (:func:`nugan.metrics.classifier_auc`, NuWro's 30k events against as many simulated) and a
   simulator-vs-simulator AUC (other seed) as its floor; the EMD
   entries (W1/std of E_mu, cos_theta, :func:`nugan.metrics.emd`); the share of events at cos_theta < -0.98 in
   the sampled events, in the exact weighted Monte Carlo (the tables' source) and in NuWro; where NuWro's labels
   put the RES/DIS split (share of its RES events at W > 1.6 GeV, 1st percentile of its DIS events' W).
2. Ar40 / C12 at 0.5 and 1 GeV (nu_mu): per-nucleon d(sigma)/dE_mu in 30 equal E_mu bins from m_mu to E;
   NuWro's Ar/C ratio (Poisson errors) is compared by chi2 with "no change" (ratio 1) and with the
   simulator's ratio (its own statistical error added); also the ratio in the top three E_mu bins.
3. Flat flux 0.3-10 GeV: flux-averaged sigma against the sidecars of NuWro's default-model flat samples, and
   sigma(E) in E bins (NuWro's from the E_nu density of its sample times its flux-averaged sigma, ours from
   the tables); sigma/E at 20 GeV against the PDG values.
Writes benchmarks/results/simulator_vs_nuwro.json (``--out``), stamped with its provenance.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from provenance import stamp

from nugan.atomic import atomic_write_text
from nugan.constants import M_MU, M_NUCLEON
from nugan.events import read_parquet
from nugan.events.table import CHANNEL_CODES, EventTable
from nugan.metrics.classifier import classifier_auc
from nugan.metrics.emd import emd
from nugan.physics import simulate
from nugan.physics.channels import SIM_CHANNELS, all_channels
from nugan.physics.models import get_model
from nugan.physics.nucleus import nuclear_config
from nugan.physics.tables import cross_section_table

MODEL = "default"
#: (probe, target) -> NuWro's default-model flat-flux (0.3-10 GeV) sample whose sidecar JSON holds its sigma
FLAT_SAMPLES = {("numu", "C12"): "numu_C12_base", ("numu", "Ar40"): "numu_Ar40", ("numubar", "C12"): "numubar_C12"}
FIXED = ("numu_C12", "numu_Ar40", "numubar_C12")
#: NuWro sidecar channel names -> labels (its RES/DIS split is not ours: compare RES + DIS (+ COH) together)
NUWRO_CHANNELS = {"QELcc": "QE", "REScc": "RES", "DIScc": "DIS", "COHcc": "COH", "MECcc": "MEC", "HYPcc": "HYP"}
SHIFT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
ENERGIES = (0.5, 1.0, 3.0)
PDG = {"numu": 14, "numubar": -14}
TARGET_ZA = {"C12": (6, 12), "Ar40": (18, 40)}
#: lepton-level W ranges [GeV] for the channel shares: QE-like, Delta, 2nd/3rd resonance, higher
W_RANGES = ((0.0, 1.08), (1.08, 1.40), (1.40, 1.70), (1.70, 2.00), (2.00, 99.0))
#: sigma/E at 20 GeV, PDG 2022 (isoscalar target) [1e-38 cm^2 / GeV]
PDG_SIGMA_OVER_E = {"numu": 0.677, "numubar": 0.334}
FLAT_EDGES = (0.3, 0.4, 0.5, 0.7, 1.0, 1.35, 2.0, 3.0, 5.0, 10.0)
N_EMU_BINS = 30


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


def _w_stats(t: EventTable, code: int) -> tuple[float, float]:
    W = t.W[t.channel == code]
    return (float(W.mean()), float(W.std())) if len(W) else (float("nan"), float("nan"))


def _w_shares(t: EventTable, sigma: float) -> dict[str, float]:
    """Cross section [1e-38 cm^2 per nucleon] in each lepton-level W range."""
    return {f"{a:g}-{b:g}": float(sigma / 1e-38 * np.mean((a <= t.W) & (b > t.W))) for a, b in W_RANGES}


def _backward_exact(probe: str, target: str, E: float, n: int = 200_000) -> float:
    """Share of the cross section at cos_theta < -0.98 in the exact weighted Monte Carlo."""
    m = get_model(MODEL)
    cfg = nuclear_config(target, m)
    tot = back = 0.0
    for _, ev in all_channels(E, n, np.random.default_rng(5), cfg, m, PDG[probe]):
        tot += float(ev.weight.sum())
        back += float(ev.weight[ev.cos_theta < -0.98].sum())
    return back / tot


def compare_file(path: Path, n: int) -> dict | None:
    m = re.match(r"(numu|numubar)_(C12|Ar40)_E([0-9.]+)\.parquet$", path.name)
    if not m:
        return None
    probe, target, E = m.group(1), m.group(2), float(m.group(3))
    ref = read_parquet(path)
    sim = simulate(probe, target, MODEL, energy=E, n_events=n, seed=11)
    sim2 = simulate(probe, target, MODEL, energy=E, n_events=len(ref), seed=12)
    s_ref, s_sim = float(ref.meta.xsec_cm2), float(sim.meta.xsec_cm2)
    row: dict = {
        "sample": path.stem,
        "probe": probe,
        "target": target,
        "E": E,
        "n_nuwro": len(ref),
        "n_sim": len(sim),
        "sigma_nuwro": s_ref,
        "sigma_sim": s_sim,
        "sigma_ratio": s_sim / s_ref,
        "sigma_over_E_nuwro": s_ref / 1e-38 / E,
        "sigma_over_E_sim": s_sim / 1e-38 / E,
        "W_shares_nuwro": _w_shares(ref, s_ref),
        "W_shares_sim": _w_shares(sim, s_sim),
    }
    # where NuWro's labels put RES/DIS (why inelastic events are compared by W range, not by label)
    res, dis = ref.channel == CHANNEL_CODES["RES"], ref.channel == CHANNEL_CODES["DIS"]
    row["nuwro_RES_label_share_W_gt_1.6"] = float(np.mean(ref.W[res] > 1.6)) if res.any() else None
    row["nuwro_DIS_label_W_p01"] = float(np.percentile(ref.W[dis], 1)) if dis.sum() > 100 else None
    for lab in ("QE", "MEC"):
        c = CHANNEL_CODES[lab]
        row[f"W_mean_std_{lab}_nuwro"] = _w_stats(ref, c)
        row[f"W_mean_std_{lab}_sim"] = _w_stats(sim, c)
    # mean energy the QE events leave behind beyond free-nucleon kinematics, omega - Q2/2M [GeV], and its quantiles
    for name, t in (("nuwro", ref), ("sim", sim)):
        qe = t.channel == CHANNEL_CODES["QE"]
        shift = t.omega[qe] - t.Q2[qe] / (2.0 * M_NUCLEON)
        row[f"QE_omega_shift_{name}"] = float(np.mean(shift))
        row[f"QE_omega_shift_quantiles_{name}"] = [float(q) for q in np.quantile(shift, SHIFT_QUANTILES)]
    # cross section by generator label [cm^2 per nucleon]: NuWro's from its sidecar, ours from the tables
    side = json.loads(path.with_suffix(".json").read_text())
    row["channel_sigma_nuwro"] = {
        NUWRO_CHANNELS.get(k, k): float(v["sigma_cm2_per_nucleon"]) for k, v in side["channels"].items()
    }
    xs = cross_section_table(probe, target, MODEL)
    row["channel_sigma_sim"] = {c: float(xs.channel(c, E)) for c in SIM_CHANNELS}
    auc = classifier_auc(sim, ref, seed=0, cap=len(ref))
    floor = classifier_auc(sim2, sim, seed=0, cap=len(ref), comparison="MC vs MC (simulator seeds 12 vs 11)")
    row["auc"], row["auc_se"], row["auc_mc_vs_mc"] = auc.auc, auc.auc_se, floor.auc
    e = emd({E: sim}, {E: ref})
    row["emd"] = e.value
    row["emd_per_variable"] = e.per_energy[E]
    row["backward_share_sampled"] = float(np.mean(sim.cos_theta < -0.98))
    row["backward_share_exact"] = _backward_exact(probe, target, E)
    row["backward_share_nuwro"] = float(np.mean(ref.cos_theta < -0.98))
    return row


def _emu_hist(t: EventTable, E: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-nucleon d(sigma)/dE_mu in N_EMU_BINS bins [1e-38 cm^2/GeV] and its Poisson error."""
    edges = np.linspace(M_MU, E, N_EMU_BINS + 1)
    c, _ = np.histogram(t.E_mu, edges)
    scale = sigma / 1e-38 / len(t) / np.diff(edges)
    return c * scale, np.sqrt(c) * scale


def ar_over_c(nuwro_dir: Path, E: float, n: int) -> dict:
    """Ar40/C12 ratio of d(sigma)/dE_mu (nu_mu, fixed energy): NuWro's against 1 and against the simulator's."""
    fixed = nuwro_dir / "fixed_energy"
    rc, ra = read_parquet(fixed / f"numu_C12_E{E}.parquet"), read_parquet(fixed / f"numu_Ar40_E{E}.parquet")
    hc, ec = _emu_hist(rc, E, float(rc.meta.xsec_cm2))
    ha, ea = _emu_hist(ra, E, float(ra.meta.xsec_cm2))
    sc = simulate("numu", "C12", MODEL, energy=E, n_events=n, seed=21)
    sa = simulate("numu", "Ar40", MODEL, energy=E, n_events=n, seed=22)
    gc, gce = _emu_hist(sc, E, float(sc.meta.xsec_cm2))
    ga, gae = _emu_hist(sa, E, float(sa.meta.xsec_cm2))
    ok = (hc > 0) & (ha > 0) & (gc > 0) & (ga > 0)
    r_nw = np.where(ok, ha / np.where(ok, hc, 1), np.nan)
    e_nw = r_nw * np.sqrt((ea / np.where(ok, ha, 1)) ** 2 + (ec / np.where(ok, hc, 1)) ** 2)
    r_sim = np.where(ok, ga / np.where(ok, gc, 1), np.nan)
    e_sim = r_sim * np.sqrt((gae / np.where(ok, ga, 1)) ** 2 + (gce / np.where(ok, gc, 1)) ** 2)
    chi_one = float(np.nansum(((r_nw - 1.0) / e_nw)[ok] ** 2))
    chi_sim = float(np.nansum(((r_nw - r_sim) ** 2 / (e_nw**2 + e_sim**2))[ok]))
    top = np.flatnonzero(ok)[-3:]
    return {
        "E": E,
        "n_bins": int(ok.sum()),
        "chi2_nuwro_vs_1": chi_one,
        "chi2_nuwro_vs_sim": chi_sim,
        "ratio_nuwro": [float(v) for v in r_nw],
        "ratio_sim": [float(v) for v in r_sim],
        "endpoint_ratio_nuwro": float(np.sum(ha[top]) / np.sum(hc[top])),
        "endpoint_ratio_sim": float(np.sum(ga[top]) / np.sum(gc[top])),
        "sigma_ratio_nuwro": float(ra.meta.xsec_cm2 / rc.meta.xsec_cm2),
        "sigma_ratio_sim": float(sa.meta.xsec_cm2 / sc.meta.xsec_cm2),
    }


def flat_bins(nuwro_dir: Path, probe: str, target: str) -> dict:
    """sigma(E) bin averages [1e-38 cm^2]: NuWro's from its flat sample's E_nu density, ours from the tables."""
    sigma_nw, _ = nuwro_flat_sigma(nuwro_dir, probe, target)
    t = read_parquet(nuwro_dir / f"{FLAT_SAMPLES[probe, target]}.parquet")
    lo, hi = FLAT_EDGES[0], FLAT_EDGES[-1]
    edges = np.asarray(FLAT_EDGES)
    c, _ = np.histogram(t.E_nu, edges)
    nw = sigma_nw / 1e-38 * (hi - lo) * c / len(t) / np.diff(edges)
    xs = cross_section_table(probe, target, MODEL)
    sim = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        e = np.linspace(a, b, 201)
        sim.append(float(np.trapezoid(xs.total(e), e) / (b - a) / 1e-38))
    return {
        "edges": list(FLAT_EDGES),
        "sigma_nuwro": [float(v) for v in nw],
        "sigma_sim": sim,
        "ratio": [s / v if v > 0 else None for s, v in zip(sim, nw, strict=True)],
    }


def main() -> None:
    global MODEL
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nuwro-dir", type=Path, required=True, help="folder with NuWro Parquet samples")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--model", default=MODEL, help="built-in model name or TOML/YAML model file (default: default)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "simulator_vs_nuwro.json")
    args = ap.parse_args()
    MODEL = args.model
    fixed = args.nuwro_dir / "fixed_energy"
    if not fixed.is_dir():
        raise SystemExit(f"error: {fixed} not found (give the shared/data/nuwro folder)")
    paths = [fixed / f"{s}_E{E}.parquet" for s in FIXED for E in ENERGIES]
    rows = [r for p in paths if (r := compare_file(p, args.events))]
    print(f"{'sample':18s} {'sig/E sim':>9s} {'NuWro':>7s} {'ratio':>6s} {'AUC':>6s} {'(MCvMC)':>7s} {'EMD':>6s}")
    for r in rows:
        print(
            f"{r['sample']:18s} {r['sigma_over_E_sim']:9.4f} {r['sigma_over_E_nuwro']:7.4f} {r['sigma_ratio']:6.3f} "
            f"{r['auc']:6.3f} {r['auc_mc_vs_mc']:7.3f} {r['emd']:6.3f}"
        )
    print("\ncross section [1e-38 cm^2] by lepton-level W range, NuWro / sim; W mean, std of QE and MEC labels:")
    for r in rows:
        sh = " ".join(f"{k}: {r['W_shares_nuwro'][k]:.4f}/{r['W_shares_sim'][k]:.4f}" for k in r["W_shares_nuwro"])
        qn, qs = r["W_mean_std_QE_nuwro"], r["W_mean_std_QE_sim"]
        mn, ms = r["W_mean_std_MEC_nuwro"], r["W_mean_std_MEC_sim"]
        print(
            f"{r['sample']:18s} {sh}\n{'':18s} QE W {qn[0]:.3f}+-{qn[1]:.3f} / {qs[0]:.3f}+-{qs[1]:.3f}  "
            f"MEC W {mn[0]:.3f}+-{mn[1]:.3f} / {ms[0]:.3f}+-{ms[1]:.3f}  QE omega-Q2/2M "
            f"{1e3 * r['QE_omega_shift_nuwro']:.1f} / {1e3 * r['QE_omega_shift_sim']:.1f} MeV  cos<-0.98: NuWro "
            f"{r['backward_share_nuwro']:.4f} sampled {r['backward_share_sampled']:.4f} exact "
            f"{r['backward_share_exact']:.4f}"
        )
    print("\nsigma by label, sim / NuWro (inelastic = RES + DIS, NuWro's + COH); QE omega - Q2/2M quantiles [MeV]:")
    for r in rows:
        n, m = r["channel_sigma_nuwro"], r["channel_sigma_sim"]
        inel_n = n.get("RES", 0.0) + n.get("DIS", 0.0) + n.get("COH", 0.0)
        ratios = {
            "QE": m["QE"] / n["QE"],
            "MEC": m["MEC"] / n["MEC"],
            "inelastic": (m["RES"] + m["DIS"]) / inel_n if inel_n else float("nan"),
            "HYP": m["HYP"] / n["HYP"] if n.get("HYP") else float("nan"),
        }
        qn = " ".join(f"{1e3 * q:.0f}" for q in r["QE_omega_shift_quantiles_nuwro"])
        qs = " ".join(f"{1e3 * q:.0f}" for q in r["QE_omega_shift_quantiles_sim"])
        print(
            f"{r['sample']:18s} " + " ".join(f"{k} x{v:.2f}" for k, v in ratios.items()) + f"; NuWro [{qn}] sim [{qs}]"
        )
    for r in rows:
        if r["nuwro_DIS_label_W_p01"] is not None:
            print(
                f"{r['sample']:18s} NuWro labels: {100 * r['nuwro_RES_label_share_W_gt_1.6']:.0f}% of RES at "
                f"W > 1.6 GeV, 1% of DIS below W = {r['nuwro_DIS_label_W_p01']:.2f} GeV"
            )
    ratios = [ar_over_c(args.nuwro_dir, E, args.events) for E in (0.5, 1.0)]
    print("\nAr40/C12 per-nucleon d(sigma)/dE_mu, nu_mu (chi2 of NuWro's ratio):")
    for a in ratios:
        print(
            f"E={a['E']}: chi2 vs 1 = {a['chi2_nuwro_vs_1']:.1f}, vs sim = {a['chi2_nuwro_vs_sim']:.1f} "
            f"({a['n_bins']} bins); endpoint ratio NuWro {a['endpoint_ratio_nuwro']:.3f} sim "
            f"{a['endpoint_ratio_sim']:.3f}; sigma ratio NuWro {a['sigma_ratio_nuwro']:.3f} "
            f"sim {a['sigma_ratio_sim']:.3f}"
        )
    flat = []
    for probe, target in FLAT_SAMPLES:
        ref, source = nuwro_flat_sigma(args.nuwro_dir, probe, target)
        s = simulate(probe, target, MODEL, energy=(0.3, 10.0), n_events=1000, seed=0).meta.xsec_cm2
        fb = flat_bins(args.nuwro_dir, probe, target)
        xs = cross_section_table(probe, target, MODEL)
        pdg20 = float(xs.total(20.0) / 1e-38 / 20.0)
        flat.append(
            {
                "probe": probe,
                "target": target,
                "sigma_sim": s,
                "sigma_nuwro": ref,
                "ratio": s / ref,
                "nuwro_source": source,
                "bins": fb,
                "sigma_over_E_20GeV_sim": pdg20,
                "sigma_over_E_20GeV_pdg": PDG_SIGMA_OVER_E[probe],
            }
        )
        print(
            f"flat 0.3-10 GeV {probe}-{target}: sim {s / 1e-38:.3f} vs NuWro {ref / 1e-38:.3f} (x{s / ref:.3f}, "
            f"{source}); by E bin x" + " ".join(f"{v:.2f}" for v in fb["ratio"]) + f"; sigma/E(20 GeV) {pdg20:.3f} "
            f"vs PDG {PDG_SIGMA_OVER_E[probe]} (x{pdg20 / PDG_SIGMA_OVER_E[probe]:.3f})"
        )
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"model": get_model(MODEL).label, "fixed_energy": rows, "ar_over_c": ratios, "flat": flat}
    atomic_write_text(out, json.dumps(result, indent=1, default=float))
    stamp(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
