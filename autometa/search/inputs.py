"""What the search is handed, and all it knows of the world beyond the user's data:
proposals (configuration ids in order), costs (models of fit seconds and, optionally,
predict seconds and peak memory) and, optionally, curves (a learning-curve predictor). Small and plain: whoever calls the search builds them, and a
worker of a parallel search needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from autometa.exceptions import BadInputError

__all__ = ["Costs", "CurvePredictor", "Proposals", "TimingModel"]


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
    """A predicted cost of each configuration trained on a number of rows, from the
    table's shape: the seconds of one fit, the seconds of predicting 1,000 rows, or the
    MiB of memory one fit takes (see :class:`Costs`)."""

    def predict(
        self, rows: float, n_features: int, n_classes: int, upper: bool = False
    ) -> pd.Series:
        """config_id -> the predicted cost when trained on ``rows`` rows (``upper``: a
        high estimate, which the search plans its time with)."""
        ...

    def exponents(self) -> pd.Series:
        """config_id -> how the cost grows with rows (cost ~ rows ** exponent)."""
        ...


@dataclass(frozen=True)
class Costs:
    """What the search can know of a configuration's costs before running it.

    Attributes
    ----------
    fit : TimingModel
        Seconds of one fit.
    predict : TimingModel, optional
        Seconds of predicting 1,000 rows, by the rows trained on (a k-NN spends its time
        there). Without it, predicting is taken as 30 % of the fit.
    memory : TimingModel, optional
        MiB of memory one fit takes. Without it, no configuration is skipped for memory.
    """

    fit: TimingModel
    predict: TimingModel | None = None
    memory: TimingModel | None = None


class CurvePredictor(Protocol):
    """Each configuration's predicted score on this table when trained on ``rows`` rows:
    the learning curves that ``SearchSettings.curve_halving`` promotes by."""

    def scores_at(self, rows: int) -> pd.Series:
        """config_id -> predicted score, on a scale shared by the configurations (mean 0,
        spread 1 across them: ``halving.promotion_scores`` scales the change by the spread
        of the observed scores)."""
        ...
