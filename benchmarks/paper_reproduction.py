"""Reproduce arXiv:2508.12987 on the real NuWro samples (shared/data/nuwro).

Usage (resumable: every stage skips work whose outputs exist, and training resumes from state.safetensors):

    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper pretrain
        (four phases: base-phase1, base-phase2, the widened base-phase3, and the E_nu-balanced final phase in base)
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper base-eval
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper pretrain-flow
        (the conditional flow base model: configs/pretrain_flow_cpu.toml into flow-base-phase1, then the
        E_nu-balanced continuation configs/continue_flow_balanced_cpu.toml into flow-base)
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper study
        (sizes 1k, 3k, 10k, 30k, 100k x seeds 0, 1, 2; scratch trained to convergence with the base's summed
        pre-training length as budget and early stopping; --scratch matched for the transfer run's budget;
        the committed results/paper_reproduction.* come from --sizes 10000,100000 --scratch matched,
        benchmarks/run_all.py's entry paper_reproduction)
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper \
        --domains numu-Ar40,numubar-C12 --sizes 10000 --seeds 0 report
        (HTML reports under runs/paper/reports/; the W, E_mu and cos_theta plots of PAPER_PLOTS are also written
        to results/paper_<domain>_<plot>.png)
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper \
        --family flow --study-name study_flow study      (the same study with the flow base, flow-base)
    python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper \
        --domains numubar-C12 --steps 4000 --study-name numubar_4000 study
        (a variant: its own run folder and results/paper_reproduction_numubar_4000.*, not committed)

Result files go to benchmarks/results/ (``--results-dir``), each stamped with its provenance (provenance.py).

Test-set rule (fixed, never trained on): the LAST rows of each file are the test set: 200,000 rows of
numu_C12_base (800k) and 60,000 rows of each 160k target file. Training uses the first rows only:
the base model the first 600,000 C12 rows; target trainings of size n the first n rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from provenance import provenance, stamp

from nugan.atomic import atomic_write_text
from nugan.events import EventTable, read_parquet
from nugan.training import load_run_config, pretrain, transfer
from nugan.training.runs import transfer_defaults
from nugan.training.state import has_state
from nugan.workflows.domains import DomainSamples
from nugan.workflows.study import SCRATCH_MODES, StudyConfig, aggregate, run_study, study_markdown

BASE_FILE = "numu_C12_base.parquet"
TARGETS = {
    "numu-Ar40": "numu_Ar40.parquet",
    "numubar-C12": "numubar_C12.parquet",
    "numu-C12-altmodel": "numu_C12_altmodel.parquet",
    "numu-C12-altmodel2": "numu_C12_altmodel2.parquet",
}
FIXED = {  # domain -> file stem of shared/data/nuwro/fixed_energy/<stem>_E<E>.parquet
    "numu-C12": "numu_C12",
    "numu-Ar40": "numu_Ar40",
    "numubar-C12": "numubar_C12",
    "numu-C12-altmodel2": "numu_C12_altmodel2",
}
BASE_TEST = 200_000
TARGET_TEST = 60_000
RESULTS = Path(__file__).resolve().parent / "results"
#: report plots copied to results/paper_<domain>_<name>.png: dist_<name>.png of the report's fixed energies
PAPER_PLOTS = ("E1_w", "E3_w", "E1_e-mu", "E1_cos-theta", "E0.5_e-mu")


def carve(table: EventTable, n_test: int) -> tuple[EventTable, EventTable]:
    """(train pool = first rows, test = last ``n_test`` rows)."""
    return table[: len(table) - n_test], table[len(table) - n_test :]


def fixed_refs(nuwro: Path, domain: str) -> dict[float, EventTable]:
    """NuWro monoenergetic references of a domain (0.5, 1, 3 GeV where they exist)."""
    stem = FIXED.get(domain)
    out = {}
    for e in (0.5, 1.0, 3.0):
        p = nuwro / "fixed_energy" / f"{stem}_E{e}.parquet"
        if stem and p.exists():
            out[e] = read_parquet(p).with_meta(model=f"nuwro:{domain}")
    return out


def nuwro_source(nuwro: Path) -> DomainSamples:
    """The nu_mu-C12 source domain: its test set (last rows of the base file) and fixed-energy references."""
    base = read_parquet(nuwro / BASE_FILE).with_meta(model="nuwro:numu-C12", energy_range=(0.3, 10.0))
    _, base_test = carve(base, BASE_TEST)
    return DomainSamples("numu-C12", None, base_test, None, fixed_refs(nuwro, "numu-C12"), None)


def nuwro_provider(nuwro: Path):
    """Study sample provider over the NuWro files (test sets carved by the rule in the module docstring)."""
    source = nuwro_source(nuwro)

    def provide(spec: str, ddir: Path) -> tuple[DomainSamples, DomainSamples]:
        t = read_parquet(nuwro / TARGETS[spec]).with_meta(model=f"nuwro:{spec}", energy_range=(0.3, 10.0))
        pool, test = carve(t, TARGET_TEST)
        return DomainSamples(spec, pool, test, None, fixed_refs(nuwro, spec), None), source

    return provide


def check_sizes(nuwro: Path, domains: list[str], sizes: list[int]) -> None:
    """Refuse sizes larger than a target's training pool (its file minus the last TARGET_TEST rows)."""
    import pyarrow.parquet as pq

    for spec in domains:
        pool = pq.ParquetFile(nuwro / TARGETS[spec]).metadata.num_rows - TARGET_TEST
        if max(sizes) > pool:
            raise SystemExit(f"{spec}: size {max(sizes)} exceeds its training pool of {pool} events")


