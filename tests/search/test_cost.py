"""The search's costs: fitting and predicting, from the cost models and measurements, and
configurations skipped for memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import autometa
from autometa.estimators.base import search_inputs
from autometa.search import Costs, SearchSettings, search
from autometa.search.cost import CostModel
from autometa.space.learners import space
from autometa.table.tabular import task_from_xy

IDS = [c.config_id for c in space()]


class Fixed:
    """A cost model that predicts ``special[config]`` for some configurations and ``base``
    for the others, whatever the rows; its costs grow linearly with rows."""

    def __init__(self, base: float, special: dict[str, float] | None = None) -> None:
        self.values = pd.Series(base, index=IDS)
        for config, value in (special or {}).items():
            self.values[config] = value

    def predict(
        self, rows: float, n_features: int, n_classes: int, upper: bool = False
    ) -> pd.Series:
        return self.values.copy()

    def exponents(self) -> pd.Series:
        return pd.Series(1.0, index=IDS)


def test_an_evaluation_costs_its_fits_and_its_predictions() -> None:
    fit = Fixed(1.0)  # seconds per fit
    predict = Fixed(0.01, {"knn_01": 100.0})  # seconds per 1,000 predicted rows
    cost = CostModel(Costs(fit, predict), n_features=10, n_classes=2, cv=3)
    # Three folds of a 30,000-row rung: each fits 20,000 rows and predicts 10,000.
    assert cost.eval_seconds("knn_01", 30_000) == pytest.approx(3 * (1 + 1000))
    assert cost.eval_seconds("rf_00", 30_000) == pytest.approx(3 * (1 + 0.1))
    without = CostModel(Costs(fit), n_features=10, n_classes=2, cv=3)
    assert without.eval_seconds("rf_00", 30_000) == pytest.approx(3 * 1.3)
    # Measured on a 3,000-row rung (2,000 rows fitted, 1,000 predicted in 2 s), then
    # scaled with the rows trained on: 20 s per 1,000 rows at 20,000.
    cost.learn("knn_01", 3_000, fit_seconds=0.01, predict_seconds=2.0)
    assert cost.predict_seconds("knn_01", 20_000, 10_000) == pytest.approx(200.0)
    assert cost.fit_seconds("knn_01", 20_000) == pytest.approx(0.1)


def test_memory_is_the_models_mean_and_unknown_without_one() -> None:
    memory = Fixed(50.0, {"rf_00": 9e9})
    cost = CostModel(Costs(Fixed(1.0), memory=memory), n_features=10, n_classes=2, cv=3)
    assert cost.peak_mb("rf_00", 1000) == 9e9 and cost.peak_mb("lr_00", 1000) == 50.0
    assert np.isnan(CostModel(Costs(Fixed(1.0)), 10, 2, 3).peak_mb("rf_00", 1000))


def test_configurations_predicted_to_exceed_the_free_memory_are_skipped() -> None:
    X, y = make_classification(600, 10, random_state=0)
    task = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    rec = autometa.recommend(task)
    proposals, costs, curves = search_inputs(rec)
    first = proposals.ranking[0]
    huge = Fixed(1.0, {first: 1e12})  # a terabyte of MiB: more than any machine has free
    settings = SearchSettings(time_budget=20, n_portfolio=0, max_configs=3, random_state=0)
    result = search(task, proposals, Costs(costs.fit, costs.predict, huge), settings, curves=curves)
    board = result.leaderboard
    mine = board[board["config_id"] == first]
    assert (mine["status"] == "skipped").all()
    assert "MiB of memory" in mine["message"].iloc[0] and "MiB free" in mine["message"].iloc[0]
    assert result.best_config != first and (board["status"] == "ok").sum() >= 2
    assert result.pipeline.predict(task.X.head(3)).shape == (3,)
