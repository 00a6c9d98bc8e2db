"""``nugan evaluate``, ``nugan compare`` and ``nugan report``: metrics with floors, tables and HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register", "load_references", "check_domain"]


def _energies(spec: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(x) for x in spec.split(",") if x.strip())
    except ValueError as err:
        raise ValueError(f"--energies must be comma-separated numbers in GeV, got {spec!r}") from err
    if not vals or any(v <= 0 for v in vals):
        raise ValueError(f"--energies must be positive energies in GeV, got {spec!r}")
    return vals


def _check_out(out: Path | None) -> None:
    """Refuse an --out that is an existing file (before any work)."""
    if out is not None and out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; --out must be a folder (metrics.json and metrics.md are written there)")


def _check_energies(models: list[str], energies: tuple[float, ...], fixed: list[Path] | None) -> None:
    """Refuse fixed evaluation energies outside a model's range before any reference is simulated."""
    import nugan

    if fixed:
        return  # the energies of --fixed files are checked against the model after reading them
    for spec in models:
        lo, hi = nugan.load(spec).energy_range
        outside = [e for e in energies if not lo * (1 - 1e-6) <= e <= hi * (1 + 1e-6)]
        if outside:
            raise ValueError(
                f"--energies {', '.join(f'{e:g}' for e in outside)} GeV outside model {spec}'s "
                f"range {lo:g}-{hi:g} GeV; choose evaluation energies inside it"
            )


