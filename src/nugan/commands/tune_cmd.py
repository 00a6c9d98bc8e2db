"""``nugan tune``: tune a flow to a published measurement, cross-validated over cos_theta slices."""

from __future__ import annotations

from pathlib import Path

import typer

from nugan.commands.common import console, err_console, user_errors

__all__ = ["register", "tune"]


@user_errors
def tune(
    measurement: str = typer.Option(..., "--measurement", help="Measurement ID (see `nugan measurements`)."),
    base: str = typer.Option(
        ...,
        "--base",
        help="Base flow: shipped name (e.g. nuwro-C12-flow), run dir or model.json. GANs are refused (no density).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: model/, folds/, tune.json/.md, plots."),
    folds: int = typer.Option(
        4, "--folds", help="k of the k-fold over cos_theta slices (round robin); 0: only the tune on all bins."
    ),
    lambdas: list[str] = typer.Option(
        None,
        "--lambda",
        help="KL weight(s) lambda; repeat or comma-separate for a "
        "grid (the lowest held-out chi2 is chosen). "
        "Default 10000.",
    ),
    events: int = typer.Option(300_000, "--events", help="Size of the fixed, importance-weighted base sample."),
    steps: int = typer.Option(200, "--steps", help="Adam steps per tune."),
    seed: int = typer.Option(0, "--seed", help="Seed of the samples and minibatches (>= 0)."),
    kl_events: int = typer.Option(
        100_000,
        "--kl-events",
        help="Base events at flat E_nu for the KL term (as many again, independent, for the reported KL).",
    ),
    batch: int = typer.Option(10_000, "--batch", help="Events of the fixed sample per step."),
    kl_batch: int = typer.Option(5_000, "--kl-batch", help="KL events per step."),
    lr: float = typer.Option(3e-5, "--lr", help="Adam learning rate of the flow."),
    sigma_degree: int = typer.Option(
        2, "--sigma-degree", help="Degree of the Legendre series of log s(E) in log E (-1: sigma(E) not tuned)."
    ),
    sigma_prior: float = typer.Option(0.1, "--sigma-prior", help="Gaussian prior width of each s(E) coefficient."),
    fit_normalisation: bool = typer.Option(
        False,
        "--fit-normalisation",
        help="Also fit sigma(E)'s flux-averaged normalisation (off by default: "
        "a full-covariance chi2 pulls it low, Peelle's puzzle).",
    ),
    predict_events: int = typer.Option(1_000_000, "--predict-events", help="Events of each fresh prediction."),
    auc_events: int = typer.Option(100_000, "--auc-events", help="Events per sample of each classifier AUC."),
    target_composition: str = typer.Option(
        None, "--target-composition", help="NUCLEUS=NUCLEONS list as for nugan predict (default: the measurement's)."
    ),
    allow_extrapolation: bool = typer.Option(
        False,
        "--allow-extrapolation",
        help="Tune even if the flux reaches outside the model's energy range (that flux then contributes nothing).",
    ),
    device: str = typer.Option("cpu", help="Device: cpu, auto, cuda, cuda:N."),
    force: bool = typer.Option(False, "--force", help="Replace a tune already in --out (otherwise refused)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Tune a flow to a published measurement (full-covariance chi2 + KL to the base), k-fold over cos_theta."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nugan.workflows import tune as wf

    cfg = wf.config_from_options(
        measurement,
        base,
        out,
        lambdas,
        target_composition,
        folds=folds,
        events=events,
        steps=steps,
        seed=seed,
        kl_events=kl_events,
        batch=batch,
        kl_batch=kl_batch,
        lr=lr,
        sigma_degree=sigma_degree,
        sigma_prior=sigma_prior,
        fit_normalisation=fit_normalisation,
        predict_events=predict_events,
        auc_events=auc_events,
        allow_extrapolation=allow_extrapolation,
        device=device,
        force=force,
    )
    doc = wf.run_tune(cfg, progress=progress, log=lambda s: err_console.print(s, highlight=False))
    for line in wf.summary_lines(doc):
        console.print(line, highlight=False)
    console.print(
        f"wrote the tuned model {doc['model']}, {Path(out) / 'tune.json'}, {Path(out) / 'tune.md'} and "
        f"{len(doc['plots'])} plots in {out} ({doc['seconds']['total']:.0f} s)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)
