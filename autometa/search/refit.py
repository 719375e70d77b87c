"""The winner's final fit.

The search holds back the predicted refit time (at most a quarter of the budget); when a
refit on all rows is predicted not to end by the budget + ``REFIT_SLACK``, the winner is
refitted on the largest stratified sample predicted to fit, and when that is no larger
than a CV fold (or the refit runs out of time), the model of its last CV fold is kept.
"""

from __future__ import annotations

import logging
from typing import Any

from autometa.fitting import FitTimeout, quiet, time_limit
from autometa.learners import build_pipeline, get_config
from autometa.search.state import State
from autometa.tabular import stratified_subsample

__all__ = ["REFIT_SLACK", "refit"]

log = logging.getLogger(__name__)

REFIT_SLACK = 0.10  # the refit may end up to 10 % of the budget late


def refit(state: State, config: str) -> tuple[Any, str]:
    """Fit the winner on all rows, or on the largest stratified sample predicted to fit.

    Returns the fitted pipeline and what it was fitted on: "all rows", "M of N rows" or
    "last CV fold".
    """
    task = state.task
    s = state.settings
    n = len(task.y)
    allowed = state.left() + REFIT_SLACK * s.time_budget
    fold_rows = state.cost.measured.get(config, (0, 0.0))[0]
    rows = n
    if state.cost.fit_seconds(config, n) > allowed:
        lo, hi = fold_rows, n  # fit time grows with rows: bisect for the largest that fits
        while hi - lo > max(n // 100, 1):
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if state.cost.fit_seconds(config, mid) <= allowed else (lo, mid)
        rows = lo
    if rows <= fold_rows and config in state.fold_models:
        log.info("no refit of %s fits the time left; keeping its CV fold model", config)
        return state.fold_models[config], "last CV fold"
    sub = (
        task
        if rows == n
        else task.subset(stratified_subsample(task.y.to_numpy(), rows, s.random_state, 1))
    )
    pipe = build_pipeline(
        get_config(config), task.numeric_columns, task.categorical_columns, s.random_state
    )
    try:
        with quiet(s.n_jobs), time_limit(max(allowed, 0.5)):
            pipe.fit(sub.X, sub.y.to_numpy())
    except FitTimeout:
        return state.fold_models[config], "last CV fold"
    return pipe, "all rows" if rows == n else f"{rows} of {n} rows"