def base_dir_of(out: Path, family: str) -> Path:
    """The base model of a family: OUT/base (GAN) or OUT/flow-base (flow)."""
    return out / ("flow-base" if family == "flow" else "base")


def speed_section(results: Path, speeds: dict[str, float]) -> str:
    """Markdown "Generation speed": NuWro's rate from each sample's JSON, and nugan's rows of results/generate.json
    (written by benchmarks/generate.py; copied with its date and load average, not measured here)."""
    md = "\n## Generation speed\n\n| generator | device | events/s |\n|---|---|---|\n"
    md += "".join(f"| NuWro 25.11 ({k}) | 1 CPU core (from the sample JSON) | {v:.0f} |\n" for k, v in speeds.items())
    gen = results / "generate.json"
    if gen.exists():
        g = json.loads(gen.read_text())
        for r in g["results"]:
            if r["what"].startswith("nugan"):
                dev = g["devices"].get(r["device"], r["device"])
                md += (
                    f"| {r['what']} {r.get('model', '')} ({r['events_per_call']:.0e} events/call) | {dev}, "
                    f"{g['torch_threads']} threads | {r['events_per_s']:.0f} |\n"
                )
        when = g.get("created_utc") or g.get("provenance", {}).get("date", "?")
        load = g.get("load_average_1min")
        md += (
            f"\n(nugan rows copied from generate.json (`python benchmarks/generate.py`), measured {when} UTC with "
            f"load average {'?' if load is None else f'{load:.2f}'} on {g.get('cpu_count', '?')} cores: "
            "timings depend on the load, see its provenance; the shipped models' own rates are in "
            "sampling_speed.md.)\n"
        )
    return md


