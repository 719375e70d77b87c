"""AutoMetaRegressor: recommend, search under a time budget, refit; a scikit-learn regressor."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin

from autometa.estimators.base import AutoMetaEstimator, target_array
from autometa.estimators.docs import docstring
from autometa.exceptions import BadInputError
from autometa.table.tabular import Task, task_from_xy
from autometa.table.targets import TaskKind

__all__ = ["AutoMetaRegressor"]


class AutoMetaRegressor(RegressorMixin, AutoMetaEstimator):
    _kind: TaskKind = "regression"

    def fit(self, X: Any, y: Any) -> AutoMetaRegressor:
        """Recommend, search and refit.

        Parameters
        ----------
        X : DataFrame or array-like, shape (n_rows, n_features)
            Numeric and categorical (text) columns; missing values allowed.
        y : array-like, shape (n_rows,)
            Numbers (rows whose target is missing are dropped, with a warning).
        """
        start = time.perf_counter()
        frame = self._check_input(X, y)
        y_arr = target_array(y)
        if y_arr.ndim != 1:
            raise BadInputError(
                f"y must be 1-dimensional; got shape {y_arr.shape} (one target per model)."
            )
        if len(y_arr) != len(frame):
            raise BadInputError(f"X has {len(frame)} rows but y has {len(y_arr)}.")
        if np.iscomplexobj(y_arr):
            raise BadInputError("Complex data not supported: y holds complex numbers.")
        if len(y_arr) < 2:
            raise BadInputError(
                f"Found {len(y_arr)} sample(s): regression needs at least 2 rows (got 1 sample)."
            )
        task = task_from_xy(
            frame, y_arr, name="data", inf_as_missing=self.inf_as_missing,
            expand_dates=self.expand_dates, task="regression",
        )  # fmt: skip
        self._fit_task(task, start)
        return self

    def _searchable(self, task: Task) -> Task:
        """The task as it is, once it is known to be a regression task."""
        if task.kind != "regression":
            raise BadInputError(
                f"The task's target '{task.target}' holds class labels; use AutoMetaClassifier "
                "(or load_table(..., task='regression') for a numeric target)."
            )
        return task

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, shape (n_rows,)."""
        frame = self._prepare(X)  # first: NotFittedError before fit
        return np.asarray(self.pipeline_.predict(frame), dtype=float)

    def predict_task(self, task: Task) -> np.ndarray:
        """Predicted values of the rows of a validated Task, shape (n_rows,) (see
        ``AutoMetaEstimator._prepare_task``)."""
        return np.asarray(self.pipeline_.predict(self._prepare_task(task)), dtype=float)


AutoMetaRegressor.__doc__ = docstring(
    """Meta-learned model selection for tabular regression.

    ``fit`` computes the table's meta-features, ranks the regression configurations with
    the regression meta-model (:func:`autometa.recommend`), races the best of them with
    successive halving within ``time_budget`` seconds (folds and subsamples stratified by
    quantile bins of the target) and refits the winner on all rows.
""",
    "regression",
    """
    pipeline_ : Pipeline
        The fitted winner, or the ensemble (the weighted mean of its members' predictions).
    oof_ : DataFrame or None
        The winner's out-of-fold predictions (row, y, prediction), for diagnostics
        (``report``); None for a fallback model.""",
)
