"""Comparison plots (matplotlib, mplhep ROOT style, headless): every function returns a Figure.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global state, no
display needed); :func:`save_figure` writes a PNG atomically. Energies in GeV, Q2 in GeV^2.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from nugan.atomic import atomic_path
from nugan.events.table import EventTable
from nugan.metrics.map3d import pulls
from nugan.metrics.report import COLUMNS, ComparisonTable

__all__ = [
    "ObservableSpec",
    "OBSERVABLES",
    "DEFAULT_OBSERVABLES",
    "MODEL_COLORS",
    "hep_style",
    "observable_binning",
    "plot_1d_comparison",
    "plot_2d_maps",
    "plot_disc_scores",
    "plot_training_curves",
    "plot_learning_curves",
    "learning_curve_metric",
    "plot_metrics_table",
    "save_figure",
]

#: Line colours of models, in order (the reference is drawn in black).
MODEL_COLORS: tuple[str, ...] = (
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
)


@dataclass(frozen=True)
class ObservableSpec:
    """How to histogram one observable.

    Attributes:
        name: :meth:`EventTable.observable` name.
        label: axis label with unit.
        bin_width: default bin width in the observable's unit (None: ``n_bins`` bins).
        n_bins: default number of bins when ``bin_width`` is None.
    """

    name: str
    label: str
    bin_width: float | None = None
    n_bins: int = 50


#: Observables plotted at fixed E_nu. W uses 20 MeV bins so that the QE (~0.94 GeV) and
#: Delta (~1.23 GeV) peaks are resolved (70 bins over 0.6-2.0 GeV).
OBSERVABLES: dict[str, ObservableSpec] = {
    "E_mu": ObservableSpec("E_mu", r"$E_\mu$ [GeV]", n_bins=60),
    "cos_theta": ObservableSpec("cos_theta", r"$\cos\theta_\mu$", n_bins=50),
    "Q2": ObservableSpec("Q2", r"$Q^2$ [GeV$^2$]", n_bins=60),
    "omega": ObservableSpec("omega", r"$\omega = E_\nu - E_\mu$ [GeV]", n_bins=60),
    "W": ObservableSpec("W", r"$W$ [GeV]", bin_width=0.02),
}
DEFAULT_OBSERVABLES: tuple[str, ...] = ("E_mu", "cos_theta", "Q2", "omega", "W")


@contextmanager
def hep_style() -> Iterator[None]:
    """mplhep's ROOT style for the figures created inside the block (rcParams restored after)."""
    import matplotlib.style
    import mplhep

    with mpl.rc_context():
        matplotlib.style.use(mplhep.style.ROOT)
        sans = [f for f in mpl.rcParams["font.sans-serif"] if f != "DejaVu Sans"]
        mpl.rcParams.update(
            {
                "figure.dpi": 100,
                "font.size": 14,
                "axes.titlesize": 14,
                "legend.fontsize": 11,
                # TeX Gyre Heros / Helvetica are often missing on servers: fall back silently
                "font.sans-serif": [*sans, "DejaVu Sans"],
                "mathtext.fontset": "dejavusans",
            }
        )
        yield


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``fig`` as PNG atomically (temporary file + os.replace); returns the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)  # layouts are set by hand: "tight" costs a second draw
    return Path(path)


