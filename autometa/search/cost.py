"""What an evaluation will cost: the cost models, corrected by what the search measures.

Before a configuration has run, its fit time is the fit model's upper prediction
(``inputs.Costs.fit``) times a machine factor: the geometric mean of measured / predicted fit
times so far (1 before any measurement). Once it has run, its own time on its largest
rung, scaled to more rows with the model's exponent for it (at least 1; 2 for kernel SVMs).
Predicting is costed the same way, per 1,000 predicted rows, from ``Costs.predict``
(its time grows with the rows trained on for a k-NN), or as ``PREDICT_SHARE`` of the fit
without it. An untried off-grid neighbour costs its parent's times the cost ratio
``learners.neighbours`` gives. Peak memory is the memory model's mean prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autometa.search.inputs import Costs
from autometa.space.learners import root_id

__all__ = ["PREDICT_SHARE", "CostModel"]

PREDICT_SHARE = 0.3  # predicting, as a share of the fit, without a model of it


@dataclass
class CostModel:
    """Predicted seconds of fits and evaluations on one table, and memory of fits.

    Parameters
    ----------
    costs : Costs
        The cost models per configuration (fit seconds; optionally predict seconds and
        memory).
    n_features, n_classes : int
        Of the table being searched.
    cv : int
        Folds per evaluation.
    """

    costs: Costs
    n_features: int
    n_classes: int
    cv: int
    log_ratios: list[float] = field(default_factory=list)
    # config -> (training rows, mean fold fit seconds) of its largest evaluated rung
    measured: dict[str, tuple[int, float]] = field(default_factory=dict)
    # config -> (training rows, seconds per 1,000 predicted rows) of the same rung
    measured_predict: dict[str, tuple[int, float]] = field(default_factory=dict)
    # off-grid configuration made by the local search -> (parent id, cost ratio)
    parents: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exponents = self.costs.fit.exponents()
        predict = self.costs.predict
        self._predict_exponents = predict.exponents() if predict is not None else None

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
        pred = self.costs.fit.predict(rows, self.n_features, self.n_classes, upper=True)
        return float(pred[config]) * self.factor

    def predict_seconds(self, config: str, rows: float, predicted: float) -> float:
        """Predicted seconds of predicting ``predicted`` rows after a fit on ``rows`` rows
        (upper estimate)."""
        model, exponents = self.costs.predict, self._predict_exponents
        if model is None or exponents is None:
            return PREDICT_SHARE * self.fit_seconds(config, rows)
        if config in self.measured_predict:
            m_rows, per_1000 = self.measured_predict[config]
            per_1000 *= max(rows / m_rows, 1.0) ** float(exponents[root_id(config)])
        elif config in self.parents:
            parent, cost = self.parents[config]
            return self.predict_seconds(parent, rows, predicted) * cost
        else:
            pred = model.predict(rows, self.n_features, self.n_classes, upper=True)
            per_1000 = float(pred[config]) * self.factor
        return per_1000 * predicted / 1000

    def peak_mb(self, config: str, rows: float) -> float:
        """Predicted MiB of memory one fit on ``rows`` rows takes (mean prediction: the
        upper one would skip too much, the model's spread is wide); NaN without a model."""
        if self.costs.memory is None:
            return math.nan
        pred = self.costs.memory.predict(rows, self.n_features, self.n_classes)
        return float(pred[root_id(config)])

    def eval_seconds(self, config: str, rows: int) -> float:
        """Predicted seconds of a ``cv``-fold evaluation on ``rows`` rows: each fold fits on
        (folds - 1) / folds of the rows and predicts the rest."""
        folds = min(self.cv, rows)
        train = rows * (folds - 1) / folds
        return folds * (
            self.fit_seconds(config, train) + self.predict_seconds(config, train, rows / folds)
        )

    def learn(
        self, config: str, rows: int, fit_seconds: float, predict_seconds: float = math.nan
    ) -> None:
        """Record the measured mean fold fit and predict times of ``config`` on a
        ``rows``-row rung."""
        folds = min(self.cv, rows)
        train_rows = rows * (folds - 1) / folds
        if config not in self.measured and config not in self.parents:
            # compare with the fit model once per grid configuration
            predicted = self.costs.fit.predict(
                train_rows, self.n_features, self.n_classes, upper=True
            )
            ratio = max(fit_seconds, 1e-4) / max(float(predicted[config]), 1e-4)
            self.log_ratios.append(math.log(ratio))
        self.measured[config] = (int(train_rows), fit_seconds)
        if math.isfinite(predict_seconds):
            per_1000 = max(predict_seconds, 1e-5) / (rows / folds / 1000)
            self.measured_predict[config] = (int(train_rows), per_1000)