def stage_study(
    nuwro: Path,
    out: Path,
    domains: list[str],
    sizes: list[int],
    seeds: list[int],
    steps: int | None,
    name: str = "study",
    family: str = "gan",
    scratch: str = "converged",
    scratch_steps: int | None = None,
    scratch_patience: int = 20,
    results: Path = RESULTS,
) -> None:
    defaults = transfer_defaults(family)
    train = defaults if steps is None else defaults.replace(steps=steps)
    base_dir = base_dir_of(out, family)
    check_sizes(nuwro, domains, sizes)
    cfg = StudyConfig(
        domains=tuple(domains),
        sizes=tuple(sizes),
        seeds=tuple(seeds),
        train=train,
        n_test=TARGET_TEST,
        data_seed=2026,
        scratch=scratch,
        scratch_steps=scratch_steps,
        scratch_patience=scratch_patience,
    )
    rows = run_study(base_dir, cfg, out / name, provider=nuwro_provider(nuwro))
    stem = "paper_reproduction" if name == "study" else f"paper_reproduction_{name}"
    agg = aggregate(rows)
    results.mkdir(parents=True, exist_ok=True)
    base_info = json.loads((base_dir / "model.json").read_text())
    speeds = {
        k: json.loads((nuwro / v.replace(".parquet", ".json")).read_text())["generation_rate_events_per_s"]
        for k, v in {"numu-C12": BASE_FILE, **TARGETS}.items()
    }
    atomic_write_text(
        results / f"{stem}.json",
        json.dumps(
            {
                "rows": rows,
                "aggregate": agg,
                "base_model": {
                    k: base_info.get(k)
                    for k in ("best_step", "best_mean_map", "best_map3d", "best_map3d_no_tails", "data_fingerprint")
                },
                "family": family,
                "fine_tuning_steps": train.steps,
                "nuwro_events_per_s": speeds,
                "scratch": {
                    k: json.loads((out / name / "study.json").read_text())["config"][k]
                    for k in ("scratch", "scratch_budget", "scratch_budget_source", "scratch_patience")
                },
                "test_rule": __doc__.split("Test-set rule")[1].strip(),
            },
            indent=1,
        ),
    )
    md = study_markdown(agg, cfg).replace("# Transfer-learning study", "# Paper reproduction on NuWro 25.11")
    md += speed_section(results, speeds)
    atomic_write_text(results / f"{stem}.md", md)
    written = [results / f"{stem}.json", results / f"{stem}.md", results / f"{stem}_map_vs_size.png"]
    shutil.copy(out / name / "map_vs_size.png", written[-1])
    curves = results / f"{stem}_learning_curves"
    curves.mkdir(exist_ok=True)
    for png in sorted((out / name).glob("learning_curves_*.png")):
        shutil.copy(png, curves / png.name)
        written.append(curves / png.name)
    prov = provenance()
    for f in written:
        stamp(f, prov=prov)
    print(md)


def stage_report(
    nuwro: Path,
    out: Path,
    domains: list[str],
    size: int,
    seed: int,
    name: str = "study",
    family: str = "gan",
    results: Path = RESULTS,
) -> None:
    """HTML report per domain: NuWro vs TL vs scratch (converged when present, else matched) vs zero-shot at
    the fixed energies; its :data:`PAPER_PLOTS` go to ``results/paper_<domain>_<plot>.png`` (stamped)."""
    import nugan
    from nugan.reports import write_report

    for spec in domains:
        refs = fixed_refs(nuwro, spec)
        if not refs:
            print(f"{spec}: no NuWro fixed-energy samples, no report")
            continue
        d = out / name / spec / f"n{size}"
        converged = d / f"scratch_converged_s{seed}"
        sdir, slabel = (converged, "scratch") if converged.exists() else (d / f"scratch_s{seed}", "scratch (matched)")
        models = {
            "zero-shot": nugan.load(str(base_dir_of(out, family))),
            f"TL {size}": nugan.load(str(d / f"tl_f1_s{seed}")),
            f"{slabel} {size}": nugan.load(str(sdir)),
        }
        idx = write_report(
            out / "reports" / spec,
            refs,
            models={k: (lambda E, s, m=m: m.sample(E, seed=s)) for k, m in models.items()},
            title=f"NuWro {spec}: TL vs scratch vs zero-shot ({size} training events)",
            reference_label="NuWro 25.11",
            observables=("E_mu", "cos_theta", "W", "Q2"),
        )
        print(f"report: {idx}")
        results.mkdir(parents=True, exist_ok=True)
        prov = provenance()
        for plot in PAPER_PLOTS:
            src = idx.parent / f"dist_{plot}.png"
            if src.exists():
                dest = results / f"paper_{spec}_{plot}.png"
                shutil.copy(src, dest)
                stamp(dest, prov=prov)
                print(f"plot: {dest}")


