"""The paper's grid on simulated domains: transfer learning vs scratch vs zero-shot, several sizes and seeds.

For each target domain and training size n, and each seed: fine-tune the base model on the first n events of
the domain's training pool (first block(s) frozen; one run per freezing depth), train the same architecture
from scratch on the same events with the same compute budget, and evaluate both, the unadapted base model
(zero-shot) and the source-domain MC (domain distance) against independent references with MC-vs-MC floors.
Everything is cached in the output folder, so an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nugan.atomic import atomic_write_text
from nugan.reports.plots import save_figure
from nugan.training.config import TrainConfig
from nugan.training.runs import TRANSFER_DEFAULTS, scratch, scratch_run, transfer
from nugan.training.state import has_state
from nugan.workflows.domains import Domain, DomainSamples, domain_samples
from nugan.workflows.evaluation import evaluate_model, floor_for, headline

__all__ = ["StudyConfig", "run_study", "simulated_provider", "SampleProvider", "aggregate", "study_markdown",
           "plot_study"]


@dataclass(frozen=True)
class StudyConfig:
    """Settings of a study.

    Attributes:
        domains: target domains ('numu-Ar40', 'numubar-C12', 'numu-C12:high-ma-nomec').
        sizes: training-sample sizes (events, train + validation split).
        seeds: repetitions (each seed: its own fine-tuning/scratch initialisation and data order).
        freeze_depths: numbers of frozen leading blocks to compare (1 = the paper's choice).
        n_test: events of each flat test reference (two independent ones for the floor).
        n_fixed: events of each fixed-energy reference.
        train: fine-tuning settings (scratch uses the same, with the transfer run's step budget).
        auc: compute classifier AUCs (slowest metric).
        data_seed: seed of the simulated samples.
    """

    domains: tuple[str, ...] = ("numu-Ar40", "numubar-C12", "numu-C12:high-ma-nomec")
    sizes: tuple[int, ...] = (10_000, 100_000)
    seeds: tuple[int, ...] = (0, 1, 2)
    freeze_depths: tuple[int, ...] = (1,)
    n_test: int = 100_000
    n_fixed: int = 50_000
    train: TrainConfig = field(default_factory=lambda: TRANSFER_DEFAULTS)
    auc: bool = True
    data_seed: int = 2026


def _cached(path: Path) -> dict[str, Any] | None:
    """Headline figures stored by an earlier (interrupted) run of the study, if any."""
    return json.loads(path.read_text()) if path.exists() else None


def _store(path: Path, rep: Any) -> dict[str, Any]:  # noqa: ANN401
    """Store a report's headline figures atomically and return them."""
    d = headline(rep)
    atomic_write_text(path, json.dumps(d, indent=1))
    return d


def _finished(run_dir: Path) -> bool:
    return (run_dir / "summary.json").exists() and (run_dir / "model.json").exists()


SampleProvider = Callable[[str, Path], tuple[DomainSamples, DomainSamples]]


def simulated_provider(cfg: StudyConfig, source: Domain) -> SampleProvider:
    """Samples of simulated domains: (target samples, source-domain references for the domain distance)."""

    def provide(spec: str, ddir: Path) -> tuple[DomainSamples, DomainSamples]:
        dom = Domain.parse(spec)
        s = domain_samples(dom, max(cfg.sizes), cfg.n_test, cfg.n_fixed, cfg.data_seed, cache=ddir / "samples")
        src = domain_samples(source, 0, cfg.n_test, cfg.n_fixed, cfg.data_seed + 1, cache=ddir / "source")
        return s, src

    return provide


def run_study(base: str | Path, cfg: StudyConfig, out: str | Path, log: Any = print,  # noqa: ANN401
              provider: SampleProvider | None = None) -> list[dict[str, Any]]:
    """Run (or resume) the study; returns one row per evaluated model, also in ``out/study.json``.

    ``provider(domain, folder) -> (target samples, source samples)`` supplies the data; the default simulates
    ``cfg.domains`` with the built-in simulator (files of real generators: see benchmarks/paper_reproduction.py).
    """
    import nugan

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    base_model = nugan.load(str(base))
    provider = provider or simulated_provider(cfg, Domain(*(_source_domain(base_model))))
    for spec in cfg.domains:
        ddir = out / spec.replace(":", "_")
        ddir.mkdir(parents=True, exist_ok=True)
        log(f"[{spec}] preparing samples (training pool {max(cfg.sizes)}, references)")
        s, src = provider(spec, ddir)
        floor = floor_for(s, cfg.data_seed, auc=cfg.auc)
        common = {"domain": s.label}
        fm = floor.map
        fl = {"map3d": fm.map3d if fm else None, "map3d_no_tails": fm.map3d_no_tails if fm else None,
              "mean_map": fm.mean_map if fm else None, "emd": floor.emd.value if floor.emd else None,
              "auc": floor.auc.auc if floor.auc else None}
        rows.append({**common, "method": "MC vs MC floor", "size": None, "seed": None, **fl})
        from nugan.metrics.evaluate import domain_distance

        p = ddir / "domain_distance.json"
        dd = _cached(p) or _store(p, domain_distance(src.test, s.test, src.fixed, s.fixed, seed=cfg.data_seed,
                                                     auc=cfg.auc, energy_range=(0.3, 10.0)))
        rows.append({**common, "method": "domain distance", "size": None, "seed": None, **_strip(dd)})
        p = ddir / "zero_shot.json"
        zs = _cached(p) or _store(p, evaluate_model(base_model, s, "zero-shot", cfg.data_seed, None, auc=cfg.auc))
        rows.append({**common, "method": "zero-shot", "size": None, "seed": None, **_strip(zs)})
        for n in cfg.sizes:
            data = s.training_pool()[:n]
            for seed in cfg.seeds:
                tcfg = cfg.train.replace(seed=seed)
                for depth in cfg.freeze_depths:
                    name = f"TL freeze{depth}" if len(cfg.freeze_depths) > 1 else "TL"
                    rdir = ddir / f"n{n}" / f"tl_f{depth}_s{seed}"
                    if not _finished(rdir):
                        log(f"[{spec}] n={n} seed={seed}: transfer learning (freeze {depth})")
                        transfer(base, data, rdir, freeze=depth, cfg=tcfg, resume=has_state(rdir),
                                 force=not has_state(rdir), progress=False)
                    p = rdir / "eval.json"
                    ev = _cached(p) or _store(p, evaluate_model(nugan.load(str(rdir)), s, name, seed, None,
                                                                auc=cfg.auc))
                    summ = json.loads((rdir / "summary.json").read_text())
                    rows.append({**common, "method": name, "size": n, "seed": seed, **_strip(ev),
                                 "steps": summ["steps_done"], "best_step": summ["best_step"]})
                tl_dir = ddir / f"n{n}" / f"tl_f{cfg.freeze_depths[0]}_s{seed}"
                sdir = ddir / f"n{n}" / f"scratch_s{seed}"
                if not _finished(sdir):
                    log(f"[{spec}] n={n} seed={seed}: scratch (budget of {tl_dir.name})")
                    scratch(data, scratch_run(base_model.bundle, tcfg), sdir,
                            match_budget=tl_dir, resume=has_state(sdir), force=not has_state(sdir),
                            progress=False)
                p = sdir / "eval.json"
                ev = _cached(p) or _store(p, evaluate_model(nugan.load(str(sdir)), s, "scratch", seed, None,
                                                            auc=cfg.auc))
                rows.append({**common, "method": "scratch", "size": n, "seed": seed, **_strip(ev),
                             "steps": json.loads((sdir / "summary.json").read_text())["steps_done"]})
    atomic_write_text(out / "study.json", json.dumps(
        {"config": _cfg_dict(cfg), "base": str(Path(str(base)).name), "rows": rows}, indent=1))
    agg = aggregate(rows)
    atomic_write_text(out / "study.md", study_markdown(agg, cfg))
    plot_study(agg, out / "map_vs_size.png")
    return rows


def _source_domain(model: Any) -> tuple[str, str, str]:  # noqa: ANN401
    d = model.info.get("domain", {})
    from nugan.constants import probe_name

    return probe_name(int(d.get("probe_pdg", 14))), str(d.get("target", "C12")), str(
        d.get("interaction_model", "default"))


def _strip(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k in ("map3d", "map3d_no_tails", "mean_map", "emd", "auc", "nll")}


def _cfg_dict(cfg: StudyConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d["train"] = asdict(cfg.train)
    return d


METRICS = ("map3d", "map3d_no_tails", "mean_map", "emd", "auc")


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds per (domain, method, size)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["domain"], r["method"], r["size"])].append(r)
    out = []
    for (dom, method, size), rs in groups.items():
        a: dict[str, Any] = {"domain": dom, "method": method, "size": size, "n_seeds": len(rs)}
        for m in METRICS:
            vals = [r[m] for r in rs if r.get(m) is not None and not math.isnan(r[m])]
            a[m] = float(np.mean(vals)) if vals else None
            a[f"{m}_std"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
        out.append(a)
    return out


def _cell(a: dict[str, Any], m: str) -> str:
    v, s = a.get(m), a.get(f"{m}_std")
    if v is None:
        return "-"
    digits = 4 if m == "emd" else 3
    return f"{v:.{digits}f}" + (f" ± {s:.{digits}f}" if s is not None else "")


def study_markdown(agg: list[dict[str, Any]], cfg: StudyConfig) -> str:
    """Markdown table: mean ± std over seeds."""
    lines = [f"# Transfer-learning study (seeds {list(cfg.seeds)}; mean ± std over seeds)", "",
             "| domain | method | size | MAP-3D | MAP-3D w/o tails | <MAP> | EMD | AUC |",
             "|---|---|---|---|---|---|---|---|"]
    for a in agg:
        size = "-" if a["size"] is None else f"{a['size']:,}"
        lines.append(f"| {a['domain']} | {a['method']} | {size} | " + " | ".join(_cell(a, m) for m in METRICS) + " |")
    return "\n".join(lines) + "\n"


def plot_study(agg: list[dict[str, Any]], path: Path) -> Path:
    """<MAP> vs training size per domain: TL and scratch with seed spread, zero-shot and floor as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    domains = sorted({a["domain"] for a in agg})
    fig, axes = plt.subplots(1, len(domains), figsize=(5 * len(domains), 4), squeeze=False)
    for ax, dom in zip(axes[0], domains, strict=True):
        rows = [a for a in agg if a["domain"] == dom]
        for method, style in (("TL", "o-"), ("scratch", "s--")):
            pts = sorted((a["size"], a["mean_map"], a["mean_map_std"] or 0.0) for a in rows
                         if a["method"].startswith(method) and a["size"] and a["mean_map"] is not None)
            if pts:
                x, y, e = zip(*pts, strict=True)
                ax.errorbar(x, y, yerr=e, fmt=style, capsize=3, label=method)
        for method, ls in (("zero-shot", ":"), ("MC vs MC floor", "-"), ("domain distance", "-.")):
            v = next((a["mean_map"] for a in rows if a["method"] == method), None)
            if v is not None:
                ax.axhline(v, ls=ls, color="gray" if method != "zero-shot" else "C2", label=method)
        ax.set_xscale("log")
        ax.set_xlabel("target training events")
        ax.set_ylabel("<MAP>")
        ax.set_title(dom)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return path
