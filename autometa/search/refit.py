"""The final fit: the winner's, a runner-up's when the winner's fails, or a fallback.

The search holds back the predicted refit time (at most a quarter of the budget); when a
refit on all rows is predicted not to end by the budget + ``REFIT_SLACK`` less
``STOP_MARGIN`` (:func:`final_line`), the winner is refitted on the largest stratified
sample predicted to fit, and when that is no larger than a CV fold (or the refit runs out
of time), the model of its last CV fold is kept. A fit that is one long C call (a kernel
SVM's: ``learners.one_call``; ``jobs.killed``), which the alarm cannot stop, runs in a
worker process killed at its limit; the time left is planned after it has started.

A refit that fails for any other reason passes the turn to the next configuration of the
ranking (the failure is recorded). When nothing was evaluated in time, :func:`fallback`
fits the cheapest of the proposed head on the largest sample predicted to fit, without
validation, and says so.
"""

from __future__ import annotations

import logging
import time
import traceback
import warnings
from typing import Any

import numpy as np

from autometa.exceptions import AutometaWarning
from autometa.search.ensemble import EnsembleModel, RegressionEnsemble, Selection, select
from autometa.search.jobs import killed
from autometa.search.records import Record, SearchError, Status, ranked
from autometa.search.state import State
from autometa.space.fitting import FitTimeout, fit_within, quiet, start_worker
from autometa.space.learners import get_config
from autometa.space.metrics import get_metric
from autometa.space.pipelines import build_pipeline
from autometa.table.sampling import stratified_subsample
from autometa.table.tabular import Task

__all__ = [
    "FALLBACK_CANDIDATES",
    "REFIT_SLACK",
    "STOP_MARGIN",
    "fallback",
    "final_fit",
    "final_line",
    "fit_ensemble",
    "refit",
]

log = logging.getLogger(__name__)

REFIT_SLACK = 0.10  # the search, final fits included, may end up to 10 % of the budget late
#: The final fits' time limits end this share of the budget before that line: a fit stops
#: at its next Python-level step, not at once, and the work after it takes a moment too.
#: (big_tables.md, 60 s: the three runs whose refit ran out of time at the line ended
#: just past it.)
STOP_MARGIN = 0.02
FALLBACK_CANDIDATES = 3  # cheapest configurations tried when nothing was evaluated
MIN_FALLBACK_ROWS = 50
LAST_RESORT_SECONDS = 5.0
LAST_RESORTS = 5


def refit(state: State, config: str) -> tuple[Any, str]:
    """Fit the winner on all rows, or on the largest stratified sample predicted to fit.

    Returns the fitted pipeline and what it was fitted on: "all rows", "M of N rows" or
    "last CV fold".
    """
    task = state.task
    n = len(task.y)
    fold_rows = state.cost.measured.get(config, (0, 0.0))[0]
    rows = _rows_that_fit(state, config, final_line(state) - time.perf_counter(), fold_rows)
    if rows > fold_rows and killed(config, rows):
        start_worker()  # the process its fit runs in: plan with the time its start leaves
        rows = _rows_that_fit(state, config, final_line(state) - time.perf_counter(), fold_rows)
    if rows <= fold_rows and config in state.fold_models:
        log.info("no refit of %s fits the time left; keeping its CV fold model", config)
        return state.fold_models[config], "last CV fold"
    allowed = final_line(state) - time.perf_counter()
    try:
        pipe = _fit(state, config, _sample(state, rows), max(allowed, 0.5))
    except FitTimeout:
        if config not in state.fold_models:
            raise
        return state.fold_models[config], "last CV fold"
    return pipe, "all rows" if rows == n else f"{rows} of {n} rows"


def final_line(state: State) -> float:
    """The ``time.perf_counter()`` by which the final fits end: the budget +
    ``REFIT_SLACK``, less ``STOP_MARGIN``."""
    return state.deadline + (REFIT_SLACK - STOP_MARGIN) * state.settings.time_budget