#: Widening of the third phase (see docs/training.md): a K-category latent code for the generator and the
#: W2, Q2 features for the discriminator, both zero-initialised.
WIDEN = {"add_latent_categories": 8, "add_disc_features": ("W2", "Q2")}


def base_training_set(nuwro: Path) -> EventTable:
    """The base model's training events: the first 600,000 rows of the C12 base sample."""
    base = read_parquet(nuwro / BASE_FILE).with_meta(model="nuwro-25.11", energy_range=(0.3, 10.0))
    return carve(base, BASE_TEST)[0]


def widened_phase(train: EventTable, parent: Path, run_dir: Path, config: Path) -> None:
    """Continue ``parent`` on ``train`` with nothing frozen after widening it (:data:`WIDEN`)."""
    transfer(
        parent, train, run_dir, freeze="none", cfg=load_run_config(config).train, resume=has_state(run_dir), **WIDEN
    )


def stage_pretrain(
    nuwro: Path, out: Path, config: Path, continue_config: Path, widen_config: Path, balance_config: Path
) -> None:
    """Four phases, like the simulator base model's: pre-training (``config``) into ``out/base-phase1``; a
    continuation on the same events with nothing frozen (``continue_config``) into ``out/base-phase2``; a
    continuation after widening (:data:`WIDEN`, ``widen_config``) into ``out/base-phase3``; an E_nu-balanced
    continuation (``balance_config``) into ``out/base``."""
    train = base_training_set(nuwro)
    (phase1, phase2, phase3), run_dir = (out / f"base-phase{i}" for i in (1, 2, 3)), out / "base"
    if not (phase1 / "summary.json").exists():
        pretrain(train, load_run_config(config), phase1, resume=has_state(phase1), energy_range=(0.3, 10.0))
    if not (phase2 / "summary.json").exists():
        transfer(
            phase1, train, phase2, freeze="none", cfg=load_run_config(continue_config).train, resume=has_state(phase2)
        )
    if not (phase3 / "summary.json").exists():
        widened_phase(train, phase2, phase3, widen_config)
    if not (run_dir / "summary.json").exists():
        transfer(
            phase3, train, run_dir, freeze="none", cfg=load_run_config(balance_config).train, resume=has_state(run_dir)
        )
    print(f"base model written to {run_dir}")


def stage_pretrain_flow(nuwro: Path, out: Path, config: Path, balance_config: Path) -> None:
    """The flow base model on the same 600,000 events: maximum-likelihood pre-training (``config``) into
    ``out/flow-base-phase1``, then an E_nu-balanced continuation with nothing frozen (``balance_config``) into
    ``out/flow-base``."""
    train = base_training_set(nuwro)
    phase1, run_dir = out / "flow-base-phase1", out / "flow-base"
    if not (phase1 / "summary.json").exists():
        pretrain(
            train, load_run_config(config, arch="flow"), phase1, resume=has_state(phase1), energy_range=(0.3, 10.0)
        )
    if not (run_dir / "summary.json").exists():
        transfer(
            phase1,
            train,
            run_dir,
            freeze="none",
            cfg=load_run_config(balance_config, arch="flow").train,
            resume=has_state(run_dir),
        )
    print(f"flow base model written to {run_dir}")


