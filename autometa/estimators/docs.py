"""The estimators' shared docstring: their parameters and attributes, written once."""

from __future__ import annotations

from autometa.space.metrics import PRIMARY, metric_names
from autometa.table.targets import TaskKind

__all__ = ["docstring"]

_PARAMETERS = """
    Parameters
    ----------
    time_budget : float
        Wall-clock seconds for the whole ``fit`` (meta-features, search and refit; the
        refit may end up to 10 % late).
    top_k : int
        Recommended configurations per bracket of the search.
    metric : str, optional
        A metric of the registry for the task kind ({metrics}); default {default}.
    cv : int
        Cross-validation folds of each evaluation.
    n_portfolio : int
        Portfolio configurations added to the first bracket.
    max_configs : int, optional
        Evaluate at most this many configurations (then the result does not depend on
        the machine's speed).
    n_jobs : int
        Evaluations at once: 1 in this process; ``n > 1`` in ``n`` worker processes that
        each hold the data; -1 one per core. The final fit uses as many threads.
    scheduler : str, optional
        A Dask scheduler's address ("tcp://host:8786"): the evaluations run on its
        cluster (as many at once as it has threads); checked before any work.
    inf_as_missing : bool
        Treat infinite feature values as missing instead of an error.
    expand_dates : bool
        Use a date column (datetime values, or text that parses as dates) as its year,
        month, day and weekday; by default it is dropped (``load_table``'s rule 2). New
        rows are expanded the same way at ``predict``.
    knowledge : Knowledge, optional
        Meta-model and timing model; default the shipped ones of the metric.
    random_state : int, optional
        Seeds meta-features, subsamples, folds and learners (None: a fresh seed).
    callback : callable, optional
        Receives a :class:`autometa.search.SearchEvent` after each evaluation.
    ensemble : bool, optional
        Ensemble the configurations evaluated on the winner's rung (greedy ensemble
        selection on out-of-fold predictions) when that beats the best single one. None:
        the task kind's default, ``ENSEMBLE_DEFAULT`` (decided for each kind by its
        time-to-accuracy benchmark and the rule written in README.md, "Ensembles").
    curve_halving : bool, optional
        Promote between the search's rungs by scores corrected with the meta-model's
        predicted learning curves (``search/halving.py``). None: the task kind's default,
        ``CURVE_HALVING_DEFAULT`` (decided by the time-to-accuracy benchmark and the rule
        written in README.md).
    optimizer : str
        What proposes configurations past the grid: "local" (neighbour steps once the
        ranking is raced), "tpe" (Optuna's TPE) or "flow2" (FLAML's CFO-style local
        search), see ``search/optimizer.py``.
"""

_ATTRIBUTES = """
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when X had string column names)
    metric_ : str
        The metric searched (``metric`` or the task kind's default).
    settings_ : SearchSettings
        What the search was asked (defaults resolved: the metric, the ensemble, the seed).
    recommendation_ : Recommendation
    result_ : SearchResult
        What the search returned; the attributes below up to ``interrupted_`` read it.
    leaderboard_ : DataFrame
        One row per evaluation, best first (see ``SearchResult``).
    trajectory_ : DataFrame
        The search as it went: one row per evaluation in order, with the incumbent after
        it (see ``SearchResult``).
    best_config_ : str
        A grid id (``hgb_08``) or, found by the local search, an off-grid one
        (``hgb_08[max_iter=316]``); ``autometa.space.learners.get_config`` reads either.
    best_score_ : float
        Cross-validated score of ``best_config_`` on the largest rung it reached (larger is
        better: a loss or error is negated).
    refit_ : str
        What the final model was fitted on: "all rows", "M of N rows", "last CV fold" or
        "fallback: M of N rows, not validated" (see :func:`autometa.search.search`).
    ensemble_ : DataFrame
        The ensemble's members (config_id, weight, fitted_on) when the search ensembles
        (see ``ensemble``) and an ensemble beat the best single configuration; empty otherwise (``pipeline_`` is then
        the ensemble).
    table_ : dict
        The table fitted on: name, rows, columns, column kinds, dropped columns with their
        reason, and the target's summary (for ``report``).
    fallback_ : bool
        True when nothing could be evaluated within the budget: the model is the cheapest
        recommended configuration fitted without validation (an AutometaWarning says so).
    interrupted_ : bool
        True when Ctrl-C (a KeyboardInterrupt) stopped the search early: the model is the
        best of what had been evaluated (an AutometaWarning says so). A Ctrl-C before any
        successful evaluation, or during the final refit, interrupts ``fit`` as usual.
    schema_ : InputSchema
    fit_seconds_ : float
"""


def docstring(summary: str, kind: TaskKind, extra_attributes: str) -> str:
    """A subclass's docstring: its summary, the shared parameters and attributes."""
    metrics = ", ".join(f'"{m}"' for m in metric_names(kind))
    return (
        summary
        + _PARAMETERS.format(metrics=metrics, default=f'"{PRIMARY[kind]}"')
        + "\n    Attributes\n    ----------"
        + extra_attributes
        + _ATTRIBUTES
    )
