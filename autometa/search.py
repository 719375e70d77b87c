"""Warm-started successive halving under a wall-clock budget.

The search takes the recommender's ranking and races configurations on the user's data:

1. Brackets. The first bracket holds the top ``top_k`` recommended configurations plus
   ``n_portfolio`` from the dataset-independent portfolio (a safety net when the
   meta-model is wrong); each later bracket holds the next ``top_k + n_portfolio``
   configurations of the ranking. Brackets run until the budget or the ranking runs out.
2. Rungs. Within a bracket, every configuration is cross-validated (``cv`` stratified
   folds) on a stratified subsample; the best ``1 / eta`` move on to a sample ``eta``
   times larger, up to all rows. Tables of at most ``eta * min_rows`` rows have one rung.
3. Planning. Before each evaluation the search predicts its cost: from the timing model
   (``fit_time.py``) scaled by a machine factor it measures as it goes, or from the
   configuration's own time on the previous rung scaled by rows (exponent at least 1; 2
   for kernel SVMs). It skips configurations predicted not to finish in the time left
   after holding back time for the refit of the best configuration so far (see 4), and
   interrupts a fit that runs past that time (SIGALRM; in the main thread only, and a
   long single C call, e.g. a kernel SVM, runs to its end first).
4. Refit. The best configuration (by its score on the largest rung it reached; see
   ``_incumbent``) is refitted on all rows. The search holds back the predicted refit
   time, but at most a quarter of the budget; when a refit on all rows is predicted not
   to end by the budget + 10 %, the winner is refitted on the largest stratified sample
   predicted to fit, and when that is no larger than a CV fold (or the refit runs out of
   time), the model of its last CV fold is kept. ``SearchResult.refit`` says which.
5. Local search. The grid of the meta-dataset is coarse (e.g. C in powers of ten), so
   when the whole ranking has been raced and time is left, the search steps off the
   grid around the best configurations: a random untried neighbour (one tunable
   parameter up or down by half a decade, see ``learners.neighbours``) of the best of the
   top three that has one, cross-validated on the same rung as its centre. A better
   neighbour becomes the next centre. It ends with the budget or when the top three
   have no untried neighbour.

The first evaluation always runs (the cheapest predicted candidate if none fits), so a
result exists even under a budget that the meta-features alone exhaust. Under the same
``random_state`` and a budget that is not reached (e.g. with ``max_configs``), the
search evaluates the same configurations on the same folds and returns the same result.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import AutometaError, BadInputError
from autometa.fitting import FitTimeout, cross_validate, quiet, time_limit
from autometa.learners import LearnerConfig, build_pipeline, get_config, neighbours, root_id
from autometa.metrics import get_metric
from autometa.recommend import Recommendation
from autometa.tabular import Task, stratified_subsample

__all__ = ["SearchError", "SearchEvent", "SearchResult", "search"]

log = logging.getLogger(__name__)

MIN_SECONDS = 0.05  # less time than this left: stop evaluating
REFIT_SLACK = 0.10  # the refit may end up to 10 % of the budget late
RESERVE_SHARE = 0.25  # at most this share of the budget is held back for the refit
N_CENTRES = 3  # local search steps around the best this many configurations


class SearchError(AutometaError):
    """No configuration could be fitted on the data."""


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
class SearchResult:
    """Outcome of :func:`search`.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per evaluation: first every configuration's evaluation on the largest
        rung it reached (``final``), best score first, then the others. config_id,
        family, params, rank (in the recommendation), rung, n_rows, score (mean CV value
        of the metric; log loss is negated so that larger is better), score_std,
        fit_seconds (mean per fold), seconds (the whole evaluation), status ("ok",
        "timeout", "error", "skipped"), message, final.
    best_config : str
    best_score : float
        Its score on the largest rung it reached.
    pipeline : Pipeline
        The best configuration, fitted (see ``refit``).
    refit : str
        "all rows", "M of N rows" (a stratified sample: all rows were predicted not to fit
        the budget) or "last CV fold".
    seconds : float
        Wall-clock seconds from the search's start, including the refit.
    """

    leaderboard: pd.DataFrame
    best_config: str
    best_score: float
    pipeline: Any
    refit: str
    seconds: float


@dataclass
class _State:
    """Book-keeping shared by the steps of one search."""

    task: Task
    metric: str
    cv: int
    deadline: float
    budget: float
    start: float
    n_jobs: int
    random_state: int
    rec: Recommendation
    rows_log_slope: dict[str, float]
    callback: Callable[[SearchEvent], None] | None
    records: list[dict[str, Any]] = field(default_factory=list)
    log_ratios: list[float] = field(default_factory=list)
    # config -> (rows, mean fold fit seconds) of its largest evaluated rung
    measured: dict[str, tuple[int, float]] = field(default_factory=dict)
    fold_models: dict[str, Any] = field(default_factory=dict)
    # off-grid configuration made by the local search -> (parent id, cost ratio)
    parents: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def ranks(self) -> dict[str, int]:
        """config_id -> rank in the recommendation (built once)."""
        if not hasattr(self, "_ranks"):
            r = self.rec.ranking
            self._ranks = dict(zip(r["config_id"], r["rank"], strict=True))
        return self._ranks

    @property
    def factor(self) -> float:
        """Measured / predicted fit time on this machine (geometric mean; 1 before data)."""
        return float(np.exp(np.mean(self.log_ratios))) if self.log_ratios else 1.0

    def fit_seconds(self, config: str, rows: float) -> float:
        """Predicted seconds of one fit on ``rows`` rows (upper estimate)."""
        if config in self.measured:
            m_rows, m_sec = self.measured[config]
            exponent = max(
                float(self.rec.knowledge.fit_time.min_exponent_[root_id(config)]),  # type: ignore[union-attr]
                self.rows_log_slope.get(root_id(config), 1.0),
            )
            return m_sec * max(rows / m_rows, 1.0) ** exponent
        if config in self.parents:  # an untried neighbour: its parent's time, scaled
            parent, cost = self.parents[config]
            return self.fit_seconds(parent, rows) * cost
        pred = self.rec.knowledge.fit_time.predict(  # type: ignore[union-attr]
            rows, self.task.X.shape[1], self.task.n_classes, upper=True
        )
        return float(pred[config]) * self.factor

    def eval_seconds(self, config: str, rows: int) -> float:
        folds = min(self.cv, rows)
        # fits on (folds - 1) / folds of the rows, plus about a third more for predicting
        return 1.3 * folds * self.fit_seconds(config, rows * (folds - 1) / folds)

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def spare(self) -> float:
        """Seconds left after reserving the refit of the current best configuration."""
        best = _incumbent(self, strict=False).get("config_id")
        reserve = self.fit_seconds(best, len(self.task.y)) if best else 0.0
        # At most a share of the budget is held back: a slow winner is then refitted on
        # the largest sample that fits (see _refit) rather than stopping the search early.
        return self.left() - min(reserve, RESERVE_SHARE * self.budget)


def search(
    task: Task,
    recommendation: Recommendation,
    *,
    time_budget: float,
    metric: str = "accuracy",
    top_k: int = 5,
    n_portfolio: int = 3,
    cv: int = 3,
    eta: int = 3,
    min_rows: int = 500,
    max_configs: int | None = None,
    local_search: bool = True,
    n_jobs: int = 1,
    random_state: int = 0,
    start: float | None = None,
    callback: Callable[[SearchEvent], None] | None = None,
) -> SearchResult:
    """Race the recommended configurations on ``task`` within ``time_budget`` seconds.

    Parameters
    ----------
    task : Task
        The user's validated data.
    recommendation : Recommendation
        From :func:`autometa.recommend` (carries the timing model).
    time_budget : float
        Wall-clock seconds for the whole search, counted from ``start``.
    metric : str
        "accuracy", "balanced_accuracy", "roc_auc" or "log_loss".
    top_k, n_portfolio : int
        Configurations per bracket from the ranking and from the portfolio.
    cv, eta, min_rows : int
        Folds per evaluation; halving rate; smallest rung size.
    max_configs : int, optional
        Stop after evaluating this many configurations.
    local_search : bool
        Step off the grid around the best configurations (see 5. above).
    n_jobs : int
        BLAS / OpenMP threads per fit.
    random_state : int
        Seeds subsamples, folds and the learners.
    start : float, optional
        ``time.perf_counter()`` when the budget started (default: now); lets a caller
        count its own preparation, e.g. meta-features, against the budget.
    callback : callable, optional
        Called with a :class:`SearchEvent` after each evaluation.

    Returns
    -------
    SearchResult
    """
    if not time_budget > 0:
        raise BadInputError(
            f"time_budget must be a positive number of seconds; got {time_budget!r}."
        )
    if recommendation.knowledge is None:
        raise BadInputError("The recommendation carries no timing model; use autometa.recommend.")
    get_metric(metric, "classification")
    start = time.perf_counter() if start is None else start
    coef = recommendation.knowledge.fit_time.coef_["log_rows"]
    state = _State(
        task, metric, cv, start + time_budget, float(time_budget), start, n_jobs, random_state,
        recommendation, {str(c): float(v) for c, v in coef.items()}, callback,
    )  # fmt: skip
    n = len(task.y)
    sizes = [n]
    while len(sizes) < 3 and sizes[0] / eta >= min_rows:
        sizes.insert(0, int(sizes[0] / eta))
    samples = [
        np.arange(n) if s == n else stratified_subsample(task.y.to_numpy(), s, random_state, cv)
        for s in sizes
    ]
    queue = _brackets(recommendation, top_k, n_portfolio)
    evaluated = 0
    limit = max_configs if max_configs is not None else math.inf
    local = limit if local_search else 0
    for bracket in queue:
        bracket = bracket[: max(int(min(limit - evaluated, len(bracket))), 0)]
        if not bracket or state.spare() < MIN_SECONDS:
            break
        evaluated += _run_bracket(state, bracket, samples, eta)
    # Only once the ranking is exhausted: a trial that gave local search as much time as
    # each bracket took spent it around an early, slow incumbent (Hill_Valley: random
    # forests) instead of reaching the cheap linear models further down the ranking.
    evaluated += _local_search(state, samples, local - evaluated)
    top = _incumbent(state)
    pipeline, refit = _refit(state, top["config_id"])
    # Each configuration's final record in incumbent order, then the earlier rungs and the
    # failures (best first, failures last).
    final = _ranked(state)
    final_ids = {id(r) for r in final}
    rest = pd.DataFrame([r for r in state.records if id(r) not in final_ids])
    if not rest.empty:
        rest = rest.sort_values(["score", "rung"], ascending=False, kind="stable")
    board = pd.concat([pd.DataFrame(final).assign(final=True), rest.assign(final=False)])
    return SearchResult(
        board.reset_index(drop=True),
        top["config_id"],
        float(top["score"]),
        pipeline,
        refit,
        time.perf_counter() - start,
    )


def _brackets(rec: Recommendation, top_k: int, n_portfolio: int) -> list[list[str]]:
    """The ranking cut into brackets; the first also takes the portfolio's head."""
    ranking = list(rec.ranking["config_id"])
    portfolio = rec.knowledge.portfolio if rec.knowledge is not None else []
    first = ranking[:top_k]
    first += [c for c in portfolio if c not in first][:n_portfolio]
    rest = [c for c in ranking if c not in first]
    size = top_k + n_portfolio
    return [first] + [rest[i : i + size] for i in range(0, len(rest), size)]


