"""Ensembles of the models the search found: greedy ensemble selection with replacement
(Caruana et al. 2004, as auto-sklearn and TabRepo do) on out-of-fold predictions.

Candidates are the configurations evaluated on the rung of the winner (the same rows, the
same folds: their out-of-fold predictions are comparable), at most ``POOL`` of them, best
CV score first. Starting from nothing, each of ``ROUNDS`` rounds adds (with replacement)
the candidate whose addition gives the best metric of the averaged predictions; the
ensemble is the prefix with the best score (earliest on ties). Its weights are the
members' counts. The ensemble is used only when its out-of-fold score beats the best
single candidate's out-of-fold score on the same rows.

Members without probabilities vote with their labels (one-hot). For regression
(``classes`` None) the "predictions" are the predicted values, one column, averaged the
same way.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from autometa.space.metrics import Metric, Predictions, on_classes, one_hot

__all__ = [
    "POOL",
    "ROUNDS",
    "EnsembleModel",
    "RegressionEnsemble",
    "Selection",
    "member_proba",
    "select",
]

POOL = 20
ROUNDS = 25


def member_proba(model: Any, X: Any, classes: np.ndarray | None) -> np.ndarray:
    """Probabilities of ``model`` over ``classes`` (all of them; a class the model never
    saw gets 0), shape (n_rows, n_classes); one-hot labels for a model without them; for
    regression (``classes`` None) the predicted values, shape (n_rows, 1)."""
    if classes is None:
        return np.asarray(model.predict(X), dtype=float).reshape(-1, 1)
    if hasattr(model, "predict_proba"):
        return on_classes(model.predict_proba(X), model.classes_, classes)
    return one_hot(model.predict(X), classes)


def to_predictions(proba: np.ndarray, classes: np.ndarray | None) -> Predictions:
    """Predictions from averaged probabilities (labels: the most probable class), or from
    averaged predicted values (regression: ``classes`` None)."""
    if classes is None:
        return Predictions(proba[:, 0], np.asarray([]))
    return Predictions(classes[np.argmax(proba, axis=1)], classes, proba, proba)


@dataclass
class Selection:
    """What :func:`select` chose.

    Attributes
    ----------
    weights : dict
        config_id -> weight (sums to 1).
    score : float
        Out-of-fold score of the ensemble (larger is better).
    best_single : float
        Out-of-fold score of the best single candidate on the same rows.
    """

    weights: dict[str, float]
    score: float
    best_single: float

    @property
    def better(self) -> bool:
        """An ensemble of two or more members that beats the best single candidate."""
        return len(self.weights) > 1 and self.score > self.best_single + 1e-12


def select(
    oof: dict[str, np.ndarray],
    y: np.ndarray,
    classes: np.ndarray | None,
    metric: Metric,
    order: list[str],
    deadline: float = math.inf,
) -> Selection:
    """Greedy ensemble selection with replacement.

    Parameters
    ----------
    oof : dict
        config_id -> out-of-fold probabilities, shape (n_rows, n_classes), all on the same
        rows (regression: predicted values, shape (n_rows, 1)).
    y : array, shape (n_rows,)
    classes : array, shape (n_classes,), or None for regression
    metric : Metric
    order : list of str
        Candidates, best CV score first (ties in the ensemble go to the earlier one).
    deadline : float, optional
        ``time.perf_counter()`` after which no further round starts (the selection so far
        is kept): it runs after the budget's refit, on time that is not its own.
    """
    pool = [c for c in order if c in oof][:POOL]

    def score(proba: np.ndarray) -> float:
        value = metric.compute(y, to_predictions(proba, classes))
        return metric.oriented(value) if np.isfinite(value) else -np.inf

    singles = {c: score(oof[c]) for c in pool}
    chosen: list[str] = []
    total = np.zeros_like(oof[pool[0]])
    history: list[float] = []
    for _ in range(ROUNDS):
        if history and time.perf_counter() >= deadline:
            break
        k = len(chosen) + 1
        gains = [score((total + oof[c]) / k) for c in pool]
        pick = pool[int(np.argmax(gains))]  # argmax: the first on ties
        chosen.append(pick)
        total = total + oof[pick]
        history.append(max(gains))
    best = int(np.argmax(history))
    members = chosen[: best + 1]
    weights = {c: members.count(c) / len(members) for c in dict.fromkeys(members)}
    return Selection(weights, history[best], max(singles.values()))


class _Members:
    """Weighted members, each a list of fitted models (one refit on all rows, or its CV
    fold models, averaged: bagging): what both ensembles hold and describe."""

    members: list[tuple[str, float, list[Any], str]]

    def describe(self) -> list[dict[str, Any]]:
        """One dict per member: config_id, weight, fitted_on."""
        return [{"config_id": c, "weight": w, "fitted_on": f} for c, w, _, f in self.members]


class EnsembleModel(_Members):
    """A weighted average of members' probabilities; each member is a list of fitted
    models (one refit on all rows, or its CV fold models, averaged: bagging).

    Parameters
    ----------
    classes : array, shape (n_classes,)
    members : list of (config_id, weight, models, fitted_on)
    """

    def __init__(
        self, classes: np.ndarray, members: list[tuple[str, float, list[Any], str]]
    ) -> None:
        self.classes_ = np.asarray(classes)
        self.members = members

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' probabilities, shape (n_rows, n_classes)."""
        out = np.zeros((len(X), len(self.classes_)))
        for _, weight, models, _ in self.members:
            proba = sum(member_proba(m, X, self.classes_) for m in models) / len(models)
            out += weight * proba
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, shape (n_rows,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class RegressionEnsemble(_Members):
    """A weighted average of members' predicted values; each member is a list of fitted
    models (one refit on all rows, or its CV fold models, averaged: bagging).

    Parameters
    ----------
    members : list of (config_id, weight, models, fitted_on)
    """

    def __init__(self, members: list[tuple[str, float, list[Any], str]]) -> None:
        self.members = members

    def predict(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' predictions, shape (n_rows,)."""
        out = np.zeros(len(X))
        for _, weight, models, _ in self.members:
            out += weight * sum(member_proba(m, X, None)[:, 0] for m in models) / len(models)
        return out
