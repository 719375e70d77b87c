"""What a search is asked to do: one frozen object, built once by the caller.

This is the one home of the search's defaults: the estimators' parameters default to the
fields here, and the defaults that depend on the task kind (the metric, the ensemble,
curve halving) are filled by :meth:`SearchSettings.resolved`.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, replace

from autometa.exceptions import BadInputError
from autometa.search.optimizer import OPTIMIZERS
from autometa.space.metrics import PRIMARY, get_metric
from autometa.table.targets import TaskKind

__all__ = ["CURVE_HALVING_DEFAULT", "ENSEMBLE_DEFAULT", "SearchSettings"]

#: ``ensemble=None`` by task kind, by README.md's rule (at 30 s, a mean score at least the
#: single model's and more tables won than lost). Regression: True, on
#: benchmarks/results/time_to_accuracy_regression.md. Classification: True, on
#: benchmarks/results/time_to_accuracy.md, where the ensemble and curve halving each
#: passed the rule and then passed it together (the README's rule for the pair).
ENSEMBLE_DEFAULT = {"classification": True, "regression": True}
#: ``curve_halving=None`` by task kind. Classification: True, by the same rules on
#: benchmarks/results/time_to_accuracy.md. Regression: False, not measured (the regression
#: benchmark has no curve-halving run).
CURVE_HALVING_DEFAULT = {"classification": True, "regression": False}


@dataclass(frozen=True)
class SearchSettings:
    """Settings of :func:`autometa.search.search`.

    Attributes
    ----------
    time_budget : float
        Wall-clock seconds for the whole search, counted from its ``start``.
    metric : str, optional
        A metric of the registry, of the task's kind (checked by ``search``). None: the
        task kind's primary metric (``metrics.PRIMARY``).
    top_k, n_portfolio : int
        Configurations per bracket from the ranking and from the portfolio.
    cv, eta, min_rows : int
        Folds per evaluation; halving rate; smallest rung size.
    max_configs : int, optional
        Stop after evaluating this many configurations.
    local_search : bool
        Go past the grid (by ``optimizer``); False: race the ranking's configurations only.
    optimizer : str
        What proposes configurations past the grid (``search/optimizer.py``): "local",
        the neighbour steps around the best once the whole ranking is raced
        (``search/local.py``); "tpe", Optuna's TPE, or "flow2", FLAML's CFO-style local
        search, both filling every other bracket once the ranking's head is raced.
    n_jobs : int
        Evaluations at once: 1 runs them one after another in this process; ``n > 1`` in
        ``n`` worker processes (``search/workers.py``); -1 one per core (-2 all but one,
        as joblib). Each evaluation fits with one BLAS/OpenMP thread; the final fits
        use ``workers`` threads.
    scheduler : str, optional
        The address of a Dask scheduler ("tcp://host:8786"): the evaluations run on its
        cluster, as many at once as it has threads (``search/cluster.py``), and ``n_jobs``
        is the final fits' threads only. None: this machine (``n_jobs``).
    random_state : int
        Seeds subsamples, folds and the learners.
    ensemble : bool, optional
        Build an ensemble of the configurations evaluated on the winner's rung by greedy
        ensemble selection on their out-of-fold predictions (``search/ensemble.py``) and
        use it when it beats the best single configuration there. None: the task kind's
        default, ``ENSEMBLE_DEFAULT``.
    curve_halving : bool, optional
        Promote between rungs by the score corrected with the predicted learning curve
        (``halving.promotion_scores``; needs a curve predictor, else the observed scores
        decide). None: the task kind's default, ``CURVE_HALVING_DEFAULT``
        (``benchmarks/curve_halving.py`` measures the rule offline on the meta-dataset's
        learning curves).
    """

    time_budget: float
    metric: str | None = None
    top_k: int = 5
    n_portfolio: int = 3
    cv: int = 3
    eta: int = 3
    min_rows: int = 500
    max_configs: int | None = None
    local_search: bool = True
    optimizer: str = "local"
    n_jobs: int = 1
    scheduler: str | None = None
    random_state: int = 0
    ensemble: bool | None = None
    curve_halving: bool | None = None

    def __post_init__(self) -> None:
        budget = self.time_budget
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget > 0:
            raise BadInputError(
                f"time_budget must be a positive number of seconds; got {self.time_budget!r}."
            )
        if self.metric is not None:
            get_metric(self.metric)
        if self.scheduler is not None and not isinstance(self.scheduler, str):
            raise BadInputError(
                f"scheduler must be a Dask scheduler's address such as 'tcp://host:8786'; "
                f"got {self.scheduler!r} (pass a distributed.Client to search(client=...))."
            )
        if self.optimizer not in OPTIMIZERS:
            raise BadInputError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}."
            )
        if self.optimizer == "tpe" and importlib.util.find_spec("optuna") is None:
            raise BadInputError("optimizer='tpe' needs Optuna: pip install optuna.")
        n_jobs = self.n_jobs
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
            raise BadInputError(
                f"n_jobs must be a positive integer, or -1 for all cores; got {n_jobs!r}."
            )

    def resolved(self, kind: TaskKind) -> SearchSettings:
        """These settings with the task kind's defaults filled in (the metric, the ensemble,
        curve halving); a clear error for a metric of another task kind."""
        return replace(
            self,
            metric=get_metric(self.metric or PRIMARY[kind], kind).name,
            ensemble=ENSEMBLE_DEFAULT[kind] if self.ensemble is None else self.ensemble,
            curve_halving=(
                CURVE_HALVING_DEFAULT[kind] if self.curve_halving is None else self.curve_halving
            ),
        )

    @property
    def workers(self) -> int:
        """The number of evaluations at once that ``n_jobs`` asks for on this machine."""
        cores = os.cpu_count() or 1
        return self.n_jobs if self.n_jobs > 0 else max(cores + 1 + self.n_jobs, 1)

    @property
    def metric_name(self) -> str:
        """The metric, once resolved (:meth:`resolved`)."""
        if self.metric is None:
            raise BadInputError("These settings are not resolved for a task kind yet.")
        return self.metric