def observable_binning(name: str, reference: EventTable, E_nu: float | None = None) -> np.ndarray:
    """Default bin edges of an observable at fixed E_nu [GeV] (or over the reference's range).

    E_mu and omega: [0, E_nu]; cos_theta: [-1, 1]; Q2: [0, 99.5% quantile of the reference]; W:
    from 0.6 GeV to just above the reference's 99.9% quantile (at least 1.2 GeV) in 20 MeV bins,
    so that the QE (~0.94 GeV) and Delta (~1.23 GeV) peaks are resolved.
    """
    spec = OBSERVABLES.get(name, ObservableSpec(name, name))
    x = np.asarray(reference.observable(name), dtype=np.float64)
    x = x[np.isfinite(x)]
    e_max = float(E_nu) if E_nu is not None else float(np.max(reference.E_nu))
    if name in ("E_mu", "omega"):
        lo, hi = 0.0, e_max
    elif name == "cos_theta":
        lo, hi = -1.0, 1.0
    elif name == "Q2":
        lo, hi = 0.0, float(np.quantile(x, 0.995)) if len(x) else 1.0
    elif name == "W":
        top = float(np.quantile(x, 0.999)) if len(x) else 2.0
        lo, hi = 0.6, max(1.2, np.ceil((top + 0.05) * 10.0) / 10.0)
    else:
        lo, hi = (float(np.quantile(x, 0.001)), float(np.quantile(x, 0.999))) if len(x) else (0, 1)
    if not hi > lo:
        hi = lo + 1.0
    if spec.bin_width:
        n = max(1, int(round((hi - lo) / spec.bin_width)))
        hi = lo + n * spec.bin_width
    else:
        n = spec.n_bins
    return np.linspace(lo, hi, n + 1)


def _label(name: str) -> str:
    return OBSERVABLES[name].label if name in OBSERVABLES else name