def _run_bracket(state: _State, bracket: list[str], samples: list[np.ndarray], eta: int) -> int:
    """Successive halving over the rungs; returns how many configurations were evaluated."""
    alive = list(bracket)
    evaluated = 0
    for rung, rows in enumerate(samples):
        scores: dict[str, float] = {}
        if not any(r["status"] == "ok" for r in state.records):
            # Nothing fitted yet: what is predicted to fit first (in ranking order), then
            # the rest from the cheapest, so that the one forced evaluation is cheap.
            n = len(state.task.y)
            cost = {c: state.eval_seconds(c, len(rows)) + state.fit_seconds(c, n) for c in alive}
            fits = [c for c in alive if cost[c] <= state.left()]
            alive = fits + sorted((c for c in alive if c not in fits), key=cost.__getitem__)
        for config in alive:
            if state.spare() < MIN_SECONDS and state.records:
                break
            record = _evaluate(state, config, rung, rows)
            evaluated += rung == 0 and record["status"] != "skipped"
            if record["status"] == "ok":
                scores[config] = record["score"]
        if not scores or rung == len(samples) - 1:
            break
        keep = max(1, math.ceil(len(scores) / eta))
        alive = sorted(scores, key=lambda c: -scores[c])[:keep]
    return evaluated


def _local_search(state: _State, samples: list[np.ndarray], limit: float) -> int:
    """Evaluate untried neighbours of the best configurations while time is left.

    Returns how many were evaluated (skipped ones do not count).
    """
    evaluated = 0
    rng = np.random.default_rng([state.random_state, len(state.records)])
    while evaluated < limit and state.spare() >= MIN_SECONDS:
        # By family and params: lr_04[C=31.6] and lr_05[C=31.6] are one point.
        tried = {(r["family"], r["params"]) for r in state.records}
        centres = _ranked(state)
        options: list[tuple[LearnerConfig, float]] = []
        for centre in centres[:N_CENTRES]:
            options = [
                (c, cost)
                for c, cost in neighbours(get_config(centre["config_id"]))
                if (c.family, c.params_json) not in tried
            ]
            if options:
                break
        if not options:
            break
        config, cost = options[int(rng.integers(len(options)))]
        state.parents[config.config_id] = (centre["config_id"], cost)
        rung = centre["rung"]
        record = _evaluate(state, config.config_id, rung, samples[rung])
        evaluated += record["status"] != "skipped"
    return evaluated


