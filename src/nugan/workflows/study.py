"""The paper's grid on simulated domains: transfer learning vs scratch vs zero-shot, several sizes and seeds.

For each target domain and training size n, and each seed: fine-tune the base model on the first n events of
the domain's training pool (first block(s) frozen; one run per freezing depth), train the same architecture
from scratch on the same events, and evaluate both, the unadapted base model (zero-shot) and the source-domain
MC (domain distance) against independent references with MC-vs-MC floors.

Scratch baselines (``StudyConfig.scratch``): 'converged' (default) trains to convergence with its own budget,
the base model's pre-training length (:func:`nugan.training.runs.pretraining_length`, or ``scratch_steps``),
early stopping on its own validation split; 'matched' gives it the transfer run's steps and batch size (rows
labelled 'scratch (matched budget)'). Every TL and scratch row records ``steps``, ``best_step``, ``seconds``.

Outputs: ``study.json`` (rows), ``study.md`` (mean ± std over seeds), ``map_vs_size.png`` (<MAP>, AUC and
fixed-energy EMD against size) and ``learning_curves_<domain>_n<size>.png`` (validation metric against step
and wall-clock, TL and scratch, one line per seed). Everything is cached in the output folder, so an
interrupted study resumes where it stopped.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from nugan.atomic import atomic_write_text
from nugan.reports.plots import plot_learning_curves, save_figure
from nugan.training.config import TrainConfig
from nugan.training.runs import (
    TRANSFER_DEFAULTS,
    converged_scratch_settings,
    epoch_capped,
    pretraining_length,
    scratch,
    scratch_run,
    transfer,
)
from nugan.training.state import has_state
from nugan.workflows.domains import EVAL_ENERGIES, Domain, DomainSamples, domain_samples
from nugan.workflows.evaluation import HEADLINE_SCHEMA, evaluate_model, floor_for, floor_headline, headline

__all__ = [
    "StudyConfig",
    "run_study",
    "simulated_provider",
    "SampleProvider",
    "aggregate",
    "study_markdown",
    "plot_study",
    "scratch_budget",
    "SCRATCH_MODES",
    "METRICS",
    "COSTS",
    "write_learning_curves",
    "run_record",
]

#: Scratch baselines: trained to convergence with their own budget, or with the transfer run's budget.
SCRATCH_MODES = ("converged", "matched")

#: Metrics of every row (None where not computed): MAP-3D, <MAP>, EMD (mean and at each fixed energy [GeV]),
#: classifier AUC, test NLL [nats/event] (flows).
METRICS = ("map3d", "map3d_no_tails", "mean_map", "emd", *(f"emd_{e:g}" for e in EVAL_ENERGIES), "auc", "nll")
#: Cost columns of every row (None for rows without training): steps done, selected step, wall time [s].
COSTS = ("steps", "best_step", "seconds")


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
        train: fine-tuning settings (scratch uses the same data split and batch size).
        auc: compute classifier AUCs (slowest metric).
        data_seed: seed of the simulated samples.
        scratch: 'converged' (own budget, early stopping) or 'matched' (the transfer run's steps).
        scratch_steps: budget of converged scratch; None takes the base model's pre-training length
            (:func:`scratch_budget`).
        scratch_patience: converged scratch stops after this many validations without improvement.
        scratch_validations: validations over the converged budget (not more often than ``train.val_every``).
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
    scratch: str = "converged"
    scratch_steps: int | None = None
    scratch_patience: int = 20
    scratch_validations: int = 200

    def __post_init__(self) -> None:
        if self.scratch not in SCRATCH_MODES:
            raise ValueError(f"scratch must be one of {SCRATCH_MODES}, got {self.scratch!r}")
        if self.scratch_steps is not None and self.scratch_steps < 1:
            raise ValueError(f"scratch_steps must be >= 1, got {self.scratch_steps}")


def _cached(path: Path) -> dict[str, Any] | None:
    """Headline figures stored by an earlier (interrupted) run of the study, if any and of the current schema."""
    if not path.exists():
        return None
    d: dict[str, Any] = json.loads(path.read_text())
    return d if d.get("schema") == HEADLINE_SCHEMA else None


def _store(path: Path, rep: Any) -> dict[str, Any]:
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


def scratch_budget(base: str | Path, cfg: StudyConfig) -> tuple[int, str]:
    """Steps of a converged scratch baseline and where they come from: ``cfg.scratch_steps``, else the base
    model's pre-training length summed over its phases (:func:`nugan.training.runs.pretraining_length`)."""
    if cfg.scratch_steps is not None:
        return cfg.scratch_steps, "scratch_steps"
    steps, phases = pretraining_length(base)
    return steps, "pre-training length of " + " + ".join(reversed(phases))


