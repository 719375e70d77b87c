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
from sklearn.utils.validation import check_is_fitted

from autometa.estimator import AutoMetaEstimator, docstring, target_array
from autometa.exceptions import BadInputError
from autometa.recommend import Recommendation
from autometa.schema import InputSchema
from autometa.tabular import Task, task_from_xy

__all__ = ["AutoMetaClassifier"]


def _has_proba(est: AutoMetaClassifier) -> bool:
    # Before fit the method exists (and raises NotFittedError); after, as the model has it.
    return not hasattr(est, "pipeline_") or hasattr(est.pipeline_, "predict_proba")


class AutoMetaClassifier(ClassifierMixin, AutoMetaEstimator):
    _kind = "classification"

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
                f"y has one class ({y_arr[0]!r}); classification needs at least two classes."
            )
        encoder = LabelEncoder().fit(y_arr)
        task = task_from_xy(
            frame, encoder.transform(y_arr), name="data", inf_as_missing=self.inf_as_missing,
            task="classification",
        )  # fmt: skip
        self._fit_codes(task, encoder.classes_, start)
        return self

    def fit_task(
        self,
        task: Task,
        recommendation: Recommendation | None = None,
        start: float | None = None,
    ) -> AutoMetaClassifier:
        """Fit on a validated Task, as :func:`autometa.load_table` returns it.

        The model then expects the table's feature columns (``task.feature_columns``) at
        prediction time; the target column may be present and is ignored.

        Parameters
        ----------
        task : Task
        recommendation : Recommendation, optional
            Computed already for this task (with the same metric); else computed here.
        start : float, optional
            ``time.perf_counter()`` when the budget started (default: now).
        """
        start = time.perf_counter() if start is None else start
        self._settings(0)  # bad settings fail here, before any work
        encoder = LabelEncoder().fit(task.y.to_numpy())
        coded = replace(task, y=pd.Series(encoder.transform(task.y.to_numpy()), name=task.y.name))
        self.n_features_in_ = len(task.feature_columns)
        self.feature_names_in_ = np.asarray(task.feature_columns, dtype=object)
        self._fit_codes(coded, encoder.classes_, start, recommendation)
        self.schema_ = InputSchema.from_task(task, self.inf_as_missing)
        return self

    def _fit_codes(
        self,
        task: Task,
        classes: np.ndarray,
        start: float,
        recommendation: Recommendation | None = None,
    ) -> None:
        """Recommend, search and refit on a task whose labels are codes 0..n_classes-1."""
        self.classes_ = classes
        self._fit_task(task, start, recommendation)
        # The labels were codes during the search: name the classes in the summary.
        summary = self.table_
        summary["classes"] = {str(classes[int(k)]): v for k, v in summary["classes"].items()}
        self.fit_seconds_ = time.perf_counter() - start

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, shape (n_rows,)."""
        frame = self._prepare(X)
        codes = self.pipeline_.predict(frame)
        return self.classes_[np.asarray(codes, dtype=int)]

    def predict_task(self, task: Task) -> np.ndarray:
        """Class labels of the rows of a validated Task, shape (n_rows,).

        A Task keeps only its usable columns (``load_table`` drops constant and
        identifier-like ones), so it is prepared by the input schema's kept columns instead
        of checked as a raw table.
        """
        check_is_fitted(self, "pipeline_")
        codes = self.pipeline_.predict(self.schema_.transform(task.X))
        return self.classes_[np.asarray(codes, dtype=int)]

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), columns in ``classes_`` order."""
        frame = self._prepare(X)
        return self._proba(frame)

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        proba = self.pipeline_.predict_proba(frame)
        # A CV-fold model may have seen fewer classes; place its columns by code.
        full = np.zeros((len(frame), len(self.classes_)))
        full[:, np.asarray(self.pipeline_.classes_, dtype=int)] = proba
        return full


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