def _sample(state: State, rows: int) -> Task:
    """The task, or a stratified sample of ``rows`` of its rows."""
    task = state.task
    if rows >= len(task.y):
        return task
    return task.subset(stratified_subsample(task.strata, rows, state.settings.random_state, 1))


def _fit(state: State, config: str, task: Task, seconds: float) -> Any:
    """``config``'s pipeline fitted on ``task`` within ``seconds`` (quiet, with the
    search's threads): every final fit of the search goes through here."""
    s = state.settings
    full = state.task
    pipe = build_pipeline(
        get_config(config), full.numeric_columns, full.categorical_columns, s.random_state
    )
    # The workers are idle now: the final fit has their cores as threads.
    with quiet(s.workers):
        kill = killed(config, len(task.y))
        return fit_within(pipe, task.X, task.y.to_numpy(), seconds, s.workers, kill=kill)


def _rows_that_fit(state: State, config: str, allowed: float, low: int) -> int:
    """All rows, or the largest sample (at least ``low``) predicted to fit ``allowed``
    seconds and the free memory."""
    n = len(state.task.y)

    def fits(rows: int) -> bool:
        seconds = state.cost.fit_seconds(config, rows)
        return seconds <= allowed and state.memory_short(config, rows) is None

    if fits(n):
        return n
    lo, hi = low, n  # time and memory grow with rows: bisect for the largest that fits
    while hi - lo > max(n // 100, 1):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def final_fit(state: State) -> tuple[Record, Any, str]:
    """The best configuration's final fit, else the next one's (each failure recorded on
    the leaderboard as "refit_error"), else :func:`fallback` when nothing was evaluated.

    Returns the chosen record, the fitted pipeline and what it was fitted on.
    """
    candidates = ranked(state.records)
    if not candidates:
        return fallback(state)
    for candidate in candidates:
        try:
            pipeline, fitted_on = refit(state, candidate.config_id)
            return candidate, pipeline, fitted_on
        except Exception as exc:  # a failed refit passes the turn, with its reason
            _record_failure(state, candidate.config_id, candidate.rung, Status.REFIT_ERROR, exc)
    reasons = "; ".join(
        f"{r.config_id}: {r.message}" for r in state.records if r.status == Status.REFIT_ERROR
    )
    raise SearchError(f"No configuration could be refitted on all the data ({reasons}).")


def fallback(state: State) -> tuple[Record, Any, str]:
    """Nothing was evaluated in time: fit the cheapest of the proposed head (and the
    portfolio's) on the largest stratified sample predicted to fit the time left plus the
    refit slack, without validation, and warn. When those fail or time out, the
    ``LAST_RESORTS`` cheapest configurations of the whole ranking are tried in turn on
    ``MIN_FALLBACK_ROWS`` rows (each at most ``LAST_RESORT_SECONDS``, even past the
    budget)."""
    task, s = state.task, state.settings
    n = len(task.y)
    ranking = state.proposals.ranking
    head = list(ranking[: s.top_k])
    head += [c for c in state.proposals.portfolio[: s.n_portfolio] if c not in head]
    failed = {r.config_id for r in state.records if r.status == Status.ERROR}
    order = sorted((c for c in head if c not in failed), key=lambda c: state.cost.fit_seconds(c, n))
    # Last resort: the cheapest configurations of the whole ranking on a small sample (the
    # very cheapest, e.g. a QDA, may fail on 50 rows: the next one is tried).
    head_tried = order[:FALLBACK_CANDIDATES]
    everything = [c for c in ranking if c not in failed | set(head_tried)]
    cheapest = sorted(everything, key=lambda c: state.cost.fit_seconds(c, MIN_FALLBACK_ROWS))
    attempts = [(c, False) for c in head_tried] + [(c, True) for c in cheapest[:LAST_RESORTS]]
    for config, last in attempts:
        allowed = max(final_line(state) - time.perf_counter(), 0.5)
        low = min(n, MIN_FALLBACK_ROWS)
        rows = low if last else _rows_that_fit(state, config, allowed, low)
        # The last resort gets a few seconds even past the budget: a model late beats no
        # model.
        limit = max(allowed, LAST_RESORT_SECONDS) if last else allowed
        try:
            pipe = _fit(state, config, _sample(state, rows), limit)
        except Exception as exc:  # the next cheapest is tried
            _record_failure(state, config, 0, Status.FALLBACK_ERROR, exc)
            continue
        fitted_on = f"fallback: {rows} of {n} rows, not validated"
        record = _record_failure(state, config, 0, Status.FALLBACK, None, rows)
        warnings.warn(
            f"No configuration could be evaluated within the {s.time_budget:g} s budget; "
            f"{config} ({'the cheapest configuration' if last else 'the cheapest of the recommended head'}) was fitted on {rows} of {n} "
            "rows without validation. Give a larger time_budget for a searched model.",
            AutometaWarning,
            stacklevel=3,
        )
        return record, pipe, fitted_on
    tried = [r for r in state.records if r.status == Status.FALLBACK_ERROR]
    reasons = "; ".join(f"{r.config_id}: {r.message}" for r in tried)
    raise SearchError(
        f"No configuration could be fitted on this table, even on {MIN_FALLBACK_ROWS} rows "
        f"without validation ({reasons})."
    )


def fit_ensemble(
    state: State, top: Record, pipeline: Any, fitted_on: str, samples: list[np.ndarray]
) -> tuple[EnsembleModel | RegressionEnsemble, Selection] | None:
    """Select an ensemble on the winner's rung and fit its members, or None when it does
    not beat the winner there (or fewer than two candidates exist).

    Members go by weight: the winner keeps its final fit; another member is refitted on all
    rows when predicted to fit the time left of the budget (the refit slack is the
    winner's), otherwise (or when that refit fails or times out) its CV fold models on the
    rung are averaged (bagging).
    """
    s = state.settings
    rung = top.rung
    oof = {c: p for (c, r), p in state.oof.items() if r == rung}
    order = [r.config_id for r in ranked(state.records) if r.rung == rung and r.config_id in oof]
    if len(order) < 2:
        return None
    y = state.task.y.to_numpy()[samples[rung]]
    end = final_line(state)
    selection = select(oof, y, state.classes, get_metric(s.metric_name), order, end)
    if not selection.better:
        return None
    n = len(state.task.y)
    members = []
    for config, weight in sorted(selection.weights.items(), key=lambda kv: -kv[1]):
        if config == top.config_id:
            members.append((config, weight, [pipeline], fitted_on))
            continue
        allowed = state.left()  # the slack is the winner's refit's: a member has its fold models
        if state.cost.fit_seconds(config, n) <= allowed:
            try:
                members.append((config, weight, [_fit(state, config, state.task, allowed)],
                                "all rows"))  # fmt: skip
                continue
            except Exception as exc:  # bagging of its fold models instead
                _record_failure(state, config, rung, Status.REFIT_ERROR, exc)
        fold_rung, models = state.fold_sets.get(config, (-1, []))
        if fold_rung == rung and models:
            members.append((config, weight, models, f"{len(models)} CV fold models"))
    total = sum(w for _, w, _, _ in members)
    members = [(c, w / total, m, f) for c, w, m, f in members]
    if state.classes is None:
        return RegressionEnsemble(members), selection
    return EnsembleModel(state.classes, members), selection


def _record_failure(
    state: State, config: str, rung: int, status: Status, exc: BaseException | None, rows: int = 0
) -> Record:
    """Add a record of a final fit: a failure with its reason, or the fallback."""
    message = ""
    if exc is not None:
        message = traceback.format_exception_only(type(exc), exc)[-1].strip()[:300]
    record = state.new_record(
        config, rung, rows or len(state.task.y), status=status, message=message
    )
    return state.add(record)
