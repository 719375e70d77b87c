"""The one metric registry: every metric autometa measures, optimises or reports.

A :class:`Metric` knows its name, its direction, whether it needs class probabilities (or
ranking scores), the task kinds it applies to and how to compute it from a model's
:class:`Predictions`. The builder, the search, the meta-dataset, the evaluation and the
CLI read metrics from here only; adding a metric is adding one entry to ``_REGISTRY``.

Scores are stored raw (log loss as a loss). :meth:`Metric.oriented` turns a raw value
into one where larger is better, which is what the search compares and ranks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import r2_score

from autometa.exceptions import BadInputError
from autometa.table.targets import TaskKind

__all__ = [
    "METRICS",
    "PRIMARY",
    "TIMINGS",
    "Metric",
    "MetricName",
    "Predictions",
    "get_metric",
    "greater_is_better",
    "metric_names",
    "on_classes",
    "one_hot",
    "predictions",
    "score_all",
    "score_predictions",
]

#: The metric a build promotes configurations by, and flags trivial tables with.
PRIMARY: dict[TaskKind, str] = {"classification": "accuracy", "regression": "r2"}


@dataclass(frozen=True)
class Predictions:
    """What a fitted model says about some rows, computed once for every metric.

    Attributes
    ----------
    labels : ndarray, shape (n_rows,)
        Predicted classes.
    classes : ndarray, shape (n_classes,)
        The model's classes, in the column order of ``proba`` and ``scores``.
    proba : ndarray, shape (n_rows, n_classes), optional
        Class probabilities; None when the model has no ``predict_proba``.
    scores : ndarray, shape (n_rows, n_classes), optional
        Ranking scores per class (probabilities, else the decision function); None when
        the model has neither.
    """

    labels: np.ndarray
    classes: np.ndarray
    proba: np.ndarray | None = None
    scores: np.ndarray | None = None


def predictions(model: Any, X: pd.DataFrame) -> Predictions:
    """Ask ``model`` for labels and, where it has them, probabilities or decision scores (a
    regressor, which has no ``classes_``: its predicted values as ``labels``)."""
    if not hasattr(model, "classes_"):
        return Predictions(np.asarray(model.predict(X), dtype=float), np.asarray([]))
    classes = np.asarray(model.classes_)
    # predict, not the argmax of the probabilities: they differ for some learners (an SVC
    # with Platt scaling), and accuracy is about what predict returns.
    labels = np.asarray(model.predict(X))
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        return Predictions(labels, classes, proba, proba)
    scores = model.decision_function(X) if hasattr(model, "decision_function") else None
    if scores is not None and np.ndim(scores) == 1:
        scores = np.column_stack([-scores, scores])
    return Predictions(labels, classes, None, scores)


def on_classes(values: np.ndarray, seen: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """A model's per-class columns placed among all ``classes``.

    A model fitted on part of the data (a CV fold, a subsample) may have seen fewer classes
    than the table has; its columns go to their classes and an unseen class gets 0. This is
    the one place that aligns probabilities (the search, the ensembles, the estimators and
    the model files call it).

    Parameters
    ----------
    values : array, shape (n_rows, n_seen)
        One column per class in ``seen`` (``predict_proba``'s output).
    seen : array, shape (n_seen,)
        The model's ``classes_``, a sorted subset of ``classes``.
    classes : array, shape (n_classes,)
        All classes, sorted.

    Returns
    -------
    array, shape (n_rows, n_classes)
    """
    out = np.zeros((len(values), len(classes)))
    out[:, np.searchsorted(classes, np.asarray(seen))] = values
    return out


def one_hot(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Labels as one-hot rows over ``classes`` (sorted), shape (n_rows, n_classes): the
    "probabilities" of a learner that has none."""
    out = np.zeros((len(labels), len(classes)))
    out[np.arange(len(labels)), np.searchsorted(classes, np.asarray(labels))] = 1.0
    return out


# The classification metrics are computed here with numpy, to scikit-learn's definitions
# (tests/space/test_metrics.py checks the values against it): ensemble selection scores
# several hundred blends after the refit, where scikit-learn's input checks cost 1-3 ms a
# call (1.3 s for log loss) on time the budget no longer has.


def _accuracy(y: np.ndarray, p: Predictions) -> float:
    return float(np.mean(np.asarray(y) == p.labels))


def _balanced_accuracy(y: np.ndarray, p: Predictions) -> float:
    """The mean recall of the classes present in ``y`` (a predicted class absent from
    ``y`` has no recall; scikit-learn warns and leaves it out too)."""
    y = np.asarray(y)
    _, where = np.unique(y, return_inverse=True)
    hits = np.bincount(where, weights=(y == p.labels).astype(float))
    return float(np.mean(hits / np.bincount(where)))


def _log_loss(y: np.ndarray, p: Predictions) -> float:
    """Mean negative log of the probability given to the true class, the probabilities
    clipped to [eps, 1 - eps]; columns follow the sorted classes, as scikit-learn's
    ``log_loss(y, proba, labels=classes)`` reads them."""
    if p.proba is None:
        return float("nan")
    proba = np.asarray(p.proba, dtype=float)
    if not np.isfinite(proba).all() or proba.min() < 0 or proba.max() > 1:
        raise ValueError("Probabilities must be finite and within [0, 1].")
    classes = np.sort(np.asarray(p.classes))
    column = np.searchsorted(classes, y).clip(0, len(classes) - 1)
    if not (classes[column] == np.asarray(y)).all():
        raise ValueError("y contains classes the probabilities have no column for.")
    eps = np.finfo(proba.dtype).eps
    chosen = np.clip(proba[np.arange(len(column)), column], eps, 1 - eps)
    return float(-np.mean(np.log(chosen)))


def _binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``positive`` (shape
    (n_rows,) each; both classes present): the Mann-Whitney statistic over mid-ranks, which
    equals ``sklearn.metrics.roc_auc_score`` with its handling of ties, without its input
    checks (the ensemble selection scores a few hundred blends: 0.1 ms here against 5-10 ms
    there)."""
    if not np.isfinite(scores).all():  # as scikit-learn refuses them
        raise ValueError("Input contains NaN or infinity.")
    ranks = rankdata(scores)  # average ranks: a tie counts one half
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(y: np.ndarray, p: Predictions) -> float:
    """Macro one-vs-rest AUC; per class it only needs a ranking of the rows, so
    uncalibrated decision scores are fine. Classes absent from ``y`` are left out."""
    if p.scores is None:
        return float("nan")
    aucs = [
        _binary_auc(y == c, np.asarray(p.scores[:, k], dtype=float))
        for k, c in enumerate(p.classes)
        if 0 < (y == c).sum() < len(y)
    ]
    return float(np.mean(aucs)) if aucs else float("nan")


def _rmse(y: np.ndarray, p: Predictions) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, dtype=float) - p.labels) ** 2)))


def _mae(y: np.ndarray, p: Predictions) -> float:
    return float(np.mean(np.abs(np.asarray(y, dtype=float) - p.labels)))


def _r2(y: np.ndarray, p: Predictions) -> float:
    return float(r2_score(np.asarray(y, dtype=float), p.labels))


@dataclass(frozen=True)
class Metric:
    """One metric.

    Attributes
    ----------
    name : str
    greater_is_better : bool
    needs_proba : bool
        True when the metric needs probabilities (log loss) or per-class ranking scores
        (ROC AUC); a model without them scores NaN (the search treats it as an error).
    task_kinds : tuple of str
        Task kinds it applies to.
    compute : callable
        ``compute(y_true, predictions) -> float``, the raw value.
    description : str
        One line for help texts.
    """

    name: str
    greater_is_better: bool
    needs_proba: bool
    task_kinds: tuple[TaskKind, ...]
    compute: Callable[[np.ndarray, Predictions], float]
    description: str

    def oriented(self, value: float) -> float:
        """The value turned so that larger is better (a loss is negated)."""
        return value if self.greater_is_better else -value

    def score(self, model: Any, X: pd.DataFrame, y: np.ndarray) -> float:
        """The raw value of this metric for ``model`` on (X, y)."""
        return self.compute(np.asarray(y), predictions(model, X))


_REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, False, ("classification",), _accuracy,
               "share of rows classified correctly"),
        Metric("balanced_accuracy", True, False, ("classification",), _balanced_accuracy,
               "mean recall over classes"),
        Metric("roc_auc", True, True, ("classification",), _roc_auc,
               "macro one-vs-rest ROC AUC"),
        Metric("log_loss", False, True, ("classification",), _log_loss,
               "cross-entropy of the predicted probabilities"),
        # Regression: comparing them across tables needs a per-dataset normalisation
        # (MetaDataset.normalized_scores: best 1, worst 0), as for classification.
        Metric("rmse", False, False, ("regression",), _rmse, "root mean squared error"),
        Metric("mae", False, False, ("regression",), _mae, "mean absolute error"),
        Metric("r2", True, False, ("regression",), _r2, "coefficient of determination"),
    )
}  # fmt: skip

#: Every metric name, in registry order.
METRICS: tuple[str, ...] = tuple(_REGISTRY)
#: Timing columns recorded beside the metrics (smaller is better).
TIMINGS: tuple[str, ...] = ("fit_seconds", "predict_seconds")

#: The metric names as an Enum, for command-line choices.
MetricName = enum.Enum("MetricName", {name: name for name in METRICS}, type=str)  # type: ignore[misc]


def metric_names(task_kind: TaskKind | None = None) -> list[str]:
    """Names of the metrics that apply to ``task_kind`` (all when None)."""
    return [m.name for m in _REGISTRY.values() if task_kind is None or task_kind in m.task_kinds]


def get_metric(name: str, task_kind: TaskKind | None = None) -> Metric:
    """The registered metric ``name``; a clear error for an unknown or inapplicable one."""
    metric = _REGISTRY.get(str(getattr(name, "value", name)))
    if metric is None:
        raise BadInputError(f"Unknown metric '{name}'; choose one of: {', '.join(METRICS)}.")
    if task_kind is not None and task_kind not in metric.task_kinds:
        raise BadInputError(
            f"Metric '{metric.name}' does not apply to {task_kind}; "
            f"choose one of: {', '.join(metric_names(task_kind))}."
        )
    return metric


def greater_is_better(name: str) -> bool:
    """Direction of a metric or timing column (timings: smaller is better)."""
    return name not in TIMINGS and get_metric(name).greater_is_better


def score_all(
    model: Any, X: pd.DataFrame, y: np.ndarray, task_kind: TaskKind = "classification"
) -> dict[str, float]:
    """Every metric of ``task_kind`` for ``model`` on (X, y), from one set of predictions."""
    return score_predictions(np.asarray(y), predictions(model, X), task_kind)


def score_predictions(
    y: np.ndarray, p: Predictions, task_kind: TaskKind = "classification"
) -> dict[str, float]:
    """Every metric of ``task_kind`` for predictions ``p`` of rows with labels ``y``."""
    return {m: _REGISTRY[m].compute(np.asarray(y), p) for m in metric_names(task_kind)}