def run_study(
    base: str | Path, cfg: StudyConfig, out: str | Path, log: Any = print, provider: SampleProvider | None = None
) -> list[dict[str, Any]]:
    """Run (or resume) the study; returns one row per evaluated model, also in ``out/study.json``.

    ``provider(domain, folder) -> (target samples, source samples)`` supplies the data; the default simulates
    ``cfg.domains`` with the built-in simulator (files of real generators: see benchmarks/paper_reproduction.py).
    Rows: domain, family ('gan' or 'flow'), method, size, seed, :data:`METRICS` (the floor row holds the
    floors), and for TL and scratch steps, best_step, seconds, stopped_early, val_best, val_noise.
    """
    import nugan

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    base_model = nugan.load(str(base))
    family = getattr(base_model, "arch", "gan")
    provider = provider or simulated_provider(cfg, Domain(*(_source_domain(base_model))))
    budget = scratch_budget(base, cfg) if cfg.scratch == "converged" else None
    if budget:
        log(f"converged scratch: up to {budget[0]} steps ({budget[1]}), patience {cfg.scratch_patience}")
    for spec in cfg.domains:
        ddir = out / spec.replace(":", "_")
        ddir.mkdir(parents=True, exist_ok=True)
        log(f"[{spec}] preparing samples (training pool {max(cfg.sizes)}, references)")
        s, src = provider(spec, ddir)
        pool = s.training_pool()
        if len(pool) < max(cfg.sizes):
            raise ValueError(
                f"{spec}: the training pool holds {len(pool)} events, fewer than the size {max(cfg.sizes)} asked for"
            )
        floor = floor_for(s, cfg.data_seed, auc=cfg.auc)
        common = {"domain": s.label, "family": family}
        rows.append(_row(common, "MC vs MC floor", None, None, floor_headline(floor)))
        from nugan.metrics.evaluate import domain_distance

        p = ddir / "domain_distance.json"
        dd = _cached(p) or _store(
            p,
            domain_distance(
                src.test, s.test, src.fixed, s.fixed, seed=cfg.data_seed, auc=cfg.auc, energy_range=(0.3, 10.0)
            ),
        )
        rows.append(_row(common, "domain distance", None, None, dd))
        p = ddir / "zero_shot.json"
        zs = _cached(p) or _store(p, evaluate_model(base_model, s, "zero-shot", cfg.data_seed, None, auc=cfg.auc))
        rows.append(_row(common, "zero-shot", None, None, zs))
        for n in cfg.sizes:
            data = pool[:n]
            curves: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
            for seed in cfg.seeds:
                tcfg = epoch_capped(cfg.train.replace(seed=seed), n)
                for depth in cfg.freeze_depths:
                    name = f"TL freeze{depth}" if len(cfg.freeze_depths) > 1 else "TL"
                    rdir = ddir / f"n{n}" / f"tl_f{depth}_s{seed}"
                    if not _finished(rdir):
                        log(f"[{spec}] n={n} seed={seed}: transfer learning (freeze {depth})")
                        transfer(
                            base,
                            data,
                            rdir,
                            freeze=depth,
                            cfg=tcfg,
                            resume=has_state(rdir),
                            force=not has_state(rdir),
                            progress=False,
                        )
                    p = rdir / "eval.json"
                    ev = _cached(p) or _store(
                        p, evaluate_model(nugan.load(str(rdir)), s, name, seed, None, auc=cfg.auc)
                    )
                    rows.append({**_row(common, name, n, seed, ev), **run_record(rdir)})
                    curves[name].append(_history(rdir))
                tl_dir = ddir / f"n{n}" / f"tl_f{cfg.freeze_depths[0]}_s{seed}"
                name, sdir = _scratch_run(base_model, data, tcfg, cfg, budget, tl_dir, ddir / f"n{n}", seed, log, spec)
                p = sdir / "eval.json"
                ev = _cached(p) or _store(p, evaluate_model(nugan.load(str(sdir)), s, name, seed, None, auc=cfg.auc))
                rows.append({**_row(common, name, n, seed, ev), **run_record(sdir)})
                curves[name].append(_history(sdir))
            write_learning_curves(curves, out / f"learning_curves_{s.slug}_n{n}.png", f"{s.label}, {n:,} events")
    config = {
        **_cfg_dict(cfg),
        "scratch_budget": budget[0] if budget else None,
        "scratch_budget_source": budget[1] if budget else None,
    }
    atomic_write_text(
        out / "study.json",
        json.dumps({"config": config, "base": str(Path(str(base)).name), "family": family, "rows": rows}, indent=1),
    )
    agg = aggregate(rows)
    atomic_write_text(out / "study.md", study_markdown(agg, cfg))
    plot_study(agg, out / "map_vs_size.png")
    return rows


