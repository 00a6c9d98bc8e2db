"""Row validation of event samples: finite values, m_mu <= E_mu <= E_nu, |cos| <= 1."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from nugan.constants import M_MU
from nugan.events.table import EventTable

__all__ = ["InvalidEventsError", "ValidationReport", "validate", "row_failures"]

# Tolerance for float rounding at the physical edges (values written in float32 elsewhere).
_TOL = 1e-6


class InvalidEventsError(ValueError):
    """Raised in strict mode when rows fail validation; the message lists counts per reason."""


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`.

    Attributes:
        n_in: rows examined.
        failures: reason -> number of rows failing it (a row can fail several reasons).
        n_bad: rows failing at least one check.
        table: the sample after validation (bad rows dropped in lenient mode; unchanged in strict mode).
    """

    n_in: int
    table: EventTable
    failures: dict[str, int] = field(default_factory=dict)
    n_bad: int = 0

    @property
    def ok(self) -> bool:
        return self.n_bad == 0

    def summary(self) -> str:
        """One line: 'N of M rows invalid: reason (count), ...' or 'all M rows valid'."""
        if self.ok:
            return f"all {self.n_in} rows valid"
        parts = ", ".join(f"{k} ({v})" for k, v in self.failures.items() if v)
        return f"{self.n_bad} of {self.n_in} rows invalid: {parts}"


def row_failures(
    E_nu: np.ndarray, E_mu: np.ndarray, cos_theta: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Boolean masks of failing rows per reason (pure function over arrays, GeV)."""
    finite = np.isfinite(E_nu) & np.isfinite(E_mu) & np.isfinite(cos_theta)
    with np.errstate(invalid="ignore"):
        masks = {
            "non-finite value (NaN/inf)": ~finite,
            "E_nu <= 0": finite & (E_nu <= 0),
            "E_mu < m_mu": finite & (E_mu < M_MU * (1 - _TOL)),
            "E_mu > E_nu": finite & (E_mu > E_nu * (1 + _TOL)),
            "|cos_theta| > 1": finite & (np.abs(cos_theta) > 1 + _TOL),
        }
        if weight is not None:
            masks["non-finite weight"] = ~np.isfinite(weight)
    return masks


def validate(table: EventTable, strict: bool = True, source: str = "") -> ValidationReport:
    """Check every row of ``table``.

    Args:
        table: the sample.
        strict: raise :class:`InvalidEventsError` on any bad row; otherwise drop them and warn
            with the count per reason. Values are never modified.
        source: name used in messages (a file name).
    """
    masks = row_failures(table.E_nu, table.E_mu, table.cos_theta, table.weight)
    bad = np.zeros(len(table), dtype=bool)
    for m in masks.values():
        bad |= m
    report = ValidationReport(
        n_in=len(table),
        table=table,
        failures={k: int(v.sum()) for k, v in masks.items() if v.any()},
        n_bad=int(bad.sum()),
    )
    where = f"{source}: " if source else ""
    if report.ok:
        return report
    if strict:
        first = int(np.flatnonzero(bad)[0])
        raise InvalidEventsError(
            f"{where}{report.summary()}; first bad row {first}: E_nu={table.E_nu[first]!r}, "
            f"E_mu={table.E_mu[first]!r}, cos_theta={table.cos_theta[first]!r} "
            "(use lenient mode to drop invalid rows)"
        )
    warnings.warn(f"{where}dropped {report.summary()}", stacklevel=2)
    report.table = table[~bad]
    return report
