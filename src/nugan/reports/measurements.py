"""Plots and a small HTML page for predictions of a published measurement (:mod:`nugan.measurements`).

:func:`plot_slices` draws one panel per cos_theta slice: the data with their diagonal errors against every
prediction (mplhep style); :func:`write_prediction_html` writes a standalone ``index.html`` with the chi2 table.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from nugan.atomic import atomic_write_text
from nugan.measurements.releases import Measurement
from nugan.reports.html import CSS
from nugan.reports.plots import MODEL_COLORS, hep_style

if TYPE_CHECKING:
    from nugan.measurements.tuning import SigmaCorrection

__all__ = ["plot_slices", "plot_sigma_correction", "markdown_table", "write_prediction_html"]

_STORED_STYLE = "--"


def _p_display_max(edges: np.ndarray) -> float:
    """Right end of a slice's momentum axis: wide last bins (T2K: to 30 GeV/c) are cut for display."""
    if len(edges) > 2 and edges[-1] > 2.5 * edges[-2]:
        return float(edges[-2] * 1.6)
    return float(min(edges[-1], 5.0))


def plot_slices(measurement: Measurement, rows: Sequence[Mapping[str, Any]], ncols: int = 4) -> Figure:
    """One panel per cos_theta slice: data (points, sqrt(C_ii) errors) and each row's ``values`` (steps).

    Rows are dicts with 'label' and 'values' [cm^2/(GeV/c)]; a row with 'stored': True is dashed.
    """
    m = measurement
    b = m.binning
    nrows = math.ceil(b.n_slices / ncols)
    unit = m.data_unit
    with hep_style():
        fig = Figure(figsize=(4.2 * ncols, 3.4 * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for i in range(nrows * ncols):
            ax = axes[i // ncols][i % ncols]
            if i >= b.n_slices:
                ax.set_axis_off()
                continue
            sl = b.slice_of(i)
            e = b.p_edges[i]
            xmax = _p_display_max(e)
            mid = 0.5 * (e[:-1] + e[1:])
            mid = np.where(e[1:] > xmax, 0.5 * (e[:-1] + xmax), mid)
            ax.errorbar(
                mid, m.data[sl] / unit, yerr=m.errors[sl] / unit, fmt="o", color="black", ms=3, label="data", zorder=5
            )
            for k, row in enumerate(rows):
                v = np.asarray(row["values"], dtype=np.float64)[sl] / unit
                ax.stairs(
                    v,
                    np.minimum(e, xmax),
                    color=MODEL_COLORS[k % len(MODEL_COLORS)],
                    lw=1.4,
                    ls=_STORED_STYLE if row.get("stored") else "-",
                    label=str(row["label"]),
                )
            ax.set_xlim(0, xmax)
            ax.set_title(rf"${b.cos_edges[i]:g} < \cos\theta_\mu < {b.cos_edges[i + 1]:g}$", fontsize=11)
            ax.tick_params(labelsize=9)
            if i % ncols == 0:
                ax.set_ylabel(rf"$d^2\sigma/dp\,d\cos\theta$ [{unit:.0e}]", fontsize=10)
            if i // ncols == nrows - 1 or i + ncols >= b.n_slices:
                ax.set_xlabel(r"$p_\mu$ [GeV/c]", fontsize=10)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower right", fontsize=9, frameon=False)
        fig.suptitle(f"{m.id}: {m.unit_label}", fontsize=12)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.92, wspace=0.28, hspace=0.45)
    return fig


def plot_sigma_correction(correction: SigmaCorrection, measurement: Measurement) -> Figure:
    """The tune's sigma(E) factor s(E) over the model's range, with the measurement's flux (normalised) behind it."""
    E = np.geomspace(correction.e_min, correction.e_max, 300)
    e, c = measurement.flux_edges, measurement.flux_content
    with hep_style():
        fig = Figure(figsize=(7.0, 4.6))
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(E, correction.factor(E), color=MODEL_COLORS[0], lw=2, label="s(E) = tuned / base sigma(E)")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(r"$E_\nu$ [GeV]")
        ax.set_ylabel("s(E)")
        ax.set_xlim(correction.e_min, correction.e_max)
        ax2 = ax.twinx()
        dens = c / np.diff(e)
        ax2.stairs(dens / dens.max(), e, color="0.6", fill=True, alpha=0.3, label=f"{measurement.id} flux")
        ax2.set_ylim(0, 1.05)
        ax2.set_yticks([])
        ax.legend(loc="upper left", frameon=False, fontsize=10)
        ax2.legend(loc="upper right", frameon=False, fontsize=10)
        fig.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.95)
    return fig


def markdown_table(measurement_id: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """Markdown table of the rows' chi2 / ndf, shape-only chi2 / ndf and shape normalisation."""
    lines = [
        f"Measurement `{measurement_id}`",
        "",
        "| prediction | chi2 / ndf | shape-only chi2 / ndf | norm (data/pred) | flux not covered |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        miss = r.get("flux_outside_fraction")
        lines.append(
            f"| {r['label']} | {r['chi2']:.1f} / {r['ndf']} | {r['chi2_shape']:.1f} / {r['ndf_shape']} | "
            f"{r['norm_shape']:.3f} | {'-' if miss is None else f'{miss:.1%}'} |"
        )
    return "\n".join(lines) + "\n"


def write_prediction_html(
    out_dir: str | os.PathLike[str],
    measurement: Measurement,
    rows: Sequence[Mapping[str, Any]],
    plot_name: str,
    notes: Sequence[str] = (),
) -> Path:
    """Standalone ``out_dir/index.html``: the chi2 table, notes and the slice plot (written atomically)."""
    m = measurement
    body = [
        f"<h1>{html.escape(m.title)}</h1>",
        f"<p class='meta'>{html.escape(m.citation)}</p>",
        "<table class='metrics'><caption>chi2 with the full covariance "
        f"({m.n_bins} bins); shape-only: prediction scaled to the data's integral</caption>",
        "<tr><th>prediction</th><th>chi2 / ndf</th><th>shape-only chi2 / ndf</th><th>norm</th>"
        "<th>flux not covered</th></tr>",
    ]
    for r in rows:
        miss = r.get("flux_outside_fraction")
        body.append(
            f"<tr><td>{html.escape(str(r['label']))}</td><td>{r['chi2']:.1f} / {r['ndf']}</td>"
            f"<td>{r['chi2_shape']:.1f} / {r['ndf_shape']}</td><td>{r['norm_shape']:.3f}</td>"
            f"<td>{'-' if miss is None else f'{miss:.1%}'}</td></tr>"
        )
    body.append("</table>")
    if notes:
        body.append("<ul class='notes'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    body.append(f"<img class='wide' src='{html.escape(plot_name)}' alt='data and predictions per slice'>")
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(m.id)}</title>"
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
    return atomic_write_text(Path(out_dir) / "index.html", page)