def _evaluate(state: _State, config: str, rung: int, rows: np.ndarray) -> dict[str, Any]:
    task = state.task
    info = get_config(config)
    record: dict[str, Any] = {
        "config_id": config, "family": info.family, "params": info.params_json,
        "rank": int(state.ranks.get(config, -1)), "rung": rung, "n_rows": len(rows),
        "score": float("nan"), "score_std": float("nan"), "fit_seconds": float("nan"),
        "seconds": 0.0, "status": "ok", "message": "",
    }  # fmt: skip
    predicted = state.eval_seconds(config, len(rows))
    allowed = state.spare()
    if predicted > allowed and any(r["status"] == "ok" for r in state.records):
        record.update(
            status="skipped", message=f"predicted {predicted:.1f} s, {max(allowed, 0):.1f} s left"
        )
        state.records.append(record)
        return record
    t0 = time.perf_counter()
    try:
        # The forced first evaluation (nothing fitted yet) runs without a limit.
        first = not any(r["status"] == "ok" for r in state.records)
        limit = 1e6 if first else max(allowed, 0.05)
        values, fit_times, model = _cross_validate(state, config, task.subset(rows), limit)
        record.update(
            score=float(np.mean(values)), score_std=float(np.std(values)),
            fit_seconds=float(np.mean(fit_times)),
        )  # fmt: skip
        _learn_speed(state, config, len(rows), float(np.mean(fit_times)))
        state.fold_models[config] = model
    except FitTimeout as exc:
        record.update(status="timeout", message=str(exc))
    except Exception as exc:  # one configuration failing must not end the search
        record.update(status="error", message=f"{type(exc).__name__}: {exc}"[:300])
    record["seconds"] = time.perf_counter() - t0
    state.records.append(record)
    if state.callback is not None:
        top = _incumbent(state, strict=False)
        state.callback(SearchEvent(
            time.perf_counter() - state.start, state.budget, config, rung, len(rows),
            record["status"], record["score"], top.get("config_id"), top.get("score", float("nan")),
            sum(r["status"] != "skipped" for r in state.records),
        ))  # fmt: skip
    return record


