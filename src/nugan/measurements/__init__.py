"""Published measurements and predictions for them: binning, flux folding, forward folding, chi2.

Stage between :mod:`nugan.metrics` and :mod:`nugan.reports`: imports physics/events, and the flow (models) for
:mod:`nugan.measurements.tuning` (tuning a flow to a measurement; not imported here, it needs torch). The
orchestration that samples a model lives in :mod:`nugan.workflows.predict` and :mod:`nugan.workflows.tune`.
"""

from nugan.measurements.binning import SliceBinning, muon_momentum
from nugan.measurements.chi2 import Chi2, chi2, chi2_shape, compare
from nugan.measurements.predict import (
    cc_flux_fraction_outside,
    composition_factor,
    flux_density,
    fold,
    parse_composition,
    predict_from_events,
    weights_flat_flux,
    weights_flux_folded,
)
from nugan.measurements.releases import MEASUREMENTS, Measurement, data_dir, get_measurement, list_measurements

__all__ = [
    "SliceBinning",
    "muon_momentum",
    "Chi2",
    "chi2",
    "chi2_shape",
    "compare",
    "cc_flux_fraction_outside",
    "composition_factor",
    "flux_density",
    "fold",
    "parse_composition",
    "predict_from_events",
    "weights_flat_flux",
    "weights_flux_folded",
    "MEASUREMENTS",
    "Measurement",
    "data_dir",
    "get_measurement",
    "list_measurements",
]
