"""The book-keeping shared by the steps of one search, and the evaluation step: planned
(:func:`plan`: run or skip), run by an executor (``workers``), recorded (:func:`finish`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.machine import available_mb
from autometa.search.cost import CostModel
from autometa.search.inputs import CurvePredictor, Proposals
from autometa.search.jobs import MIN_JOB_SECONDS, Executor, Job, Outcome, WorkerLost
from autometa.search.records import Record, Status, best_so_far
from autometa.search.settings import SearchSettings
from autometa.space.fitting import FitResult, FitTimeout
from autometa.space.learners import get_config
from autometa.space.metrics import get_metric, on_classes, one_hot
from autometa.table.tabular import Task

__all__ = [
    "MEMORY_SHARE",
    "MIN_SECONDS",
    "RESERVE_SHARE",
    "SearchEvent",
    "State",
    "evaluate",
    "finish",
    "plan",
]

MIN_SECONDS = 0.05  # less time than this left: stop evaluating
RESERVE_SHARE = 0.25  # at most this share of the budget is held back for the refit
# A fit predicted to take more than this share of the machine's free memory is not run:
# past it, the operating system may kill the whole process, search and all.
MEMORY_SHARE = 0.8


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
    """One search's data, settings, proposals, clock, records and cost model."""

    task: Task
    settings: SearchSettings
    proposals: Proposals
    start: float
    cost: CostModel
    curves: CurvePredictor | None = None
    callback: Callable[[SearchEvent], None] | None = None
    # Raises KeyboardInterrupt when a Ctrl-C came during the last fit, even if the learner
    # swallowed it (``interrupts.noted_interrupts``).
    check_interrupt: Callable[[], None] = lambda: None
    records: list[Record] = field(default_factory=list)
    # config -> the model of its last CV fold (the refit's fallback)
    fold_models: dict[str, Any] = field(default_factory=dict)
    # (config, rung) -> out-of-fold probabilities on the rung's rows (ensemble selection)
    oof: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    # config -> (rung, all CV fold models there), kept for its largest rung (bagging)
    fold_sets: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)
    executor: Executor | None = None  # where evaluations run (``workers``), set by the search
    # job key -> the predicted peak memory of an evaluation running now (MiB)
    running_mb: dict[tuple[int, ...], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The incumbent after the last record (records change only through ``add``, which
        # updates it): ``spare`` asks for it before every evaluation.
        self.best: Record | None = None
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
        return any(r.status == Status.OK for r in self.records)

    def now(self) -> float:
        """Seconds since the search's start."""
        return time.perf_counter() - self.start

    def new_record(self, config: str, rung: int, n_rows: int, **values: Any) -> Record:
        """A record of ``config`` (not yet added: ``add`` numbers it)."""
        info = get_config(config)
        return Record(
            len(self.records), config, info.family, info.params_json,
            self.proposals.rank(config), rung, n_rows, **values,
        )  # fmt: skip

    def add(self, record: Record, report: bool = False) -> Record:
        """Append ``record`` with the incumbent after it (the trajectory); with ``report``,
        tell the progress callback."""
        record.finished = self.now()
        record.order = len(self.records)
        # Final fits and the fallback come after the plan, in the order they happened.
        record.key = record.key or (2, record.order)
        self.records.append(record)
        self.best = top = best_so_far(self.records)
        if top is not None:
            record.incumbent, record.incumbent_score = top.config_id, top.score
        if report and self.callback is not None:
            self.callback(SearchEvent(
                record.finished, self.settings.time_budget, record.config_id, record.rung,
                record.n_rows, record.status.value, record.score, top.config_id if top else None,
                top.score if top else float("nan"),
                sum(r.status != Status.SKIPPED for r in self.records),
            ))  # fmt: skip
        return record

    def predicted_scores(self, rows: int) -> pd.Series | None:
        """The predicted scores of every configuration for this table trained on ``rows``
        rows (cached); None without a curve predictor."""
        if self.curves is None:
            return None
        if rows not in self._predicted:
            self._predicted[rows] = self.curves.scores_at(rows)
        return self._predicted[rows]

    def memory_short(self, config: str, rows: float) -> str | None:
        """Why a fit of ``config`` on ``rows`` rows is predicted not to fit the free memory
        (``MEMORY_SHARE`` of it), or None (also without a memory model)."""
        need = self.cost.peak_mb(config, rows)
        if math.isnan(need):  # no memory model: nothing to check (and no /proc read)
            return None
        # What the evaluations running now are predicted to take is not free.
        free = available_mb() - sum(self.running_mb.values())
        if need > MEMORY_SHARE * free:  # False where the free memory is unknown (NaN)
            return f"predicted {need:,.0f} MiB of memory, {free:,.0f} MiB free"
        return None

    def spare(self) -> float:
        """Seconds left after reserving the refit of the current best configuration."""
        best = self.best
        reserve = self.cost.fit_seconds(best.config_id, len(self.task.y)) if best else 0.0
        # At most a share of the budget is held back: a slow winner is then refitted on
        # the largest sample that fits (see refit.py) rather than stopping the search early.
        return self.left() - min(reserve, RESERVE_SHARE * self.settings.time_budget)


def plan(
    state: State, config: str, rung: int, rows: np.ndarray, key: tuple[int, ...]
) -> tuple[Record, Job | None]:
    """The record of evaluating ``config`` on rows ``rows`` (rung ``rung``), and its job;
    no job when it is predicted not to fit the free memory or the time left (then the
    record is a skip, added with its reason)."""
    s = state.settings
    record = state.new_record(config, rung, len(rows), started=state.now(), key=key)
    folds = min(s.cv, len(rows))
    need = len(rows) * (folds - 1) / folds
    short = state.memory_short(config, need)
    if short is not None:
        record.status, record.message = Status.SKIPPED, short
        return state.add(record), None
    predicted = state.cost.eval_seconds(config, len(rows))
    allowed = state.spare()
    if predicted > allowed and state.any_ok():
        record.status = Status.SKIPPED
        record.message = f"predicted {predicted:.1f} s, {max(allowed, 0):.1f} s left"
        return state.add(record), None
    # Every evaluation, the first too, ends by the time left: when nothing fits, the
    # fallback of refit.py gives a model within the refit slack instead of an overrun.
    job = Job(key, config, rung, rows, max(allowed, MIN_JOB_SECONDS), s.cv, s.random_state)
    mb = state.cost.peak_mb(config, need)
    state.running_mb[key] = 0.0 if math.isnan(mb) else mb
    return record, job


def finish(state: State, record: Record, outcome: Outcome) -> Record:
    """Record ``outcome`` (scores, times, models and out-of-fold predictions, or the
    error that ended it) in ``record``, add it and report it."""
    state.running_mb.pop(outcome.job.key, None)
    results, error = outcome.results, outcome.error
    try:
        if results is None:
            raise error or RuntimeError("the evaluation ended without a result")
        values = _values(state, results)
        record.score, record.score_std = float(np.mean(values)), float(np.std(values))
        record.fit_seconds = float(np.mean([r.fit_seconds for r in results]))
        predict_seconds = float(np.mean([r.predict_seconds for r in results]))
        state.cost.learn(record.config_id, record.n_rows, record.fit_seconds, predict_seconds)
        state.fold_models[record.config_id] = results[-1].model
        state.oof[record.config_id, record.rung] = _out_of_fold(state, results, record.n_rows)
        if state.settings.ensemble:
            state.fold_sets[record.config_id] = (record.rung, [r.model for r in results])
    except FitTimeout as exc:
        record.status, record.message = Status.TIMEOUT, str(exc)
    except WorkerLost as exc:
        record.status, record.message = Status.LOST, str(exc)
    except Exception as exc:  # one configuration failing must not end the search
        record.status, record.message = Status.ERROR, f"{type(exc).__name__}: {exc}"[:300]
    record.seconds = outcome.seconds
    state.add(record, report=True)
    state.check_interrupt()
    return record


def evaluate(
    state: State, config: str, rung: int, rows: np.ndarray, key: tuple[int, ...]
) -> Record:
    """Plan, run and record one evaluation alone (nothing else running): the local
    search's step."""
    record, job = plan(state, config, rung, rows, key)
    if job is None:
        return record
    executor = state.executor
    assert executor is not None and not executor.running()
    executor.submit(job)
    (outcome,) = executor.wait()
    return finish(state, record, outcome)


def _values(state: State, results: list[FitResult]) -> list[float]:
    """Each fold's score, larger is better; a metric the learner cannot give is an error."""
    metric = get_metric(state.settings.metric_name)
    values = [metric.oriented(r.parts[0][metric.name]) for r in results]
    if any(math.isnan(v) for v in values):
        raise BadInputError(f"{metric.name} needs class probabilities; this learner has none.")
    return values


def _out_of_fold(state: State, results: list[FitResult], n_rows: int) -> np.ndarray:
    """Out-of-fold probabilities over all classes, shape (n_rows, n_classes); one-hot
    labels for a learner without probabilities; for regression the predicted values,
    shape (n_rows, 1)."""
    classes = state.classes
    out = np.zeros((n_rows, 1 if classes is None else len(classes)))
    for r in results:
        rows, p = r.part_rows[0], r.predictions[0]
        if classes is None:
            out[rows, 0] = p.labels
        elif p.proba is not None:
            out[rows] = on_classes(p.proba, p.classes, classes)
        else:
            out[rows] = one_hot(p.labels, classes)
    return out
