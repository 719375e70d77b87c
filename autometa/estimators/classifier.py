"""AutoMetaClassifier: recommend, search under a time budget, refit; a scikit-learn classifier."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from autometa.estimators.base import AutoMetaEstimator, target_array
from autometa.estimators.docs import docstring
from autometa.exceptions import BadInputError
from autometa.selectors.recommend import Recommendation
from autometa.space.metrics import on_classes
from autometa.table.tabular import Task, task_from_xy
from autometa.table.targets import TaskKind, shown

__all__ = ["AutoMetaClassifier"]


def _has_proba(est: AutoMetaClassifier) -> bool:
    # Before fit the method exists (and raises NotFittedError); after, as the model has it.
    return not hasattr(est, "pipeline_") or hasattr(est.pipeline_, "predict_proba")


class AutoMetaClassifier(ClassifierMixin, AutoMetaEstimator):
    _kind: TaskKind = "classification"

    def fit(self, X: Any, y: Any) -> AutoMetaClassifier:
        """Recommend, search and refit.

        Parameters
        ----------
        X : DataFrame or array-like, shape (n_rows, n_features)
            Numeric and categorical (text) columns; missing values allowed.
        y : array-like, shape (n_rows,)
            Class labels.
        """
        start = time.perf_counter()
        frame = self._check_input(X, y)
        y_arr = target_array(y)
        check_classification_targets(y_arr)
        if len(np.unique(y_arr)) < 2:
            raise BadInputError(
                f"y has one class ({shown(y_arr[0])}); classification needs at least two classes."
            )
        encoder = LabelEncoder().fit(y_arr)
        self.classes_ = encoder.classes_
        task = task_from_xy(
            frame, encoder.transform(y_arr), name="data", inf_as_missing=self.inf_as_missing,
            expand_dates=self.expand_dates, task="classification",
        )  # fmt: skip
        self._fit_task(task, start)
        return self

    def _searchable(self, task: Task) -> Task:
        """The task with its labels as codes 0..n_classes-1 (``classes_`` set)."""
        encoder = LabelEncoder().fit(task.y.to_numpy())
        self.classes_ = encoder.classes_
        return replace(task, y=pd.Series(encoder.transform(task.y.to_numpy()), name=task.y.name))

    def _fit_task(
        self, task: Task, start: float, recommendation: Recommendation | None = None
    ) -> None:
        """The base's, on a task whose labels are codes; then the classes are named in
        the table summary."""
        super()._fit_task(task, start, recommendation)
        summary = self.table_
        summary["classes"] = {str(self.classes_[int(k)]): v for k, v in summary["classes"].items()}

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, shape (n_rows,)."""
        frame = self._prepare(X)
        codes = self.pipeline_.predict(frame)
        return self.classes_[np.asarray(codes, dtype=int)]

    def predict_task(self, task: Task) -> np.ndarray:
        """Class labels of the rows of a validated Task, shape (n_rows,) (see
        ``AutoMetaEstimator._prepare_task``)."""
        codes = self.pipeline_.predict(self._prepare_task(task))
        return self.classes_[np.asarray(codes, dtype=int)]

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), columns in ``classes_`` order."""
        frame = self._prepare(X)
        return self._proba(frame)

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        # The pipeline predicts label codes 0..n_classes-1 (a CV-fold model may miss some).
        codes = np.arange(len(self.classes_))
        return on_classes(self.pipeline_.predict_proba(frame), self.pipeline_.classes_, codes)


AutoMetaClassifier.__doc__ = docstring(
    """Meta-learned model selection for tabular classification.

    ``fit`` computes the table's meta-features, ranks the learner configurations with the
    meta-model (:func:`autometa.recommend`), races the best of them with successive
    halving within ``time_budget`` seconds (:func:`autometa.search.search`) and refits the
    winner on all rows.
""",
    "classification",
    """
    classes_ : ndarray, shape (n_classes,)
    pipeline_ : Pipeline
        The fitted winner (on label codes 0..n_classes-1), or the ensemble
        (``predict_proba`` its weighted average).
    oof_ : DataFrame or None
        The winner's out-of-fold predictions (row, y as codes, one probability column per
        class code), for diagnostics (``report``); None for a fallback model.""",
)
