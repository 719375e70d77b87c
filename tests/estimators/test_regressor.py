"""AutoMetaRegressor end to end: fit on a real mixed table, the model file, the ensemble,
the report, tiny tables, and the CLI for a regression target."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

import autometa
from autometa import AutoMetaRegressor
from autometa.exceptions import BadInputError
from autometa.search.ensemble import RegressionEnsemble
from autometa.space.learners import FAMILIES
from cli.main import app
from tests.helpers import DEMO


@pytest.fixture(scope="module")
def penguins() -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(DEMO / "penguins.csv").dropna(subset=["body_mass_g"])
    return frame.drop(columns="body_mass_g"), frame["body_mass_g"]


@pytest.fixture(scope="module")
def fitted(
    penguins: tuple[pd.DataFrame, pd.Series],
) -> tuple[AutoMetaRegressor, pd.DataFrame, pd.Series]:
    X, y = penguins
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    reg = AutoMetaRegressor(time_budget=8, max_configs=8, random_state=0).fit(X_fit, y_fit)
    return reg, X_test, y_test


def test_fits_a_mixed_table_with_missing_values(
    fitted: tuple[AutoMetaRegressor, pd.DataFrame, pd.Series],
) -> None:
    reg, X_test, y_test = fitted
    assert reg.metric_ == "r2" and not reg.fallback_
    assert reg.settings_.ensemble  # the regression default (search.settings.ENSEMBLE_DEFAULT)
    assert FAMILIES[reg.leaderboard_["family"].iloc[0]].task == "regression"
    # Species, sex and flipper length explain most of a penguin's mass: R2 about 0.85.
    assert r2_score(y_test, reg.predict(X_test)) > 0.7
    assert reg.score(X_test, y_test) == pytest.approx(r2_score(y_test, reg.predict(X_test)))
    assert list(reg.oof_.columns) == ["row", "y", "prediction"]
    assert "target" in reg.table_ and "classes" not in reg.table_


def test_model_file_round_trip(
    fitted: tuple[AutoMetaRegressor, pd.DataFrame, pd.Series], tmp_path: Path
) -> None:
    reg, X_test, _ = fitted
    saved = autometa.load_model(reg.save(tmp_path / "mass.skops"))
    assert saved.kind == "regression" and saved.classes is None
    np.testing.assert_allclose(saved.predict(X_test), reg.predict(X_test))
    with pytest.raises(BadInputError, match="regression model"):
        saved.predict_proba(X_test)


def test_report_has_residual_diagnostics(
    fitted: tuple[AutoMetaRegressor, pd.DataFrame, pd.Series], tmp_path: Path
) -> None:
    reg, _, _ = fitted
    page = reg.report(tmp_path / "report.html", tmp_path / "report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["diagnostics"]["kind"] == "regression"
    assert sum(b["rows"] for b in data["diagnostics"]["bins"]) == data["diagnostics"]["rows"]
    assert "AutoMetaRegressor(" in data["reproduce"]["command"]
    assert "target histogram" in page.read_text()


def test_ensemble_is_the_weighted_mean_of_its_members(
    penguins: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = penguins
    reg = AutoMetaRegressor(time_budget=60, max_configs=8, random_state=0, ensemble=True).fit(X, y)
    # measured: four members (mlpr_04, etr_03, svr_05, ridge_06) beat the best one alone
    assert len(reg.ensemble_) >= 2
    assert isinstance(reg.pipeline_, RegressionEnsemble)
    assert reg.ensemble_["weight"].sum() == pytest.approx(1.0)
    frame = reg.schema_.transform(X)
    expected = sum(
        w * np.mean([m.predict(frame) for m in models], axis=0)
        for _, w, models, _ in reg.pipeline_.members
    )
    np.testing.assert_allclose(reg.predict(X), expected)


def test_hand_built_ensemble_averages_by_weight() -> None:
    class Constant:
        def __init__(self, value: float) -> None:
            self.value = value

        def predict(self, X: pd.DataFrame) -> np.ndarray:
            return np.full(len(X), self.value)

    ens = RegressionEnsemble([("a", 0.75, [Constant(1.0), Constant(3.0)], "2 CV fold models"),
                              ("b", 0.25, [Constant(10.0)], "all rows")])  # fmt: skip
    np.testing.assert_allclose(ens.predict(pd.DataFrame({"x": [0, 1]})), [0.75 * 2 + 2.5] * 2)


def test_a_table_of_fifteen_rows_is_cross_validated_not_a_fallback() -> None:
    # 15 rows in 10 target bins cannot fill 3 stratified folds; the bins adapt to the folds.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(15, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=15)
    reg = AutoMetaRegressor(time_budget=5, max_configs=3, random_state=0).fit(X, y)
    assert not reg.fallback_
    assert (reg.leaderboard_["status"] == "ok").all()


def test_bad_targets_are_clear_errors() -> None:
    X = np.arange(40, dtype=float).reshape(20, 2)
    with pytest.raises(BadInputError, match="constant"):
        AutoMetaRegressor(time_budget=2).fit(X, np.ones(20))
    with pytest.raises(BadInputError, match="infinite"):
        AutoMetaRegressor(time_budget=2).fit(X, np.r_[np.inf, np.arange(19.0)])
    with pytest.raises(BadInputError, match="does not apply to regression"):
        AutoMetaRegressor(time_budget=2, metric="accuracy").fit(X, np.arange(20.0))


def test_cli_recommends_searches_saves_and_predicts_a_regression_target(tmp_path: Path) -> None:
    runner = CliRunner()
    model = tmp_path / "mass.skops"
    result = runner.invoke(
        app,
        ["recommend", str(DEMO / "penguins.csv"), "--target", "body_mass_g", "--task",
         "regression", "--budget", "4", "--top", "3", "--json", "--save", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["metric"] == "r2" and doc["saved"] == str(model)
    preds = tmp_path / "preds.csv"
    result = runner.invoke(
        app, ["predict", str(model), str(DEMO / "penguins.csv"), "-o", str(preds)]
    )
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(preds)["prediction"]
    truth = pd.read_csv(DEMO / "penguins.csv")["body_mass_g"]
    known = truth.notna()
    assert r2_score(truth[known], out[known]) > 0.7
    result = runner.invoke(app, ["predict", str(model), str(DEMO / "penguins.csv"), "--proba"])
    assert result.exit_code == 2 and "regression model" in result.stderr
    # The report of the saved model, for its table with the (numeric) target column.
    page = tmp_path / "mass.html"
    result = runner.invoke(
        app, ["report", str(model), "--data", str(DEMO / "penguins.csv"), "--out", str(page)]
    )
    assert result.exit_code == 0, result.stderr
    assert f"Report written to {page}" in result.stderr
    assert "target histogram" in page.read_text()