def _cross_validate(
    state: _State, config: str, task: Task, seconds: float
) -> tuple[list[float], list[float], Any]:
    folds = int(min(state.cv, task.y.value_counts().min()))
    metric = get_metric(state.metric)
    results = cross_validate(
        get_config(config), task, folds,
        seconds=seconds, random_state=state.random_state, n_threads=state.n_jobs,
    )  # fmt: skip
    values = [metric.oriented(r.parts[0][metric.name]) for r in results]
    if any(math.isnan(v) for v in values):
        raise BadInputError(f"{metric.name} needs class probabilities; this learner has none.")
    return values, [r.fit_seconds for r in results], results[-1].model


def _learn_speed(state: _State, config: str, rows: int, fit_seconds: float) -> None:
    folds = min(state.cv, rows)
    train_rows = rows * (folds - 1) / folds
    if config not in state.measured and config not in state.parents:
        # compare with the timing model once per grid configuration
        predicted = state.rec.knowledge.fit_time.predict(  # type: ignore[union-attr]
            train_rows, state.task.X.shape[1], state.task.n_classes, upper=True
        )[config]
        state.log_ratios.append(math.log(max(fit_seconds, 1e-4) / max(float(predicted), 1e-4)))
    state.measured[config] = (int(train_rows), fit_seconds)


