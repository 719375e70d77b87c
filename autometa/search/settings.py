"""What a search is asked to do: one frozen object, built once by the caller."""

from __future__ import annotations

from dataclasses import dataclass

from autometa.exceptions import BadInputError
from autometa.metrics import get_metric

__all__ = ["SearchSettings"]


@dataclass(frozen=True)
class SearchSettings:
    """Settings of :func:`autometa.search.search`.

    Attributes
    ----------
    time_budget : float
        Wall-clock seconds for the whole search, counted from its ``start``.
    metric : str
        A metric of the registry, of the task's kind (checked by ``search``).
    top_k, n_portfolio : int
        Configurations per bracket from the ranking and from the portfolio.
    cv, eta, min_rows : int
        Folds per evaluation; halving rate; smallest rung size.
    max_configs : int, optional
        Stop after evaluating this many configurations.
    local_search : bool
        Step off the grid around the best configurations once the ranking is raced.
    n_jobs : int
        BLAS / OpenMP threads per fit.
    random_state : int
        Seeds subsamples, folds and the learners.
    curve_halving : bool
        Promote between rungs by the score corrected with the meta-model's predicted
        learning curve (``halving.promotion_scores``). Off here; the estimators' default
        is by task kind (``estimator.CURVE_HALVING_DEFAULT``, decided by the
        time-to-accuracy benchmark; ``benchmarks/curve_halving.py`` measures the rule
        offline on the meta-dataset's learning curves).
    ensemble : bool
        Build an ensemble of the configurations evaluated on the winner's rung by greedy
        ensemble selection on their out-of-fold predictions (``search/ensemble.py``) and
        use it when it beats the best single configuration there.
    """

    time_budget: float
    metric: str = "accuracy"
    top_k: int = 5
    n_portfolio: int = 3
    cv: int = 3
    eta: int = 3
    min_rows: int = 500
    max_configs: int | None = None
    local_search: bool = True
    n_jobs: int = 1
    random_state: int = 0
    ensemble: bool = False
    curve_halving: bool = False

    def __post_init__(self) -> None:
        budget = self.time_budget
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget > 0:
            raise BadInputError(
                f"time_budget must be a positive number of seconds; got {self.time_budget!r}."
            )
        get_metric(self.metric)
