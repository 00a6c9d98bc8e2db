"""Model selection on a validation value: the best value so far, a margin for the starting point, patience."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Selector", "Verdict", "START", "NONE"]

#: ``best_step`` of the starting point (the unadapted base of a transfer run, validated before the first step).
START = 0
#: ``best_step`` before any validation was selected.
NONE = -1


class Verdict(NamedTuple):
    """What one validation did: became the best (``improved``); used up the patience (``stop``)."""

    improved: bool
    stop: bool


@dataclass
class Selector:
    """Keeps the step with the lowest validation value (lower is better; a tie keeps the earlier step).

    While the best is the starting point (step 0), a step must beat it by more than ``margin`` (in the value's
    units); once a trained step has won, plain "lower" decides. ``patience`` validations in a row without a new
    best ask to stop (None: never). A NaN value never wins.
    """

    patience: int | None = None
    margin: float = 0.0
    best: float = math.inf
    best_step: int = NONE
    bad: int = 0  # validations since the last new best

    @property
    def holds_start(self) -> bool:
        """True while the starting point (step 0) is the best."""
        return self.best_step == START

    def beats(self, value: float) -> bool:
        """Whether ``value`` would become the best: lower than the best, by more than ``margin`` against step 0."""
        return value < self.best - (self.margin if self.holds_start else 0.0)

    @property
    def stop(self) -> bool:
        """True when ``patience`` validations in a row brought no new best."""
        return self.patience is not None and self.bad >= self.patience

    def update(self, step: int, value: float, improved: bool | None = None) -> Verdict:
        """Record the validation of ``step``; ``improved`` overrides :meth:`beats` (a family's own test)."""
        if self.beats(value) if improved is None else improved:
            self.best, self.best_step, self.bad = value, step, 0
            return Verdict(True, self.stop)
        self.bad += 1
        return Verdict(False, self.stop)
