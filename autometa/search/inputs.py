"""What the search is handed, and all it knows of the world beyond the user's data:
proposals (configuration ids in order), costs (a timing model) and, optionally, curves (a
learning-curve predictor). Small and plain: whoever calls the search builds them, and a
worker of a parallel search needs nothing else.
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
    """Predicted seconds of one fit of each configuration, from the table's shape."""

    def predict(
        self, rows: float, n_features: int, n_classes: int, upper: bool = False
    ) -> pd.Series:
        """config_id -> predicted seconds of one fit on ``rows`` rows."""
        ...

    def exponents(self) -> pd.Series:
        """config_id -> how fit time grows with rows (seconds ~ rows ** exponent)."""
        ...


class CurvePredictor(Protocol):
    """Each configuration's predicted score on this table when trained on ``rows`` rows:
    the learning curves that ``SearchSettings.curve_halving`` promotes by."""

    def scores_at(self, rows: int) -> pd.Series:
        """config_id -> predicted score, on a scale shared by the configurations (mean 0,
        spread 1 across them: ``halving.promotion_scores`` scales the change by the spread
        of the observed scores)."""
        ...