def plot_1d_comparison(
    reference: EventTable,
    models: Mapping[str, EventTable],
    observable: str,
    bins: np.ndarray | int | None = None,
    E_nu: float | None = None,
    reference_label: str = "MC (reference)",
    title: str | None = None,
) -> Figure:
    """Distribution of ``observable``: reference (points, sqrt(N) errors) vs models (lines,
    normalised to the reference's event count), with a model/reference ratio panel (model
    statistical errors on the points, the reference's as a grey band).

    Args:
        reference: reference sample (at fixed E_nu, or any sample).
        models: label -> generated sample.
        observable: 'E_mu', 'cos_theta', 'Q2', 'omega', 'W', or any :meth:`EventTable.observable`.
        bins: edges, a number of bins over the default range, or None for
        :func:`observable_binning`.
        E_nu: the fixed neutrino energy [GeV] (default ranges and title).
        reference_label, title: legend label of the reference and figure title.
    """
    edges = observable_binning(observable, reference, E_nu)
    if isinstance(bins, int):
        edges = np.linspace(edges[0], edges[-1], bins + 1)
    elif bins is not None:
        edges = np.asarray(bins, dtype=np.float64)
    centres = 0.5 * (edges[1:] + edges[:-1])
    r, _ = np.histogram(reference.observable(observable), edges)
    n_ref = len(reference)
    top = float(np.max(r + np.sqrt(r))) if len(r) else 1.0
    with hep_style():
        fig = Figure(figsize=(7.0, 6.2))
        gs = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.05, left=0.15, right=0.97, top=0.93, bottom=0.11)
        ax, axr = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
        ax.sharex(axr)
        ax.errorbar(
            centres,
            r,
            yerr=np.sqrt(r),
            fmt="o",
            ms=3.5,
            color="black",
            label=f"{reference_label} ({n_ref})",
            zorder=5,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            rel_ref = np.where(r > 0, np.sqrt(r) / r, np.nan)
        axr.fill_between(
            edges,
            np.r_[1 - rel_ref, 1 - rel_ref[-1:]],
            np.r_[1 + rel_ref, 1 + rel_ref[-1:]],
            step="post",
            color="0.8",
            label="reference stat.",
        )
        for i, (label, t) in enumerate(models.items()):
            color = MODEL_COLORS[i % len(MODEL_COLORS)]
            g, _ = np.histogram(t.observable(observable), edges)
            scale = n_ref / max(len(t), 1)
            gs_ = g * scale
            top = max(top, float(np.max(gs_ + np.sqrt(g) * scale)) if len(g) else 0.0)
            ax.stairs(gs_, edges, color=color, lw=1.8, label=f"{label} ({len(t)})")
            ax.errorbar(centres, gs_, yerr=np.sqrt(g) * scale, fmt="none", ecolor=color, lw=1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(r > 0, gs_ / r, np.nan)
                err = np.where(r > 0, np.sqrt(g) * scale / r, np.nan)
            axr.errorbar(centres, ratio, yerr=err, fmt="o", ms=3, color=color)
        axr.axhline(1.0, color="black", lw=0.8)
        axr.set_ylim(0.5, 1.5)
        axr.set_ylabel("model / ref", fontsize=12)
        axr.set_xlabel(_label(observable))
        ax.set_ylabel("events / bin (normalised to ref.)", fontsize=12)
        ax.set_ylim(0, max(1.0, top) * 1.4)
        ax.tick_params(labelbottom=False)
        ax.set_xlim(edges[0], edges[-1])
        handles, labels = ax.get_legend_handles_labels()
        order = [labels.index(lb) for lb in labels if lb.startswith(reference_label)]
        order += [i for i in range(len(labels)) if i not in order]
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", frameon=False)
        ttl = title or (f"$E_\\nu$ = {E_nu:g} GeV" if E_nu is not None else "")
        if ttl:
            ax.set_title(ttl, loc="right")
    return fig


def plot_2d_maps(
    reference: EventTable,
    model: EventTable,
    E_nu: float | None = None,
    bins: tuple[int, int] = (40, 40),
    model_label: str = "model",
    reference_label: str = "MC (reference)",
    pull_range: float = 5.0,
) -> Figure:
    """(E_mu, cos_theta) maps of the reference and the model (events per bin on a log colour scale,
    model normalised to the reference) and the per-bin pull (g/k - r) / sqrt(g/k^2 + r) with
    k = N_model / N_ref.

    Args:
        reference, model: the two samples (at fixed E_nu [GeV] for a meaningful map).
        E_nu: fixed energy [GeV] (E_mu axis [0, E_nu] and title); None uses the largest E_nu.
        bins: (E_mu bins, cos bins).
        pull_range: colour scale of the pull panel is [-pull_range, pull_range]; empty bins are
        white.
    """
    e_max = float(E_nu) if E_nu is not None else float(np.max(reference.E_nu))
    ex = np.linspace(0.0, e_max, bins[0] + 1)
    cx = np.linspace(-1.0, 1.0, bins[1] + 1)
    r, _, _ = np.histogram2d(reference.E_mu, reference.cos_theta, (ex, cx))
    g, _, _ = np.histogram2d(model.E_mu, model.cos_theta, (ex, cx))
    k = len(model) / max(len(reference), 1)
    p = pulls(g, r, k=k) if k > 0 else np.full_like(r, np.nan)
    vmax = max(float(r.max()), float((g / k).max()) if k > 0 else 0.0, 1.0)
    with hep_style():
        fig = Figure(figsize=(18.0, 5.6))
        axes = fig.subplots(1, 3)
        for ax, h, ttl in (
            (axes[0], r, reference_label),
            (axes[1], g / k if k else g, model_label),
        ):
            norm = mpl.colors.LogNorm(vmin=min(1.0, vmax / 10.0), vmax=vmax)
            m = ax.pcolormesh(ex, cx, np.ma.masked_less_equal(h, 0).T, cmap="viridis", norm=norm)
            ax.set_title(ttl, loc="left", fontsize=13)
            fig.colorbar(m, ax=ax, label="events / bin")
        m = axes[2].pcolormesh(ex, cx, np.ma.masked_invalid(p).T, cmap="RdBu_r", vmin=-pull_range, vmax=pull_range)
        fin = p[np.isfinite(p)]
        mean_abs = float(np.mean(np.abs(fin))) if len(fin) else float("nan")
        axes[2].set_title(f"pull (model - ref), mean |pull| = {mean_abs:.2f}", loc="left", fontsize=13)
        fig.colorbar(m, ax=axes[2], label="pull")
        for ax in axes:
            ax.set_xlabel(r"$E_\mu$ [GeV]")
            ax.set_ylabel(r"$\cos\theta_\mu$")
        if E_nu is not None:
            fig.suptitle(f"{model_label} vs {reference_label}, $E_\\nu$ = {E_nu:g} GeV", fontsize=15)
        fig.subplots_adjust(wspace=0.35, left=0.05, right=0.97, top=0.86, bottom=0.13)
    return fig


def plot_disc_scores(scores: Mapping[float, np.ndarray], title: str = "discriminator output", bins: int = 50) -> Figure:
    """Histograms of discriminator outputs D in [0, 1] per E_nu [GeV] (normalised), with D = 0.5
    marked.

    A well-trained GAN's discriminator is centred at 0.5 at every energy (method.md).
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    with hep_style():
        fig = Figure(figsize=(7.0, 5.0))
        ax = fig.add_subplot()
        for i, (e, s) in enumerate(sorted(scores.items())):
            s = np.asarray(s, dtype=np.float64).reshape(-1)
            s = s[np.isfinite(s)]
            h, _ = np.histogram(np.clip(s, 0.0, 1.0), edges, density=True)
            mean = float(np.mean(s)) if len(s) else float("nan")
            ax.stairs(
                h,
                edges,
                lw=1.8,
                color=MODEL_COLORS[i % len(MODEL_COLORS)],
                label=f"$E_\\nu$ = {float(e):g} GeV (mean {mean:.3f})",
            )
        ax.axvline(0.5, color="black", ls="--", lw=1)
        ax.set_xlabel("D output")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1)
        ax.set_title(title, loc="left", fontsize=13)
        ax.legend(frameon=False, loc="upper left")
        fig.subplots_adjust(left=0.13, right=0.96, top=0.91, bottom=0.13)
    return fig


def _series(history: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of ``key`` over the entries that have a finite value (missing keys
    tolerated)."""
    xs, ys = [], []
    for i, h in enumerate(history):
        v = h.get(key)
        if v is None:
            continue
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        if np.isfinite(v):
            xs.append(float(h.get("step", i)))
            ys.append(v)
    return np.asarray(xs), np.asarray(ys)


def plot_training_curves(
    histories: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Mapping[str, Any]]],
    floor: float | None = None,
    title: str = "training",
) -> Figure:
    """Losses (GAN: loss_g solid, loss_d dashed; flow: validation NLL dotted) and <MAP> vs step; one colour
    per run.

    Args:
        histories: a list of dicts with keys step, loss_g, loss_d, val_nll, mean_map (any may be
            missing), or run label -> such a list.
        floor: MC-vs-MC <MAP> floor drawn as a horizontal line on the <MAP> panel.
        title: figure title.
    """
    runs = {"run": histories} if not isinstance(histories, Mapping) else dict(histories)
    with hep_style():
        fig = Figure(figsize=(13.0, 4.8))
        ax_l, ax_m = fig.subplots(1, 2)
        any_loss = any_map = False
        for i, (label, hist) in enumerate(runs.items()):
            c = MODEL_COLORS[i % len(MODEL_COLORS)]
            for key, ls in (("loss_g", "-"), ("loss_d", "--"), ("val_nll", ":")):
                x, y = _series(hist, key)
                if len(x):
                    ax_l.plot(x, y, ls=ls, color=c, lw=1.4, label=f"{label} {key}")
                    any_loss = True
            x, y = _series(hist, "mean_map")
            if len(x):
                ax_m.plot(x, y, "o-", ms=3, color=c, lw=1.4, label=label)
                if len(y):
                    j = int(np.argmin(y))
                    ax_m.plot(x[j], y[j], "*", ms=14, color=c)
                any_map = True
        if floor is not None and np.isfinite(floor):
            ax_m.axhline(floor, color="black", ls=":", lw=1.2, label="MC vs MC floor")
        for ax, ok, ylab in ((ax_l, any_loss, "loss"), (ax_m, any_map, r"$\langle$MAP$\rangle$")):
            ax.set_xlabel("step")
            ax.set_ylabel(ylab)
            if ok:
                ax.legend(frameon=False, fontsize=10)
            else:
                ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
        ax_m.set_title("best checkpoint: star", loc="right", fontsize=11)
        fig.suptitle(title, fontsize=15)
        fig.subplots_adjust(wspace=0.3, left=0.07, right=0.98, top=0.86, bottom=0.14)
    return fig


