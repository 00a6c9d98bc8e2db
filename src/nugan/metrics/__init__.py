"""Metrics comparing generated with reference (MC) events, each with its measured MC-vs-MC floor.

Definitions follow ``shared/docs/method.md`` (see ``docs/metrics.md``):

* :func:`map3d` / :func:`map3d_result` - MAP-3D, MAP-3D without tails and <MAP> in (E_nu,
E_mu/E_nu, cos).
* :func:`emd` - 1D Wasserstein-1 of E_mu and cos_theta at fixed E_nu, in units of the reference
std.
* :func:`classifier_auc` - gradient-boosted classifier two-sample test (ROC AUC, 0.5 = identical).
* ``floor_*`` / :func:`compute_floor` - the same metrics MC vs MC.
* :func:`evaluate_samples` / :func:`evaluate_tables` -> :class:`MetricsReport`;
  :func:`comparison_table` -> :class:`ComparisonTable` over several models.
"""

from __future__ import annotations

from nugan.metrics.classifier import AUC_FEATURES, AucResult, classifier_auc, feature_matrix
from nugan.metrics.emd import EMD_VARIABLES, EmdResult, emd, scaled_wasserstein
from nugan.metrics.evaluate import (
    GenFn,
    compute_floor,
    domain_distance,
    evaluate_samples,
    evaluate_tables,
    generate_fixed,
    generate_like,
    sample_at,
)
from nugan.metrics.floor import (
    FloorSet,
    emd_statistics_factor,
    floor_auc,
    floor_auc_by_energy,
    floor_emd,
    floor_map3d,
    mc_pair,
)
from nugan.metrics.map3d import (
    DEFAULT_ENERGY_RANGE,
    MIN_REF_NO_TAILS,
    MapResult,
    bin_index_3d,
    histogram_3d,
    map3d,
    map3d_arrays,
    map3d_result,
    map_from_counts,
    pulls,
)
from nugan.metrics.report import (
    COLUMNS,
    FLOOR_LABEL,
    ComparisonTable,
    MetricsReport,
    comparison_table,
)

__all__ = [
    "AUC_FEATURES",
    "AucResult",
    "classifier_auc",
    "feature_matrix",
    "EMD_VARIABLES",
    "EmdResult",
    "emd",
    "scaled_wasserstein",
    "GenFn",
    "compute_floor",
    "domain_distance",
    "evaluate_samples",
    "evaluate_tables",
    "generate_fixed",
    "generate_like",
    "sample_at",
    "FloorSet",
    "emd_statistics_factor",
    "floor_auc",
    "floor_auc_by_energy",
    "floor_emd",
    "floor_map3d",
    "mc_pair",
    "DEFAULT_ENERGY_RANGE",
    "MIN_REF_NO_TAILS",
    "MapResult",
    "bin_index_3d",
    "histogram_3d",
    "map3d",
    "map3d_arrays",
    "map3d_result",
    "map_from_counts",
    "pulls",
    "COLUMNS",
    "FLOOR_LABEL",
    "ComparisonTable",
    "MetricsReport",
    "comparison_table",
]
