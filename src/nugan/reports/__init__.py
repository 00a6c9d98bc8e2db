"""Plots and HTML reports comparing generators with reference (MC) samples (headless, mplhep
style).

* :func:`write_report` - self-contained ``index.html`` + PNGs (+ ``metrics.json``) in one folder.
* Plot functions returning matplotlib Figures: :func:`plot_1d_comparison`, :func:`plot_2d_maps`,
  :func:`plot_disc_scores`, :func:`plot_training_curves`, :func:`plot_learning_curves`, :func:`plot_metrics_table`;
  :func:`save_figure` writes a PNG atomically.
"""

from __future__ import annotations

from nugan.reports.html import resolve_models, slug, write_report
from nugan.reports.plots import (
    DEFAULT_OBSERVABLES,
    OBSERVABLES,
    ObservableSpec,
    hep_style,
    observable_binning,
    plot_1d_comparison,
    plot_2d_maps,
    plot_disc_scores,
    plot_learning_curves,
    plot_metrics_table,
    plot_training_curves,
    save_figure,
)

__all__ = [
    "write_report",
    "resolve_models",
    "slug",
    "DEFAULT_OBSERVABLES",
    "OBSERVABLES",
    "ObservableSpec",
    "hep_style",
    "observable_binning",
    "plot_1d_comparison",
    "plot_2d_maps",
    "plot_disc_scores",
    "plot_learning_curves",
    "plot_metrics_table",
    "plot_training_curves",
    "save_figure",
]
