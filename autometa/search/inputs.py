"""What the search is handed: proposals in order, a timing model, and optionally a
learning-curve predictor. Small and plain, so that the search never needs the meta-model
(and a worker of a parallel search needs none of it): the estimator builds them from a
recommendation (``autometa.estimators.base.search_inputs``), a benchmark from any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from autometa.exceptions import BadInputError

__all__ = ["CurvePredictor", "Proposals", "TimingModel"]


@dataclass(frozen=True)
class Proposals:
    """The configurations to race, in order.

    Attributes
    ----------
    ranking : tuple of str
        Configuration ids, best first: the order of the brackets (``halving.brackets``).
    portfolio : tuple of str
        A dataset-independent order, best first: its head joins the first bracket (a
        safety net when the ranking is wrong) and the fallback's candidates. May be empty.
    """

    ranking: tuple[str, ...]
    portfolio: tuple[str, ...] = ()
    _ranks: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.ranking:
            raise BadInputError("The search needs at least one configuration to propose.")
        if len(set(self.ranking)) != len(self.ranking):
            raise BadInputError("The proposals name a configuration twice.")
        object.__setattr__(self, "_ranks", {c: i + 1 for i, c in enumerate(self.ranking)})

    def rank(self, config_id: str) -> int:
        """1 for the first of ``ranking``; -1 for a configuration outside it (an off-grid
        point, a portfolio configuration the ranking lacks)."""
        return self._ranks.get(config_id, -1)


class TimingModel(Protocol):
    """Predicts seconds of one fit per configuration (``autometa.selectors.fit_time.FitTimeModel``)."""

    def predict(
        self, rows: float, n_features: int, n_classes: int, upper: bool = False
    ) -> pd.Series:
        """config_id -> predicted seconds of one fit on ``rows`` rows."""
        ...

    def exponents(self) -> pd.Series:
        """config_id -> how fit time grows with rows (seconds ~ rows ** exponent)."""
        ...


class CurvePredictor(Protocol):
    """Predicts each configuration's score on this table when trained on ``rows`` rows
    (``autometa.selectors.recommend.Recommendation.scores_at``): the learning curves that
    ``SearchSettings.curve_halving`` promotes by."""

    def scores_at(self, rows: int) -> pd.Series:
        """config_id -> predicted score (standardised across configurations), best first."""
        ...