def learning_curve_metric(histories: Sequence[Sequence[Mapping[str, Any]]]) -> str:
    """The validation metric the runs selected on: 'val_nll_balanced' or 'val_nll' (flows), else 'mean_map'."""
    keys = {k for hist in histories for h in hist for k, v in h.items() if v is not None}
    return next((k for k in ("val_nll_balanced", "val_nll") if k in keys), "mean_map")


_CURVE_LABELS = {
    "mean_map": r"validation $\langle$MAP$\rangle$",
    "val_nll": "validation NLL [nats/event]",
    "val_nll_balanced": r"validation NLL, $E_\nu$-balanced [nats/event]",
}


def plot_learning_curves(
    runs: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    title: str = "learning curves",
    metric: str | None = None,
) -> Figure:
    """Validation metric against optimiser step (left) and wall-clock seconds (right): one colour per method,
    one thin line per seed, each run's selected (best) point starred.

    Args:
        runs: method label (e.g. 'TL', 'scratch') -> one history per seed (history.jsonl records with step,
            seconds and the metric).
        title: figure title.
        metric: history key to plot; None takes :func:`learning_curve_metric` of all runs.
    """
    key = metric or learning_curve_metric([h for hs in runs.values() for h in hs])
    with hep_style():
        fig = Figure(figsize=(13.0, 4.8))
        axes = fig.subplots(1, 2)
        for i, (label, hists) in enumerate(runs.items()):
            c = MODEL_COLORS[i % len(MODEL_COLORS)]
            for j, hist in enumerate(hists):
                rows = [h for h in hist if h.get(key) is not None and np.isfinite(float(h[key]))]
                if not rows:
                    continue
                y = np.array([float(h[key]) for h in rows])
                best = int(np.argmin(y))
                for ax, xkey in zip(axes, ("step", "seconds"), strict=True):
                    x = np.array([float(h.get(xkey) or 0.0) for h in rows])
                    ax.plot(x, y, "-", color=c, lw=0.9, alpha=0.8, label=label if j == 0 else None)
                    ax.plot(x[best], y[best], "*", ms=10, color=c)
        for ax, xlab, lin in zip(axes, ("step", "wall-clock [s]"), (100.0, 1.0), strict=True):
            ax.set_xscale("symlog", linthresh=lin)
            ax.set_xlabel(xlab)
            ax.set_ylabel(_CURVE_LABELS.get(key, key))
            if ax.lines:
                ax.legend(frameon=False, fontsize=10)
            else:
                ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
        axes[1].set_title("selected checkpoint: star; one line per seed", loc="right", fontsize=11)
        fig.suptitle(title, fontsize=15)
        fig.subplots_adjust(wspace=0.3, left=0.07, right=0.98, top=0.86, bottom=0.14)
    return fig


def plot_metrics_table(table: ComparisonTable) -> Figure:
    """The comparison table drawn as a figure (for slides; the HTML report has the table as
    text)."""
    header = ["model", *COLUMNS.values()]
    cells = [table.format_row(r) for r in table.rows]
    with hep_style():
        fig = Figure(figsize=(11.0, 0.6 + 0.42 * (len(cells) + 1)))
        ax = fig.add_subplot()
        ax.axis("off")
        tab = ax.table(
            cellText=cells or [["-"] * len(header)],
            colLabels=header,
            loc="center",
            cellLoc="center",
        )
        tab.auto_set_font_size(False)
        tab.set_fontsize(11)
        tab.scale(1.0, 1.4)
        for i, r in enumerate(table.rows, start=1):
            if r.get("kind") == "floor":
                for j in range(len(header)):
                    tab[i, j].set_facecolor("#eeeeee")
        if table.title:
            ax.set_title(table.title, fontsize=13)
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02)
    return fig
