"""The book-keeping shared by the steps of one search, and the one evaluation step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.fitting import FitResult, FitTimeout, cross_validate
from autometa.learners import get_config
from autometa.metrics import get_metric
from autometa.recommend import Recommendation
from autometa.search.cost import CostModel
from autometa.search.records import Record, best_so_far
from autometa.search.settings import SearchSettings
from autometa.tabular import Task

__all__ = ["MIN_SECONDS", "RESERVE_SHARE", "SearchEvent", "State", "evaluate"]

MIN_SECONDS = 0.05  # less time than this left: stop evaluating
RESERVE_SHARE = 0.25  # at most this share of the budget is held back for the refit


@dataclass
class SearchEvent:
    """What the search reports to a progress callback after each evaluation."""

    elapsed: float
    budget: float
    config_id: str
    rung: int
    n_rows: int
    status: str
    score: float
    best_config: str | None
    best_score: float
    n_evaluated: int


@dataclass
class State:
    """One search's data, settings, clock, records and cost model."""

    task: Task
    settings: SearchSettings
    rec: Recommendation
    start: float
    cost: CostModel
    callback: Callable[[SearchEvent], None] | None = None
    records: list[Record] = field(default_factory=list)
    # config -> the model of its last CV fold (the refit's fallback)
    fold_models: dict[str, Any] = field(default_factory=dict)
    # (config, rung) -> out-of-fold probabilities on the rung's rows (ensemble selection)
    oof: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    # config -> (rung, all CV fold models there), kept for its largest rung (bagging)
    fold_sets: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.rec.ranking
        self.ranks = dict(zip(r["config_id"], r["rank"], strict=True))
        self._predicted: dict[int, pd.Series] = {}  # rows -> the model's predicted scores
        # The class codes; none for regression (its out-of-fold "classes" are one column).
        kind = self.task.kind
        self.classes: np.ndarray | None = (
            np.unique(self.task.y.to_numpy()) if kind == "classification" else None
        )

    @property
    def deadline(self) -> float:
        return self.start + self.settings.time_budget

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def any_ok(self) -> bool:
        return any(r.status == "ok" for r in self.records)

    def predicted_scores(self, rows: int) -> pd.Series | None:
        """The meta-model's predicted scores of every configuration for this table trained
        on ``rows`` rows (cached); None for a recommendation without meta-features (a fixed
        order, ``Recommendation.of_order``)."""
        if self.rec.metafeatures.empty or self.rec.knowledge is None:
            return None
        if rows not in self._predicted:
            self._predicted[rows] = self.rec.scores_at(rows)
        return self._predicted[rows]

    def spare(self) -> float:
        """Seconds left after reserving the refit of the current best configuration."""
        best = best_so_far(self.records)
        reserve = self.cost.fit_seconds(best.config_id, len(self.task.y)) if best else 0.0
        # At most a share of the budget is held back: a slow winner is then refitted on
        # the largest sample that fits (see refit.py) rather than stopping the search early.
        return self.left() - min(reserve, RESERVE_SHARE * self.settings.time_budget)


def evaluate(state: State, config: str, rung: int, rows: np.ndarray) -> Record:
    """Cross-validate ``config`` on rows ``rows`` (rung ``rung``), or skip it when it is
    predicted not to fit the time left; record and report the outcome."""
    info = get_config(config)
    record = Record(
        len(state.records), config, info.family, info.params_json,
        int(state.ranks.get(config, -1)), rung, len(rows),
    )  # fmt: skip
    predicted = state.cost.eval_seconds(config, len(rows))
    allowed = state.spare()
    if predicted > allowed and state.any_ok():
        record.status = "skipped"
        record.message = f"predicted {predicted:.1f} s, {max(allowed, 0):.1f} s left"
        record.finished = time.perf_counter() - state.start
        state.records.append(record)
        return record
    t0 = time.perf_counter()
    try:
        # Every evaluation, the first too, ends by the time left: when nothing fits, the
        # fallback of refit.py gives a model within the refit slack instead of an overrun.
        limit = max(allowed, 0.05)
        results = _cross_validate(state, config, state.task.subset(rows), limit)
        values = _values(state, results)
        record.score, record.score_std = float(np.mean(values)), float(np.std(values))
        record.fit_seconds = float(np.mean([r.fit_seconds for r in results]))
        state.cost.learn(config, len(rows), record.fit_seconds)
        state.fold_models[config] = results[-1].model
        state.oof[config, rung] = _out_of_fold(state, results, len(rows))
        if state.settings.ensemble:
            state.fold_sets[config] = (rung, [r.model for r in results])
    except FitTimeout as exc:
        record.status, record.message = "timeout", str(exc)
    except Exception as exc:  # one configuration failing must not end the search
        record.status, record.message = "error", f"{type(exc).__name__}: {exc}"[:300]
    record.seconds = time.perf_counter() - t0
    record.finished = time.perf_counter() - state.start
    state.records.append(record)
    if state.callback is not None:
        top = best_so_far(state.records)
        state.callback(SearchEvent(
            time.perf_counter() - state.start, state.settings.time_budget, config, rung,
            len(rows), record.status, record.score, top.config_id if top else None,
            top.score if top else float("nan"),
            sum(r.status != "skipped" for r in state.records),
        ))  # fmt: skip
    return record


def _cross_validate(state: State, config: str, task: Task, seconds: float) -> list[FitResult]:
    s = state.settings
    # Classification: no more folds than the rarest class has rows (regression: its bins
    # adapt to the folds, see fitting.cross_validate).
    rows = task.y.value_counts().min() if task.kind == "classification" else len(task.y)
    folds = int(min(s.cv, rows))
    return cross_validate(
        get_config(config), task, folds,
        seconds=seconds, random_state=s.random_state, n_threads=s.n_jobs,
    )  # fmt: skip


def _values(state: State, results: list[FitResult]) -> list[float]:
    """Each fold's score, larger is better; a metric the learner cannot give is an error."""
    metric = get_metric(state.settings.metric)
    values = [metric.oriented(r.parts[0][metric.name]) for r in results]
    if any(math.isnan(v) for v in values):
        raise BadInputError(f"{metric.name} needs class probabilities; this learner has none.")
    return values


def _out_of_fold(state: State, results: list[FitResult], n_rows: int) -> np.ndarray:
    """Out-of-fold probabilities over all classes, shape (n_rows, n_classes); one-hot
    labels for a learner without probabilities; for regression the predicted values,
    shape (n_rows, 1)."""
    classes = state.classes
    if classes is None:
        out = np.zeros((n_rows, 1))
        for r in results:
            out[r.part_rows[0], 0] = r.predictions[0].labels
        return out
    out = np.zeros((n_rows, len(classes)))
    for r in results:
        rows, p = r.part_rows[0], r.predictions[0]
        if p.proba is not None:
            block = np.zeros((len(rows), len(classes)))
            block[:, np.searchsorted(classes, p.classes)] = p.proba
            out[rows] = block
        else:
            out[rows, np.searchsorted(classes, p.labels)] = 1.0
    return out