def stage_base_eval(nuwro: Path, out: Path, results: Path = RESULTS) -> None:
    """The base model on its own test set (last 200k rows of the C12 base sample), floors from half splits."""
    import nugan
    from nugan.workflows.evaluation import evaluate_model, floor_for

    source = nuwro_source(nuwro)
    # no second NuWro sample: floor_for takes half splits of the test set and of the fixed-energy samples
    rep = evaluate_model(nugan.load(str(out / "base")), source, "nuwro-C12 base", 0, floor_for(source, 0))
    results.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        results / "nuwro_base_model.md",
        "# NuWro-trained base model `nuwro-C12` on its test set (last 200,000 rows of numu_C12_base)\n\n"
        "Command: `python benchmarks/paper_reproduction.py --nuwro-dir ../shared/data/nuwro --out runs/paper "
        "base-eval`; floor: half split of the test set (MAP, AUC) and of the NuWro fixed-energy samples (EMD).\n\n"
        + rep.to_markdown(),
    )
    atomic_write_text(results / "nuwro_base_model.json", json.dumps(rep.to_dict(), indent=1, default=float))
    prov = provenance()
    for f in ("nuwro_base_model.md", "nuwro_base_model.json"):
        stamp(results / f, prov=prov)
    print(rep.to_markdown())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nuwro-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("runs/paper"))
    ap.add_argument("--config", type=Path, default=Path(__file__).resolve().parents[1] / "configs/pretrain_cpu.toml")
    ap.add_argument(
        "--continue-config", type=Path, default=Path(__file__).resolve().parents[1] / "configs/continue_long_cpu.toml"
    )
    ap.add_argument(
        "--widen-config", type=Path, default=Path(__file__).resolve().parents[1] / "configs/continue_modes_cpu.toml"
    )
    ap.add_argument(
        "--balance-config",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "configs/continue_balanced_cpu.toml",
    )
    ap.add_argument("--domains", default=",".join(TARGETS))
    ap.add_argument(
        "--sizes",
        default="1000,3000,10000,30000,100000",
        help="target training sizes (at most 100000: 160k rows minus the 60k test rows)",
    )
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument(
        "--scratch",
        choices=list(SCRATCH_MODES),
        default="converged",
        help="scratch baseline: trained to convergence (own budget, early stopping) or with the transfer run's budget",
    )
    ap.add_argument(
        "--scratch-steps",
        type=int,
        default=None,
        help="converged scratch budget (default: the base's pre-training length over its phases)",
    )
    ap.add_argument(
        "--scratch-patience",
        type=int,
        default=20,
        help="converged scratch: validations without improvement before stopping",
    )
    ap.add_argument("--steps", type=int, default=None, help="fine-tuning steps (default: transfer defaults)")
    ap.add_argument(
        "--family",
        choices=["gan", "flow"],
        default="gan",
        help="study: transfer the GAN base (OUT/base) or the flow base (OUT/flow-base)",
    )
    ap.add_argument(
        "--study-name",
        default="study",
        help="run folder under --out; other than 'study', results go to paper_reproduction_NAME.*",
    )
    ap.add_argument(
        "--flow-config", type=Path, default=Path(__file__).resolve().parents[1] / "configs/pretrain_flow_cpu.toml"
    )
    ap.add_argument(
        "--flow-balance-config",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "configs/continue_flow_balanced_cpu.toml",
    )
    ap.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where result files go (default benchmarks/results)"
    )
    ap.add_argument("stage", choices=["pretrain", "pretrain-flow", "base-eval", "study", "report"])
    a = ap.parse_args()
    domains = [d for d in a.domains.split(",") if d]
    unknown = [d for d in domains if d not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown domain(s) {unknown}; choose from {list(TARGETS)}")
    if not (a.nuwro_dir / BASE_FILE).exists():
        raise SystemExit(f"{a.nuwro_dir}: no {BASE_FILE} (pass the shared/data/nuwro folder)")
    if a.stage == "pretrain":
        stage_pretrain(a.nuwro_dir, a.out, a.config, a.continue_config, a.widen_config, a.balance_config)
    elif a.stage == "pretrain-flow":
        stage_pretrain_flow(a.nuwro_dir, a.out, a.flow_config, a.flow_balance_config)
    elif a.stage == "base-eval":
        stage_base_eval(a.nuwro_dir, a.out, a.results_dir)
    elif a.stage == "study":
        stage_study(
            a.nuwro_dir,
            a.out,
            domains,
            [int(x) for x in a.sizes.split(",")],
            [int(x) for x in a.seeds.split(",")],
            a.steps,
            a.study_name,
            a.family,
            a.scratch,
            a.scratch_steps,
            a.scratch_patience,
            a.results_dir,
        )
    else:
        stage_report(
            a.nuwro_dir,
            a.out,
            domains,
            int(a.sizes.split(",")[0]),
            int(a.seeds.split(",")[0]),
            a.study_name,
            a.family,
            a.results_dir,
        )


if __name__ == "__main__":
    main()
