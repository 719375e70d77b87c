"""Warm-started successive halving under a wall-clock budget.

One idea per module: ``inputs`` (what it is handed: proposals, a timing model, a curve
predictor), ``settings`` (what is asked), ``records`` (what is known, the order that picks
the incumbent, the trajectory), ``cost`` (how long things take), ``halving`` (brackets and
rungs), ``racing`` (the brackets kept running on every worker), ``workers`` (where
evaluations run: this process or worker processes), ``local`` (steps off the grid),
``optimizer`` (proposals past the grid: TPE or FLOW2),
``refit`` (the final fit), ``ensemble`` (ensemble selection), ``state`` (the shared
book-keeping and the evaluation step).

The search knows proposals, costs and curves (``inputs``), nothing of where they come
from: an order of configurations and a portfolio (``Proposals``), a timing model and,
for curve halving, a learning-curve predictor. It races configurations on the user's
data:

1. Brackets. The first bracket holds the top ``top_k`` proposed configurations plus
   ``n_portfolio`` from the dataset-independent portfolio (a safety net when the
   proposed order is wrong); each later bracket holds the next ``top_k + n_portfolio``
   configurations of the ranking. Brackets run until the budget or the ranking runs out.
2. Rungs. Within a bracket, every configuration is cross-validated (``cv`` stratified
   folds) on a stratified subsample; the best ``1 / eta`` move on to a sample ``eta``
   times larger, up to all rows. Tables of at most ``eta * min_rows`` rows have one rung,
   the others up to three (``halving.MAX_FIRST_ROWS`` can add smaller ones below on big
   tables; off by default, see ``halving.rungs``).
3. Planning. Before each evaluation the search predicts its cost, fitting and predicting
   (``cost.py``): from the cost models (``inputs.Costs``) scaled by a machine factor it
   measures as it goes, or from the configuration's own times on the previous rung scaled
   by rows (exponent at least 1; 2 for kernel SVMs). It skips configurations predicted to
   take more memory than the machine has free (``MEMORY_SHARE``, with a memory model),
   and configurations predicted not to finish in the time left
   after holding back time for the refit of the best configuration so far (see 4), and
   interrupts a fit that runs past that time (``fitting.fit_within``: an alarm in a main
   thread, where a long single C call, e.g. a kernel SVM solve, runs to its end first; a
   worker process killed at the deadline in other threads and without SIGALRM, and for a
   configuration whose fit or prediction is one C call, ``learners.one_call``, from
   ``jobs.KILLED_FROM_ROWS`` rows on: its evaluations and its final fit). With
   ``n_jobs > 1`` the evaluations run in worker processes (``workers``), ``n_jobs`` at
   once (``racing``: later brackets start while an earlier one waits for its rung), and
   an evaluation still running at its limit has its worker killed, a prediction in one
   long C call too.
4. Final choice and refit. Configurations are compared on equal footing, on the rows of
   the largest rung that at least two of them reached, best score there first; the ones
   that did not reach it follow, larger rungs first (``records.ranked``); a
   configuration whose largest attempt failed or timed out has lost its claim. The best
   is refitted on all rows. The search holds back the predicted refit time, but at most a
   quarter of the budget; when a refit on all rows is predicted not to end by the budget +
   10 % (less a margin of 2 % for the fit to stop and the work after it: refit.py), the
   winner is refitted on the largest stratified sample predicted to fit, and when that is
   no larger than a CV fold (or the refit runs out of time), the model of its last CV fold
   is kept. ``SearchResult.refit`` says which. A refit that fails passes the
   turn to the next configuration (the failure is a "refit_error" row of the
   leaderboard). When nothing could be evaluated within the budget, the cheapest of the
   proposed head is fitted on the largest sample predicted to fit, without validation
   (``SearchResult.fallback``, and a warning): every budget gives a model.
5. Past the grid. The grid of the meta-dataset is coarse (e.g. C in powers of ten). With
   ``optimizer="local"``, when the whole ranking has been raced and time is left, the
   search steps off the grid around the best configurations: a random untried neighbour
   (one tunable parameter up or down by half a decade, see ``learners.neighbours``) of
   the best of the top three that has one, cross-validated on the same rung as its
   centre. A better neighbour becomes the next centre. It ends with the budget or when
   the top three have no untried neighbour. With ``optimizer="tpe"`` or ``"flow2"``, an
   optimizer fills every other bracket from the third on with new points of the best
   families' continuous spaces (``optimizer.py``), raced like the ranking's.

Ctrl-C (a KeyboardInterrupt) during the racing stops it and goes on to 4 with what was
evaluated (``SearchResult.interrupted``, and a warning), so a long search interrupted by
its user still ends in the best model found so far; before any successful evaluation it
is not caught.

Until something has been evaluated, the configurations predicted to fit go first (in
ranking order), then the rest from the cheapest, each stopped at the deadline; when
nothing could be evaluated (the meta-features alone may exhaust a tiny budget), the
fallback above applies. Under the same
``random_state`` and a budget that is not reached (e.g. with ``max_configs``), the
search evaluates the same configurations on the same folds and returns the same result,
for any ``n_jobs``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import AutometaWarning
from autometa.interrupts import noted_interrupts
from autometa.search.cluster import dask_executor
from autometa.search.cost import CostModel
from autometa.search.halving import rungs
from autometa.search.inputs import Costs, CurvePredictor, Proposals, TimingModel
from autometa.search.racing import race
from autometa.search.records import SearchError, Status, leaderboard, trajectory
from autometa.search.refit import final_fit, fit_ensemble
from autometa.search.settings import SearchSettings
from autometa.search.state import SearchEvent, State
from autometa.search.workers import make_executor
from autometa.space.fitting import discard_worker
from autometa.table.tabular import Task

__all__ = [
    "Costs",
    "CurvePredictor",
    "Proposals",
    "SearchError",
    "SearchEvent",
    "SearchResult",
    "SearchSettings",
    "Status",
    "TimingModel",
    "search",
]


@dataclass
class SearchResult:
    """Outcome of :func:`search`.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per evaluation (and per failed final fit): first each configuration's
        claim (``final``: its evaluation on the largest rung it tried, in the order of
        ``records.ranked``), then the others. config_id, family, params, rank (in the
        proposals), rung, n_rows, score (mean CV value of the metric; log loss is
        negated so that larger is better), score_std, fit_seconds (mean per fold), seconds
        (the whole evaluation), status (text of ``records.Status``), message, finished
        (seconds from the search's start), final,
        ensemble_weight (the weight of a member's row in the ensemble, else 0).
    trajectory : DataFrame
        The search as it went, one row per record in order, with the incumbent after it
        (``records.trajectory``): what a report or a progress display replays.
    best_config : str
    best_score : float
        Its score on the largest rung it reached.
    pipeline : Pipeline
        The best configuration, fitted (see ``refit``).
    refit : str
        "all rows", "M of N rows" (a stratified sample: all rows were predicted not to fit
        the budget), "last CV fold", or "fallback: M of N rows, not validated".
    seconds : float
        Wall-clock seconds from the search's start, including the refit.
    fallback : bool
        True when nothing could be evaluated within the budget and the model is the
        fallback (see ``refit.fallback``; a warning says so too).
    ensemble : list of dict
        With ``settings.ensemble`` and an ensemble that beat the winner: its members
        (config_id, weight, fitted_on: "all rows" or "k CV fold models"); ``pipeline`` is
        then the :class:`~autometa.search.ensemble.EnsembleModel`. Empty otherwise.
    oof : DataFrame, optional
        The winner's out-of-fold predictions on its rung: row (position in the table), y,
        then one probability column per class (one-hot labels for a learner without
        probabilities), or for regression one column "prediction"; None for the fallback
        model.
    interrupted : bool
        True when a KeyboardInterrupt (Ctrl-C) stopped the racing before the budget was
        spent: the result is the best of what had been evaluated (an AutometaWarning says
        so). An interrupt before any successful evaluation is not caught.
    phases : dict of str to float
        Where the time went: the seconds from the search's start at which each phase
        ended, in order: "racing" (absent after a Ctrl-C), "workers closed" (the
        executor's workers or the Dask client), "final fit", and "ensemble" when one was
        tried. A run past its budget says here which phase took the time.
    """

    leaderboard: pd.DataFrame
    trajectory: pd.DataFrame
    best_config: str
    best_score: float
    pipeline: Any
    refit: str
    seconds: float
    fallback: bool = False
    ensemble: list[dict[str, Any]] = field(default_factory=list)
    oof: pd.DataFrame | None = None
    interrupted: bool = False
    phases: dict[str, float] = field(default_factory=dict)


def search(
    task: Task,
    proposals: Proposals,
    costs: Costs,
    settings: SearchSettings,
    *,
    curves: CurvePredictor | None = None,
    start: float | None = None,
    callback: Callable[[SearchEvent], None] | None = None,
    client: Any = None,
) -> SearchResult:
    """Race the proposed configurations on ``task`` within ``settings.time_budget``.

    Parameters
    ----------
    task : Task
        The user's validated data.
    proposals : Proposals
        The configurations in order, and a portfolio.
    costs : Costs
        Predicted fit seconds per configuration; optionally predict seconds and memory.
    settings : SearchSettings
        Resolved for the task's kind here (``SearchSettings.resolved``).
    curves : CurvePredictor, optional
        Predicted scores at a number of rows, for ``settings.curve_halving`` (without it,
        promotion is by the observed scores).
    start : float, optional
        ``time.perf_counter()`` when the budget started (default: now); lets a caller
        count its own preparation, e.g. meta-features, against the budget.
    callback : callable, optional
        Called with a :class:`SearchEvent` after each evaluation.
    client : distributed.Client, optional
        Run the evaluations on this Dask cluster (``search/cluster.py``); default: the
        settings' ``scheduler``, else this machine's ``n_jobs`` workers.

    Returns
    -------
    SearchResult
    """
    start = time.perf_counter() if start is None else start
    # The task kind's defaults; a clear error for, e.g., accuracy on a regression task.
    s = settings.resolved(task.kind)
    cost = CostModel(costs, task.X.shape[1], task.n_classes, s.cv)
    state = State(task, s, proposals, start, cost, curves, callback)
    samples = rungs(task.strata, s.eta, s.min_rows, s.cv, s.random_state)
    phases: dict[str, float] = {}

    def ended(phase: str) -> None:
        phases[phase] = round(time.perf_counter() - start, 3)

    try:
        cluster = client if client is not None else s.scheduler
        executing = (
            make_executor(task, s.workers) if cluster is None else dask_executor(task, cluster)
        )
        # The executor's workers end with the race, also on an error or a Ctrl-C.
        with noted_interrupts() as check, executing as executor:
            state.check_interrupt, state.executor = check, executor
            race(state, samples)
            ended("racing")
        interrupted = False
    except KeyboardInterrupt:
        # Ctrl-C stops the racing, not the job: what was evaluated is kept and the best so
        # far is refitted as at the end of the budget (a second Ctrl-C stops that too).
        # With nothing evaluated there is nothing to keep: the interrupt goes on.
        discard_worker()  # a worker process got the Ctrl-C as well
        if not state.any_ok():
            raise
        interrupted = True
        warnings.warn(
            f"Search interrupted after {time.perf_counter() - start:.1f} s of a "
            f"{s.time_budget:g} s budget: the best of the configurations evaluated so far "
            "is refitted.",
            AutometaWarning,
            stacklevel=2,
        )
    ended("workers closed")
    top, pipeline, fitted_on = final_fit(state)
    ended("final fit")
    members: list[dict[str, Any]] = []
    if s.ensemble and top.status == Status.OK:
        built = fit_ensemble(state, top, pipeline, fitted_on, samples)
        ended("ensemble")
        if built is not None:
            pipeline, _ = built
            members = pipeline.describe()
            fitted_on = "ensemble of " + ", ".join(
                f"{m['config_id']} ({m['weight']:.2f}, {m['fitted_on']})" for m in members
            )
    discard_worker(wait=True)  # the worker process of one-call fits (learners.one_call)
    board = leaderboard(state.records)
    weights = {m["config_id"]: m["weight"] for m in members}
    member_row = board["final"] & (board["rung"] == top.rung) & board["config_id"].isin(weights)
    board["ensemble_weight"] = np.where(member_row, board["config_id"].map(weights), 0.0)
    oof = None
    if (top.config_id, top.rung) in state.oof:
        rows = samples[top.rung]
        classes = state.classes
        columns = ["prediction"] if classes is None else list(classes)
        oof = pd.DataFrame(state.oof[top.config_id, top.rung], columns=columns)
        oof.insert(0, "y", task.y.to_numpy()[rows])
        oof.insert(0, "row", rows)
    return SearchResult(
        board, trajectory(state.records), top.config_id, float(top.score), pipeline,
        fitted_on, time.perf_counter() - start, top.status == Status.FALLBACK, members, oof,
        interrupted, phases,
    )  # fmt: skip