def _scratch_run(
    base_model: Any,
    data: Any,
    tcfg: TrainConfig,
    cfg: StudyConfig,
    budget: tuple[int, str] | None,
    tl_dir: Path,
    ndir: Path,
    seed: int,
    log: Any,
    spec: str,
) -> tuple[str, Path]:
    """Train (or resume) the scratch baseline of one (size, seed): (row label, run folder)."""
    run = scratch_run(base_model.bundle, tcfg)
    if budget is not None:
        name, sdir = "scratch", ndir / f"scratch_converged_s{seed}"
        train = converged_scratch_settings(
            tcfg, budget[0], run.arch, cfg.scratch_patience, cfg.scratch_validations, n_events=len(data)
        )
        run, match = replace(run, train=train), None
        how = f"own budget {budget[0]} steps, patience {cfg.scratch_patience} x {train.val_every}"
    else:
        name, sdir = "scratch (matched budget)", ndir / f"scratch_s{seed}"
        match, how = tl_dir, f"budget of {tl_dir.name}"
    if not _finished(sdir):
        log(f"[{spec}] {ndir.name} seed={seed}: {name} ({how})")
        scratch(data, run, sdir, match_budget=match, resume=has_state(sdir), force=not has_state(sdir), progress=False)
    return name, sdir


def run_record(run_dir: Path) -> dict[str, Any]:
    """Cost and selection of a finished run: steps done, best_step, wall time [s] (of the last session when
    resumed), stopped_early, val_best (selected validation <MAP> or NLL) and val_noise (its noise: the starting
    point's <MAP> spread over generator seeds for GAN transfer runs, the NLL standard error for flows)."""
    summ = json.loads((run_dir / "summary.json").read_text())
    hist = _history(run_dir)
    best = next((h for h in hist if h.get("step") == summ["best_step"]), {})
    if summ.get("best_val_nll") is not None:
        val_best = summ["best_val_nll"]
        noise = best.get("val_nll_balanced_se", best.get("val_nll_se"))
    else:
        val_best = summ["best_mean_map"]
        noise = hist[0].get("noise_mean_map") if hist else None
    return {
        "steps": summ["steps_done"],
        "best_step": summ["best_step"],
        "seconds": summ["seconds"],
        "stopped_early": summ["stopped_early"],
        "val_best": val_best,
        "val_noise": noise,
    }


def _history(run_dir: Path) -> list[dict[str, Any]]:
    p = run_dir / "history.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines() if x.strip()] if p.exists() else []


def write_learning_curves(curves: dict[str, list[list[dict[str, Any]]]], path: Path, title: str) -> Path:
    """Learning-curve figure (:func:`nugan.reports.plots.plot_learning_curves`) of one domain and size."""
    save_figure(plot_learning_curves(curves, title=f"learning curves: {title}"), path)
    return path


def _row(common: dict[str, Any], method: str, size: int | None, seed: int | None, d: dict[str, Any]) -> dict[str, Any]:
    """A study row: every key of :data:`METRICS` and :data:`COSTS` (None where not computed or not trained)."""
    return {
        **common,
        "method": method,
        "size": size,
        "seed": seed,
        **{m: d.get(m) for m in METRICS},
        **dict.fromkeys(COSTS),
    }


def _source_domain(model: Any) -> tuple[str, str, str]:
    d = model.info.get("domain", {})
    from nugan.constants import probe_name

    return (
        probe_name(int(d.get("probe_pdg", 14))),
        str(d.get("target", "C12")),
        str(d.get("interaction_model", "default")),
    )