def _latest(state: _State) -> dict[str, dict[str, Any]]:
    """Each configuration's successful record on the largest rung it reached."""
    latest: dict[str, dict[str, Any]] = {}
    for r in state.records:
        if r["status"] == "ok" and (
            r["config_id"] not in latest or r["rung"] > latest[r["config_id"]]["rung"]
        ):
            latest[r["config_id"]] = r
    return latest


def _incumbent(state: _State, strict: bool = True) -> dict[str, Any]:
    """Best configuration by its score on the largest rung it reached.

    A score on a smaller sample is a pessimistic estimate (learning curves rise), so a
    configuration that beats the others on a small rung is not overruled by a weaker one
    that happened to be promoted further. Ties: see :func:`_ranked`, which also orders
    the leaderboard.
    """
    ok = [r for r in state.records if r["status"] == "ok"]
    if not ok:
        if strict:
            reasons = "; ".join(f"{r['config_id']}: {r['message']}" for r in state.records[:5])
            raise SearchError(f"No configuration could be fitted within the budget ({reasons}).")
        return {}
    return _ranked(state)[0]


def _ranked(state: _State) -> list[dict[str, Any]]:
    """Each configuration's latest record (see :func:`_latest`), in leaderboard order.

    Best score first; ties (accuracy on a few thousand rows ties often) go to the larger
    rung, then to the record evaluated first, which on a promoted rung is the one that did
    better on the smaller sample. Deterministic under a seed, unlike fit times.
    """
    position = {id(r): i for i, r in enumerate(state.records)}
    return sorted(_latest(state).values(), key=lambda r: (-r["score"], -r["rung"], position[id(r)]))


def _refit(state: _State, config: str) -> tuple[Any, str]:
    """Fit the winner on all rows, or on the largest stratified sample predicted to fit."""
    task = state.task
    n = len(task.y)
    allowed = state.left() + REFIT_SLACK * state.budget
    fold_rows = state.measured.get(config, (0, 0.0))[0]
    rows = n
    if state.fit_seconds(config, n) > allowed:
        lo, hi = fold_rows, n  # fit time grows with rows: bisect for the largest that fits
        while hi - lo > max(n // 100, 1):
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if state.fit_seconds(config, mid) <= allowed else (lo, mid)
        rows = lo
    if rows <= fold_rows and config in state.fold_models:
        log.info("no refit of %s fits the time left; keeping its CV fold model", config)
        return state.fold_models[config], "last CV fold"
    sub = (
        task
        if rows == n
        else task.subset(stratified_subsample(task.y.to_numpy(), rows, state.random_state, 1))
    )
    pipe = build_pipeline(
        get_config(config), task.numeric_columns, task.categorical_columns, state.random_state
    )
    try:
        with quiet(state.n_jobs), time_limit(max(allowed, 0.5)):
            pipe.fit(sub.X, sub.y.to_numpy())
    except FitTimeout:
        return state.fold_models[config], "last CV fold"
    return pipe, "all rows" if rows == n else f"{rows} of {n} rows"
