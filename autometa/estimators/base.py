"""What AutoMetaClassifier and AutoMetaRegressor share: settings, recommend-search-refit,
the input schema, the report and the model file.

A subclass says its task kind (``_kind``), turns the user's ``y`` into a Task
(``fit``) and reads predictions back (``predict``); everything between is here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from autometa.estimators.model_file import save_model
from autometa.exceptions import BadInputError
from autometa.reporting.report import report_data, write_report
from autometa.search import (
    Costs,
    CurvePredictor,
    Proposals,
    SearchEvent,
    SearchResult,
    SearchSettings,
    search,
)
from autometa.search.cluster import connect
from autometa.selectors.recommend import Knowledge, Recommendation, recommend
from autometa.table.schema import InputSchema
from autometa.table.summary import table_summary
from autometa.table.tabular import Task
from autometa.table.targets import TaskKind

__all__ = ["AutoMetaEstimator", "search_inputs", "target_array"]

_DEFAULTS = SearchSettings(time_budget=60.0)  # the search's defaults, from their one home


def search_inputs(
    recommendation: Recommendation,
) -> tuple[Proposals, Costs, CurvePredictor | None]:
    """What the search is handed, from a recommendation: its ranking and the portfolio as
    proposals, the cost models (fit and predict seconds, memory), and the recommendation
    itself as the learning-curve predictor (none for an order without meta-features,
    ``Recommendation.of_order``).

    Raises
    ------
    BadInputError
        For a recommendation without knowledge (no timing model).
    """
    knowledge = recommendation.knowledge
    if knowledge is None:
        raise BadInputError("The recommendation carries no timing model; use autometa.recommend.")
    proposals = Proposals(tuple(recommendation.ranking["config_id"]), tuple(knowledge.portfolio))
    curves = None if recommendation.metafeatures.empty else recommendation
    costs = Costs(knowledge.fit_time, knowledge.predict_time, knowledge.memory)
    return proposals, costs, curves


class AutoMetaEstimator(BaseEstimator):
    """Recommend, search under a time budget, refit: the part both estimators share."""

    _kind: TaskKind = "classification"  # the task kind; set by each subclass

    def __init__(
        self,
        time_budget: float = _DEFAULTS.time_budget,
        top_k: int = _DEFAULTS.top_k,
        metric: str | None = None,
        cv: int = _DEFAULTS.cv,
        n_portfolio: int = _DEFAULTS.n_portfolio,
        max_configs: int | None = None,
        n_jobs: int = _DEFAULTS.n_jobs,
        inf_as_missing: bool = False,
        expand_dates: bool = False,
        knowledge: Knowledge | None = None,
        random_state: int | None = None,
        callback: Callable[[SearchEvent], None] | None = None,
        ensemble: bool | None = None,
        curve_halving: bool | None = None,
        scheduler: str | None = None,
        optimizer: str = _DEFAULTS.optimizer,
    ) -> None:
        self.time_budget = time_budget
        self.top_k = top_k
        self.metric = metric
        self.cv = cv
        self.n_portfolio = n_portfolio
        self.max_configs = max_configs
        self.n_jobs = n_jobs
        self.inf_as_missing = inf_as_missing
        self.expand_dates = expand_dates
        self.knowledge = knowledge
        self.random_state = random_state
        self.callback = callback
        self.ensemble = ensemble
        self.curve_halving = curve_halving
        self.scheduler = scheduler
        self.optimizer = optimizer

    def _settings(self, seed: int) -> SearchSettings:
        """The search's settings, resolved for the task kind (validated: a clear error for
        a bad budget or metric)."""
        return SearchSettings(
            time_budget=self.time_budget, metric=self.metric, top_k=self.top_k,
            n_portfolio=self.n_portfolio, cv=self.cv, max_configs=self.max_configs,
            n_jobs=self.n_jobs, random_state=seed, ensemble=self.ensemble,
            curve_halving=self.curve_halving, scheduler=self.scheduler, optimizer=self.optimizer,
        ).resolved(self._kind)  # fmt: skip

    def _check_input(self, X: Any, y: Any) -> pd.DataFrame:
        """X as a DataFrame, after scikit-learn's checks (feature names, shapes); y present."""
        self._settings(0)  # bad settings fail here, before any work
        if y is None:
            raise BadInputError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=True)
        return X if isinstance(X, pd.DataFrame) else _as_frame(X)

    def fit_task(
        self,
        task: Task,
        recommendation: Recommendation | None = None,
        start: float | None = None,
    ) -> AutoMetaEstimator:
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
        searchable = self._searchable(task)
        self.n_features_in_ = len(task.feature_columns)
        self.feature_names_in_ = np.asarray(task.feature_columns, dtype=object)
        self._fit_task(searchable, start, recommendation)
        self.schema_ = InputSchema.from_task(task, self.inf_as_missing)
        return self

    def _searchable(self, task: Task) -> Task:
        """The task as the search sees it (the classifier codes its labels)."""
        return task

    def _prepare_task(self, task: Task) -> pd.DataFrame:
        """A validated Task's feature columns as the model takes them. A Task keeps only
        its usable columns (``load_table`` drops constant and identifier-like ones), so it
        is prepared by the input schema's kept columns instead of checked as a raw table."""
        check_is_fitted(self, "pipeline_")
        return self.schema_.transform(task.X)

    def _fit_task(
        self, task: Task, start: float, recommendation: Recommendation | None = None
    ) -> None:
        """Recommend, search and refit on a validated task (class labels as codes)."""
        seed = (
            self.random_state
            if self.random_state is not None
            else int(np.random.default_rng().integers(2**31 - 1))
        )
        settings = self._settings(seed)
        # An unreachable scheduler is an error before any work.
        client = connect(settings.scheduler) if settings.scheduler is not None else None
        try:
            self._recommend_and_search(task, start, settings, recommendation, client)
        finally:
            if client is not None:
                client.close()

    def _recommend_and_search(
        self,
        task: Task,
        start: float,
        settings: SearchSettings,
        recommendation: Recommendation | None,
        client: Any,
    ) -> None:
        seed = settings.random_state
        self.settings_ = settings
        self.metric_ = settings.metric_name
        self.schema_ = InputSchema.from_task(task, self.inf_as_missing)
        self.recommendation_ = recommendation or recommend(
            task, top_k=self.top_k, metric=self.metric_, knowledge=self.knowledge,
            random_state=seed,
        )  # fmt: skip
        proposals, costs, curves = search_inputs(self.recommendation_)
        self.result_: SearchResult = search(
            task, proposals, costs, settings, curves=curves, start=start,
            callback=self.callback, client=client,
        )  # fmt: skip
        self.table_ = table_summary(task)
        self.fit_seconds_ = time.perf_counter() - start

    # The search's result, as the familiar attributes (see ``SearchResult``).
    @property
    def leaderboard_(self) -> pd.DataFrame:
        return self.result_.leaderboard

    @property
    def trajectory_(self) -> pd.DataFrame:
        return self.result_.trajectory

    @property
    def best_config_(self) -> str:
        return self.result_.best_config

    @property
    def best_score_(self) -> float:
        return self.result_.best_score

    @property
    def pipeline_(self) -> Any:
        return self.result_.pipeline

    @property
    def refit_(self) -> str:
        return self.result_.refit

    @property
    def fallback_(self) -> bool:
        return self.result_.fallback

    @property
    def interrupted_(self) -> bool:
        return self.result_.interrupted

    @property
    def oof_(self) -> pd.DataFrame | None:
        return self.result_.oof

    @property
    def search_seconds_(self) -> float:
        return self.result_.seconds

    @property
    def ensemble_(self) -> pd.DataFrame:
        return pd.DataFrame(self.result_.ensemble, columns=["config_id", "weight", "fitted_on"])

    def report(
        self,
        path: str | Path | None,
        json_path: str | Path | None = None,
        command: str | None = None,
    ) -> Path:
        """Write one self-contained HTML page on this fit (``autometa/reporting/``): the
        table, why the ranking is what it is, the search over time, the leaderboard and
        ensemble, diagnostics on out-of-fold predictions, how to reproduce; with
        ``json_path``, its data as JSON too (``path`` None: the JSON alone). Returns the
        path of the page (of the JSON when there is no page)."""
        check_is_fitted(self, "pipeline_")
        return write_report(report_data(self, command), path, json_path)

    def save(self, path: str | Path) -> Path:
        """Write the fitted model and its input schema to a skops file (no pickle).

        Read it back with :func:`autometa.load_model` or ``autometa predict``.
        """
        check_is_fitted(self, "pipeline_")
        info = {
            "config_id": self.best_config_, "metric": self.metric_,
            "cv_score": self.best_score_, "refit": self.refit_,
            "report": json.dumps(report_data(self)),  # autometa report model.skops
        }  # fmt: skip
        return save_model(path, self.pipeline_, self.schema_, getattr(self, "classes_", None), info)

    def _prepare(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "pipeline_")
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self.schema_.transform(X if isinstance(X, pd.DataFrame) else _as_frame(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        # Under a time budget a faster machine evaluates more; max_configs removes that.
        tags.non_deterministic = self.max_configs is None
        return tags


def target_array(y: Any) -> np.ndarray:
    """y as a 1-d array; a column vector gets scikit-learn's DataConversionWarning."""
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = column_or_1d(y_arr, warn=True)
    return y_arr


def _as_frame(X: Any) -> pd.DataFrame:
    """An array-like as a DataFrame with columns x0, x1, ... (numbers stay numbers)."""
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise BadInputError(f"X must be 2-dimensional; got an array of shape {arr.shape}.")
    columns = [f"x{i}" for i in range(arr.shape[1])]
    if arr.dtype.kind in "biuf":
        return pd.DataFrame(arr, columns=columns)
    return pd.DataFrame(arr.astype(object), columns=columns).infer_objects()


def _check_2d(X: Any) -> None:
    """Sparse, 1-d and featureless inputs get scikit-learn's messages (users know them)."""
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported: autometa's learners need dense data; pass "
            "X.toarray() (or a DataFrame)."
        )
    shape = X.shape if isinstance(X, np.ndarray | pd.DataFrame) else np.asarray(X).shape
    if len(shape) != 2:
        raise BadInputError(
            f"Expected a 2-dimensional X; got shape {tuple(shape)}. Reshape your data with "
            "X.reshape(-1, 1) if it has a single feature or X.reshape(1, -1) if it is one row."
        )
    if shape[0] == 0:
        raise BadInputError(
            f"Found array with 0 sample(s) (shape={tuple(shape)}) while a minimum of 1 is required."
        )
    if shape[1] == 0:
        raise BadInputError(
            f"Found array with 0 feature(s) (shape={tuple(shape)}) while a minimum of 1 is "
            "required."
        )
