"""The metric registry: values against scikit-learn, directions, clear errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, log_loss, roc_auc_score
from sklearn.svm import LinearSVC

from autometa import BadInputError
from autometa.space.metrics import (
    METRICS,
    MetricName,
    Predictions,
    get_metric,
    metric_names,
    score_all,
)


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] + 0.5 * rng.normal(size=300) > 0, "yes", "no")
    return X, y


def test_score_all_matches_scikit_learn_on_a_probabilistic_model() -> None:
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    values = score_all(model, X, y)
    assert list(values) == metric_names("classification")
    proba = model.predict_proba(X)
    assert values["log_loss"] == pytest.approx(log_loss(y, proba))
    assert values["roc_auc"] == pytest.approx(roc_auc_score(y == "yes", proba[:, 1]))
    assert values["accuracy"] == pytest.approx(np.mean(model.predict(X) == y))


def test_a_model_without_probabilities_has_auc_from_its_decision_but_no_log_loss() -> None:
    X, y = _data()
    model = LinearSVC().fit(X, y)
    values = score_all(model, X, y)
    assert np.isnan(values["log_loss"])
    assert values["roc_auc"] == pytest.approx(roc_auc_score(y == "yes", model.decision_function(X)))


def test_the_macro_auc_equals_scikit_learns_with_ties_and_a_missing_class() -> None:
    rng = np.random.default_rng(1)
    classes = np.array(["a", "b", "c", "d"])
    y = rng.choice(classes[:3], 400)  # "d" never occurs: left out, as scikit-learn must
    scores = np.round(rng.random((400, 4)), 1)  # ten values per column: many ties
    expected = np.mean([roc_auc_score(y == c, scores[:, k]) for k, c in enumerate(classes[:3])])
    said = Predictions(classes[scores.argmax(axis=1)], classes, None, scores)
    assert get_metric("roc_auc").compute(y, said) == pytest.approx(expected)
    scores[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        get_metric("roc_auc").compute(y, said)


@pytest.mark.parametrize("k", [2, 5])
def test_accuracies_and_log_loss_equal_scikit_learns(k: int) -> None:
    rng = np.random.default_rng(k)
    classes = np.array([f"c{i}" for i in range(k)])
    y = rng.choice(classes[:-1], 300)  # the last class never occurs in y, only in predictions
    proba = rng.random((300, k)) ** 4  # near-zero probabilities: the clipping counts
    proba[:5] = np.eye(k)[rng.integers(0, k, 5)]  # certain, some of them wrong
    proba /= proba.sum(axis=1, keepdims=True)
    said = Predictions(classes[proba.argmax(axis=1)], classes, proba, proba)
    assert get_metric("accuracy").compute(y, said) == pytest.approx(
        accuracy_score(y, said.labels), abs=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's: a predicted class absent from y
        expected = balanced_accuracy_score(y, said.labels)
    assert get_metric("balanced_accuracy").compute(y, said) == pytest.approx(expected, abs=1e-12)
    assert get_metric("log_loss").compute(y, said) == pytest.approx(
        log_loss(y, proba, labels=classes), rel=1e-12
    )
    with pytest.raises(ValueError, match="no column"):
        get_metric("log_loss").compute(np.array(["other"] * 300), said)


def test_directions_and_orientation() -> None:
    assert get_metric("log_loss").oriented(0.3) == -0.3
    assert get_metric("accuracy").oriented(0.9) == 0.9
    assert get_metric(MetricName("roc_auc")).name == "roc_auc"  # the CLI's Enum
    assert metric_names("classification") + metric_names("regression") == list(METRICS)


def test_unknown_or_inapplicable_metric_is_a_clear_error() -> None:
    with pytest.raises(BadInputError, match="Unknown metric 'acuracy'; choose one of: accuracy"):
        get_metric("acuracy")
    with pytest.raises(BadInputError, match="does not apply to regression"):
        get_metric("accuracy", "regression")


def test_regression_metrics_match_scikit_learn() -> None:
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = 2 * X["a"].to_numpy() + rng.normal(size=200)
    model = LinearRegression().fit(X, y)
    values = score_all(model, X, y, "regression")
    pred = model.predict(X)
    assert list(values) == ["rmse", "mae", "r2"]
    assert values["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)))
    assert values["mae"] == pytest.approx(mean_absolute_error(y, pred))
    assert values["r2"] == pytest.approx(r2_score(y, pred))
    assert get_metric("rmse").oriented(2.0) == -2.0 and get_metric("r2").greater_is_better
    with pytest.raises(BadInputError, match="does not apply to classification"):
        get_metric("rmse", "classification")