def load_references(
    reference: Path,
    fixed: list[Path] | None,
    energies: tuple[float, ...],
    reference2: Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Flat reference (+ optional second one) and fixed-energy references.

    Fixed-energy references come from ``--fixed`` files (monoenergetic samples), or, for a reference made
    by the built-in simulator, are simulated at ``energies`` with its probe, target and model.
    """
    from nugan.events.readers import read_events
    from nugan.events.validation import validate

    ref = validate(read_events(reference), strict=True, source=str(reference)).table
    if len(ref) == 0:
        raise ValueError(f"{reference}: reference sample is empty")
    ref2 = read_events(reference2) if reference2 else None
    fixed_refs: dict[float, Any] = {}
    note = ""
    for f in fixed or []:
        t = read_events(f)
        if len(t) == 0:
            raise ValueError(f"{f}: fixed-energy reference is empty")
        e = float(t.E_nu[0])
        if abs(t.E_nu.max() - t.E_nu.min()) > 1e-6 * e:
            raise ValueError(
                f"{f}: --fixed needs a monoenergetic sample; E_nu spans {t.E_nu.min():.4g}-{t.E_nu.max():.4g} GeV"
            )
        fixed_refs[round(e, 6)] = t
    if fixed_refs:
        note = f"fixed-energy references from files at {sorted(fixed_refs)} GeV"
    elif ref.meta.source == "simulator":
        from nugan.physics import simulate

        m = ref.meta
        n = min(len(ref), 50_000)
        for i, e in enumerate(energies):
            fixed_refs[e] = simulate(m.probe_pdg, m.target, m.model, energy=e, n_events=n, seed=seed + 1000 + i)
        note = f"fixed-energy references simulated with the built-in simulator ({m.model}) at {list(energies)} GeV"
    else:
        note = "no fixed-energy references (give --fixed FILE per energy): EMD not computed"
    return {"ref": ref, "ref2": ref2, "fixed": fixed_refs, "note": note}


def check_domain(model: Any, ref: Any, cross_domain: bool) -> None:
    """Refuse a reference of another probe/target than the model unless ``cross_domain``."""
    d = model.info.get("domain", {})
    mp, mt = int(d.get("probe_pdg", 0)), str(d.get("target", "?"))
    if (mp, mt) != (ref.meta.probe_pdg, ref.meta.target):
        msg = f"model domain is probe {mp} on {mt}, reference is probe {ref.meta.probe_pdg} on {ref.meta.target}"
        if not cross_domain:
            raise ValueError(msg + "; pass --cross-domain to evaluate it there anyway (zero-shot)")
        console.print(f"[yellow]warning:[/] {msg} (zero-shot evaluation)")


def _emit(table: Any, out: Path | None, data: dict[str, Any]) -> None:
    console.print(table.rich_table() if hasattr(table, "rich_table") else table)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(data, indent=1, default=float))
        (out / "metrics.md").write_text(table.to_markdown())
        console.print(f"wrote {out / 'metrics.json'} and {out / 'metrics.md'}")


def _evaluate_all(
    models: list[str], refs: dict[str, Any], seed: int, auc: bool, cross_domain: bool, k: int = 1
) -> list[Any]:
    import nugan
    from nugan.metrics.evaluate import compute_floor, evaluate_samples

    reports = []
    floor = compute_floor(refs["ref"], refs["fixed"], refs["ref2"], None, seed, None, 20, auc, 100_000)
    for spec in models:
        m = nugan.load(spec)
        check_domain(m, refs["ref"], cross_domain)
        outside = ~m.bundle.transform.in_range(refs["ref"].E_nu)
        if outside.any():
            lo, hi = m.energy_range
            raise ValueError(
                f"{int(outside.sum()):,} reference events have E_nu outside model {spec}'s range "
                f"{lo:g}-{hi:g} GeV (the reference spans {refs['ref'].E_nu.min():.4g}-"
                f"{refs['ref'].E_nu.max():.4g} GeV); evaluate on a reference inside the model's range"
            )
        for e in refs["fixed"]:
            if not m.energy_range[0] <= e <= m.energy_range[1]:
                raise ValueError(f"evaluation energy {e} GeV is outside model {spec}'s range {m.energy_range} GeV")

        def gen_fn(E, s, m=m):
            return m.sample(E, seed=s)

        name = Path(spec).name or spec
        console.print(f"evaluating {name} on {len(refs['ref'])} reference events ...")
        rep = evaluate_samples(
            gen_fn, refs["ref"], refs["fixed"] or None, seed=seed, k=k, name=name, floor=floor, auc=auc
        )
        if m.arch == "flow":  # exact likelihood of the reference events: the most sensitive figure
            rep.info["test_nll"] = nll_summary(-m.log_prob(refs["ref"], allow_extrapolation=cross_domain))
        reports.append(rep)
    return reports


def nll_summary(nll: Any) -> dict[str, float]:
    """Mean per-event NLL [nats], its standard error and the event count."""
    import numpy as np

    nll = np.asarray(nll, dtype=np.float64)
    return {"mean": float(nll.mean()), "se": float(nll.std(ddof=1) / np.sqrt(len(nll))), "n": len(nll)}


@user_errors
def evaluate_cmd(
    model: str = typer.Option(..., "--model", help="Model: shipped name, run directory or model.json."),
    reference: Path = typer.Option(..., "--reference", help="Independent reference (MC) sample."),
    energies: str = typer.Option("0.5,1,3", help="Fixed evaluation energies [GeV] (EMD, per-energy AUC)."),
    fixed: list[Path] = typer.Option(None, "--fixed", help="Monoenergetic reference file (repeat per energy)."),
    reference2: Path = typer.Option(None, "--reference2", help="Second independent reference for the floor."),
    k: int = typer.Option(1, help="Generated events per reference event."),
    seed: int = typer.Option(0, help="Seed of generation and stochastic metrics."),
    auc: bool = typer.Option(True, "--auc/--no-auc", help="Classifier two-sample AUC (slowest metric)."),
    cross_domain: bool = typer.Option(False, help="Allow a reference of another probe/target (zero-shot)."),
    out: Path = typer.Option(None, "--out", help="Folder for metrics.json and metrics.md."),
) -> None:
    """Metrics of one model (MAP-3D, MAP-3D w/o tails, <MAP>, EMD, AUC) with the MC-vs-MC floor."""
    _check_out(out)
    _check_energies([model], _energies(energies), fixed)
    refs = load_references(reference, fixed, _energies(energies), reference2, seed)
    console.print(refs["note"])
    [rep] = _evaluate_all([model], refs, seed, auc, cross_domain, k)
    console.print(rep.rich_table())
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(rep.to_dict(), indent=1, default=float))
        (out / "metrics.md").write_text(rep.to_markdown())
        console.print(f"wrote {out / 'metrics.json'} and {out / 'metrics.md'}")


@user_errors
def compare_cmd(
    runs: list[str] = typer.Argument(..., help="Run directories / models to compare."),
    reference: Path = typer.Option(..., "--reference", help="Independent reference (test) sample."),
    energies: str = typer.Option("0.5,1,3", help="Fixed evaluation energies [GeV]."),
    fixed: list[Path] = typer.Option(None, "--fixed", help="Monoenergetic reference file (repeat per energy)."),
    reference2: Path = typer.Option(None, "--reference2", help="Second independent reference for the floor."),
    seed: int = typer.Option(0, help="Seed."),
    auc: bool = typer.Option(True, "--auc/--no-auc", help="Classifier two-sample AUC."),
    out: Path = typer.Option(None, "--out", help="Folder for metrics.json and metrics.md."),
) -> None:
    """One table of every run's metrics, each with the MC-vs-MC floor (rich + JSON + markdown)."""
    from nugan.metrics.report import comparison_table

    _check_out(out)
    _check_energies(runs, _energies(energies), fixed)
    refs = load_references(reference, fixed, _energies(energies), reference2, seed)
    console.print(refs["note"])
    reports = _evaluate_all(runs, refs, seed, auc, cross_domain=True)
    table = comparison_table(reports)
    _emit(table, out, {"table": table.to_dict(), "reports": [r.to_dict() for r in reports]})


@user_errors
def report_cmd(
    model: list[str] = typer.Option(..., "--model", help="Model(s) to show (repeat)."),
    reference: Path = typer.Option(..., "--reference", help="Independent reference (test) sample."),
    out: Path = typer.Option(..., "--out", help="Report folder (index.html + PNGs)."),
    energies: str = typer.Option("0.5,1,3", help="Fixed energies [GeV] of the plots."),
    fixed: list[Path] = typer.Option(None, "--fixed", help="Monoenergetic reference file (repeat per energy)."),
    seed: int = typer.Option(0, help="Seed."),
    auc: bool = typer.Option(True, "--auc/--no-auc", help="Classifier two-sample AUC."),
    cross_domain: bool = typer.Option(False, help="Allow a reference of another probe/target."),
) -> None:
    """Self-contained HTML report: metrics, distributions at fixed E_nu, 2D and pull maps, D output, curves."""
    import nugan
    from nugan.reports import write_report

    _check_energies(model, _energies(energies), fixed)
    refs = load_references(reference, fixed, _energies(energies), None, seed)
    console.print(refs["note"])
    if not refs["fixed"]:
        raise ValueError("the report's plots need fixed-energy references: give --fixed FILE per energy")
    reports = _evaluate_all(model, refs, seed, auc, cross_domain)
    loaded = {Path(m).name or m: nugan.load(m) for m in model}
    histories = {}
    for spec, name in zip(model, loaded, strict=True):
        p = Path(spec) / "history.jsonl"
        if p.exists():
            histories[name] = [json.loads(x) for x in p.read_text().splitlines() if x.strip()]
    index = write_report(
        out,
        refs["fixed"],
        models={n: m.sample for n, m in loaded.items()},
        metrics=reports,
        histories=histories,
        disc_scores={
            n: {e: m.discriminator_score(t) for e, t in refs["fixed"].items()}
            for n, m in loaded.items()
            if m.arch == "gan"
        },
        title=f"nugan report: {', '.join(loaded)} vs {reference.name}",
        notes=[refs["note"]],
        seed=seed,
        provenance={"reference": reference.name, "models": ", ".join(model)},
        progress=lambda msg: console.print(f"  {msg}"),
    )
    console.print(f"[bold green]report written:[/] {index}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
    app.command("compare")(compare_cmd)
    app.command("report")(report_cmd)