def _cfg_dict(cfg: StudyConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d["train"] = asdict(cfg.train)
    return d


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds per (domain, method, size) of :data:`METRICS` and :data:`COSTS`."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["domain"], r["method"], r["size"])].append(r)
    out = []
    for (dom, method, size), rs in groups.items():
        a: dict[str, Any] = {"domain": dom, "method": method, "size": size, "n_seeds": len(rs)}
        if rs[0].get("family"):
            a["family"] = rs[0]["family"]
        for m in (*METRICS, *COSTS):
            vals = [r[m] for r in rs if r.get(m) is not None and not math.isnan(r[m])]
            a[m] = float(np.mean(vals)) if vals else None
            a[f"{m}_std"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
        out.append(a)
    return out


def _cell(a: dict[str, Any], m: str) -> str:
    v, s = a.get(m), a.get(f"{m}_std")
    if v is None:
        return "-"
    if m in COSTS:
        return f"{v:,.0f}" + (f" ± {s:,.0f}" if s is not None else "")
    digits = 4 if m.startswith("emd") else 3
    return f"{v:.{digits}f}" + (f" ± {s:.{digits}f}" if s is not None else "")


_HEADERS = {
    "map3d": "MAP-3D",
    "map3d_no_tails": "MAP-3D w/o tails",
    "mean_map": "<MAP>",
    "emd": "EMD",
    "auc": "AUC",
    "nll": "test NLL",
    "steps": "steps",
    "best_step": "best step",
    "seconds": "wall [s]",
    **{f"emd_{e:g}": f"EMD {e:g} GeV" for e in EVAL_ENERGIES},
}


def study_markdown(agg: list[dict[str, Any]], cfg: StudyConfig) -> str:
    """Markdown table: mean ± std over seeds (columns without any value are left out)."""
    cols = [m for m in (*METRICS, *COSTS) if m in ("map3d", "mean_map") or any(a.get(m) is not None for a in agg)]
    scratch = (
        "scratch: trained to convergence (own budget, early stopping)"
        if cfg.scratch == "converged"
        else "scratch (matched budget): the transfer run's steps"
    )
    lines = [
        f"# Transfer-learning study (seeds {list(cfg.seeds)}; mean ± std over seeds)",
        "",
        scratch + ".",
        "",
        "| domain | method | size | " + " | ".join(_HEADERS[m] for m in cols) + " |",
        "|---|---|---|" + "---|" * len(cols),
    ]
    for a in agg:
        size = "-" if a["size"] is None else f"{a['size']:,}"
        lines.append(f"| {a['domain']} | {a['method']} | {size} | " + " | ".join(_cell(a, m) for m in cols) + " |")
    return "\n".join(lines) + "\n"


def _size_panels(agg: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(metric, axis label) of the size plot: <MAP>, AUC and the fixed-energy EMD (0.5 GeV, else the mean)."""
    panels = [("mean_map", "<MAP>")]
    if any(a.get("auc") is not None for a in agg):
        panels.append(("auc", "classifier AUC"))
    emd = next((m for m in ("emd_0.5", "emd") if any(a.get(m) is not None for a in agg)), None)
    if emd:
        panels.append((emd, "EMD at 0.5 GeV" if emd == "emd_0.5" else "EMD (fixed energies)"))
    return panels


def plot_study(agg: list[dict[str, Any]], path: Path) -> Path:
    """Metrics vs training size (rows: <MAP>, AUC, EMD at 0.5 GeV; columns: domains): TL and scratch as mean ±
    std over seeds, zero-shot, floor and domain distance as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    domains = sorted({a["domain"] for a in agg})
    panels = _size_panels(agg)
    fig, axes = plt.subplots(len(panels), len(domains), figsize=(5 * len(domains), 3.6 * len(panels)), squeeze=False)
    for col, dom in enumerate(domains):
        rows = [a for a in agg if a["domain"] == dom]
        trained = sorted({a["method"] for a in rows if a["size"]})
        for (m, label), ax in zip(panels, axes[:, col], strict=True):
            for i, method in enumerate(trained):
                pts = sorted(
                    (a["size"], a[m], a[f"{m}_std"] or 0.0)
                    for a in rows
                    if a["method"] == method and a["size"] and a.get(m) is not None
                )
                if pts:
                    x, y, e = zip(*pts, strict=True)
                    ax.errorbar(
                        x,
                        y,
                        yerr=e,
                        fmt="o-" if method.startswith("TL") else "s--",
                        capsize=3,
                        color=f"C{i}",
                        label=method,
                    )
            for method, ls in (("zero-shot", ":"), ("MC vs MC floor", "-"), ("domain distance", "-.")):
                v = next((a.get(m) for a in rows if a["method"] == method), None)
                if v is not None:
                    ax.axhline(v, ls=ls, color="gray" if method != "zero-shot" else "C5", label=method)
            ax.set_xscale("log")
            ax.set_xlabel("target training events")
            ax.set_ylabel(label)
            ax.set_title(dom)
            ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return path
