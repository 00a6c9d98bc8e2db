"""``nugan study`` (the paper's grid on simulated domains) and ``nugan demo`` (the study in miniature)."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, user_errors

__all__ = ["register"]


def _ints(spec: str, what: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(x) for x in spec.split(",") if x.strip())
    except ValueError as err:
        raise ValueError(f"{what} must be comma-separated integers, got {spec!r}") from err
    if not vals:
        raise ValueError(f"{what} is empty")
    return vals


@user_errors
def study_cmd(
    base: str = typer.Option("numu-C12", "--base", help="Base model: shipped name, run dir or model.json."),
    domains: str = typer.Option(
        "numu-Ar40,numubar-C12,numu-C12:high-ma-nomec", help="Target domains PROBE-TARGET[:MODEL], comma-separated."
    ),
    sizes: str = typer.Option("10000,100000", help="Training sizes (events), comma-separated."),
    seeds: str = typer.Option("0,1,2", help="Seeds (repetitions), comma-separated."),
    freeze_depths: str = typer.Option("1", "--freeze-depths", help="Frozen leading blocks to compare, e.g. 0,1,2."),
    n_test: int = typer.Option(100_000, help="Events of each flat test reference."),
    n_fixed: int = typer.Option(50_000, help="Events of each fixed-energy reference."),
    steps: int = typer.Option(None, help="Override the fine-tuning steps."),
    auc: bool = typer.Option(True, "--auc/--no-auc", help="Classifier two-sample AUC."),
    scratch: str = typer.Option(
        "converged",
        "--scratch",
        help="Scratch baseline: 'converged' (own budget, early stopping) or 'matched' (the transfer run's steps).",
    ),
    scratch_steps: int = typer.Option(
        None,
        "--scratch-steps",
        help="Converged scratch budget (default: the base's pre-training length; "
        "give it for shipped bases, which record only their last phase).",
    ),
    scratch_patience: int = typer.Option(
        20,
        "--scratch-patience",
        help="Converged scratch stops after this many validations without "
        "improvement (about 200 validations over the budget).",
    ),
    out: Path = typer.Option(Path("runs/study"), "--out", help="Output folder (resumable)."),
) -> None:
    """Transfer learning vs scratch vs zero-shot on simulated domains, several sizes and seeds (the model family,
    GAN or flow, is the base's)."""
    from rich.table import Table

    from nugan.models.checkpoint import load_model
    from nugan.physics import get_model
    from nugan.training.runs import transfer_defaults
    from nugan.workflows.domains import Domain
    from nugan.workflows.study import StudyConfig, aggregate, run_study

    doms = tuple(d.strip() for d in domains.split(",") if d.strip())
    for d in doms:
        get_model(Domain.parse(d).model)  # fail now on an unknown model, before any work
    defaults = transfer_defaults(load_model(base).arch)  # the base's family: GAN or flow fine-tuning settings
    train = defaults if steps is None else defaults.replace(steps=steps)
    cfg = StudyConfig(
        domains=doms,
        sizes=_ints(sizes, "--sizes"),
        seeds=_ints(seeds, "--seeds"),
        freeze_depths=_ints(freeze_depths, "--freeze-depths"),
        n_test=n_test,
        n_fixed=n_fixed,
        train=train,
        auc=auc,
        scratch=scratch,
        scratch_steps=scratch_steps,
        scratch_patience=scratch_patience,
    )
    rows = run_study(base, cfg, out, log=lambda m: console.print(m, markup=False))
    tab = Table(title="study: mean ± std over seeds")
    for col in ("domain", "method", "size", "<MAP>", "EMD", "EMD 0.5 GeV", "AUC", "steps"):
        tab.add_column(col)
    for a in aggregate(rows):

        def cell(m: str, a: dict = a) -> str:
            v, s = a.get(m), a.get(f"{m}_std")
            return "-" if v is None else f"{v:.3f}" + (f" ± {s:.3f}" if s else "")

        tab.add_row(
            a["domain"],
            a["method"],
            "-" if a["size"] is None else str(a["size"]),
            cell("mean_map"),
            cell("emd"),
            cell("emd_0.5"),
            cell("auc"),
            "-" if a.get("steps") is None else f"{a['steps']:,.0f}",
        )
    console.print(tab)
    console.print(
        f"wrote {out / 'study.json'}, {out / 'study.md'}, {out / 'map_vs_size.png'} and {out}/learning_curves_*.png"
    )


@user_errors
def demo_cmd(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Output folder (resumable)."),
    quick: bool = typer.Option(False, help="A much smaller run (for tests)."),
    base: str = typer.Option("numu-C12", "--base", help="Base model to transfer."),
) -> None:
    """The whole study in miniature: nu_mu-C12 base model -> transfer to anti-nu_mu-C12 vs scratch -> report."""
    from rich.table import Table

    from nugan.models.checkpoint import load_model
    from nugan.workflows.demo import DemoConfig, run_demo

    arch = load_model(base).arch
    cfg = DemoConfig.quick(arch) if quick else DemoConfig.for_arch(arch)
    summary = run_demo(out, cfg, base=base, log=lambda m: console.print(f"[bold cyan]{m}[/]"))
    tgt = summary.get("target", "target")
    tab = Table(title=f"nugan demo: {tgt} (10k training events)" if not quick else "nugan demo (quick)")
    for col in ("model", "MAP-3D", "MAP-3D w/o tails", "<MAP>", "EMD", "AUC"):
        tab.add_column(col)

    def f(v: float | None, d: int = 3) -> str:
        return "-" if v is None else f"{v:.{d}f}"

    rows = summary["rows"]
    for r in rows:
        tab.add_row(r["name"], f(r["map3d"]), f(r["map3d_no_tails"]), f(r["mean_map"]), f(r["emd"], 4), f(r["auc"]))
    fl = rows[1]
    tab.add_row(
        f"MC vs MC floor ({tgt})",
        f(fl["floor_map3d"]),
        f(fl["floor_map3d_no_tails"]),
        f(fl["floor_mean_map"]),
        f(fl["floor_emd"], 4),
        f(fl["floor_auc"]),
    )
    console.print(tab)
    console.print(f"[bold]what transfer learning changed:[/] {summary.get('what_tl_changed', '-')}")
    console.print(f"[bold green]report:[/] {summary['report']}")


def register(app: typer.Typer) -> None:
    app.command("study")(study_cmd)
    app.command("demo")(demo_cmd)
