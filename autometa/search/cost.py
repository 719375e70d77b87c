"""How long an evaluation will take: the timing model, corrected by what the search measures.

Before a configuration has run, its fit time is the timing model's upper prediction
(``inputs.TimingModel``) times a machine factor: the geometric mean of measured / predicted fit
times so far (1 before any measurement). Once it has run, its own time on its largest
rung, scaled to more rows with the timing model's exponent for it (at least 1; 2 for
kernel SVMs). An untried off-grid neighbour costs its parent's time times the cost
ratio ``learners.neighbours`` gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autometa.search.inputs import TimingModel
from autometa.space.learners import root_id

__all__ = ["CostModel"]


@dataclass
class CostModel:
    """Predicted seconds of fits and evaluations on one table.

    Parameters
    ----------
    timing : TimingModel
        Predicted fit seconds per configuration.
    n_features, n_classes : int
        Of the table being searched.
    cv : int
        Folds per evaluation.
    """

    timing: TimingModel
    n_features: int
    n_classes: int
    cv: int
    log_ratios: list[float] = field(default_factory=list)
    # config -> (training rows, mean fold fit seconds) of its largest evaluated rung
    measured: dict[str, tuple[int, float]] = field(default_factory=dict)
    # off-grid configuration made by the local search -> (parent id, cost ratio)
    parents: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exponents = self.timing.exponents()

    @property
    def factor(self) -> float:
        """Measured / predicted fit time on this machine (geometric mean; 1 before data)."""
        return float(np.exp(np.mean(self.log_ratios))) if self.log_ratios else 1.0

    def fit_seconds(self, config: str, rows: float) -> float:
        """Predicted seconds of one fit on ``rows`` rows (upper estimate)."""
        if config in self.measured:
            m_rows, m_sec = self.measured[config]
            exponent = float(self._exponents[root_id(config)])
            return m_sec * max(rows / m_rows, 1.0) ** exponent
        if config in self.parents:  # an untried neighbour: its parent's time, scaled
            parent, cost = self.parents[config]
            return self.fit_seconds(parent, rows) * cost
        pred = self.timing.predict(rows, self.n_features, self.n_classes, upper=True)
        return float(pred[config]) * self.factor

    def eval_seconds(self, config: str, rows: int) -> float:
        """Predicted seconds of a ``cv``-fold evaluation on ``rows`` rows."""
        folds = min(self.cv, rows)
        # fits on (folds - 1) / folds of the rows, plus about a third more for predicting
        return 1.3 * folds * self.fit_seconds(config, rows * (folds - 1) / folds)

    def learn(self, config: str, rows: int, fit_seconds: float) -> None:
        """Record a measured mean fold fit time of ``config`` on a ``rows``-row rung."""
        folds = min(self.cv, rows)
        train_rows = rows * (folds - 1) / folds
        if config not in self.measured and config not in self.parents:
            # compare with the timing model once per grid configuration
            predicted = self.timing.predict(train_rows, self.n_features, self.n_classes, upper=True)
            ratio = max(fit_seconds, 1e-4) / max(float(predicted[config]), 1e-4)
            self.log_ratios.append(math.log(ratio))
        self.measured[config] = (int(train_rows), fit_seconds)
