"""Ensembles: greedy selection on out-of-fold predictions, the ensemble model, and the
search / estimator / model file carrying it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

import autometa
from autometa.search import SearchSettings
from autometa.search.ensemble import EnsembleModel, select
from autometa.selectors.recommend import Recommendation
from autometa.space.metrics import get_metric
from tests.helpers import DEMO, race


def test_selection_combines_complementary_models_and_keeps_a_dominant_one_alone() -> None:
    y = np.array([0, 1] * 50)
    classes = np.array([0, 1])
    truth = np.eye(2)[y]
    # a is right on the first half, b on the second; each is unsure where it is wrong.
    half = np.arange(100) < 50
    a = np.where(half[:, None], 0.9 * truth + 0.05, 0.45 * truth + 0.275)
    b = np.where(~half[:, None], 0.9 * truth + 0.05, 0.45 * truth + 0.275)
    wrong = 1 - truth  # always wrong
    chosen = select(
        {"a": a, "b": b, "w": wrong}, y, classes, get_metric("log_loss"), ["a", "b", "w"]
    )
    assert chosen.better and set(chosen.weights) == {"a", "b"}
    assert sum(chosen.weights.values()) == pytest.approx(1.0)
    alone = select(
        {"a": truth * 0.98 + 0.01, "w": wrong}, y, classes, get_metric("accuracy"), ["a", "w"]
    )
    assert not alone.better and alone.weights == {"a": 1.0}


def test_ensemble_model_averages_members_over_all_classes() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.repeat([0, 1, 2], 20)
    full = LogisticRegression().fit(X, y)
    two = LogisticRegression().fit(X[y < 2], y[y < 2])  # never saw class 2
    svm = LinearSVC().fit(X, y)  # no probabilities: votes with its labels
    model = EnsembleModel(np.array([0, 1, 2]), [("f", 0.5, [full], "all rows"),
                                                ("t", 0.25, [two], "all rows"),
                                                ("s", 0.25, [svm], "all rows")])  # fmt: skip
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    expected = 0.5 * full.predict_proba(X)
    expected[:, :2] += 0.25 * two.predict_proba(X)
    expected[np.arange(60), svm.predict(X)] += 0.25
    np.testing.assert_allclose(proba, expected)
    assert set(model.predict(X)) <= {0, 1, 2}


def test_search_with_ensembles_and_the_model_file(tmp_path: Path) -> None:
    task = autometa.load_table(DEMO / "titanic.csv", "survived")
    # A fixed order, so the test does not move with the shipped meta-model.
    shipped = autometa.recommend(task, metric="log_loss")
    head = ["mlp_04", "hgb_03", "lr_05", "rf_02"]
    order = head + [c for c in shipped.ranking["config_id"] if c not in head]
    clf = autometa.AutoMetaClassifier(
        time_budget=60, max_configs=4, metric="log_loss", random_state=0, ensemble=True,
        n_portfolio=0,
    ).fit_task(task, recommendation=Recommendation.of_order(order, shipped.knowledge))  # fmt: skip
    board = clf.leaderboard_
    # measured: mlp_04 (0.63) with hgb_03 (0.32) and rf_02 (0.05) beats mlp_04 alone here
    assert set(clf.ensemble_["config_id"]) == {"mlp_04", "hgb_03", "rf_02"}
    assert clf.ensemble_["weight"].sum() == pytest.approx(1.0)
    assert clf.refit_.startswith("ensemble of ")
    members = board[board["ensemble_weight"] > 0]
    assert set(members["config_id"]) == set(clf.ensemble_["config_id"])
    raw = task.X
    proba = clf.pipeline_.predict_proba(raw)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    saved = autometa.load_model(clf.save(tmp_path / "ens.skops"))
    np.testing.assert_array_equal(saved.predict(task.X), clf.predict_task(task))


def test_search_ensemble_on_a_table_where_it_helps() -> None:
    from autometa.metadataset.sources.pmlb import pmlb_datasets
    from autometa.paths import shared_dir

    folder = shared_dir() / "corpus" / "pmlb"
    if not folder.is_dir():
        pytest.skip("the corpus is beside the project")
    task = pmlb_datasets(folder, ["wine_recognition"])[0].load()
    shipped = autometa.recommend(task, metric="log_loss")
    # A fixed order, so the test does not move with the shipped meta-model.
    head = ["lda_00", "lr_05"]
    order = head + [c for c in shipped.ranking["config_id"] if c not in head]
    rec = Recommendation.of_order(order, shipped.knowledge)
    settings = SearchSettings(time_budget=60, max_configs=12, metric="log_loss", ensemble=True)
    result = race(task, rec, settings)
    assert len(result.ensemble) >= 2  # measured: lda_00 with lr_05 beats lda_00 alone here
    weights = result.leaderboard.set_index("config_id")["ensemble_weight"]
    assert weights[weights > 0].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(result.pipeline.predict_proba(task.X).sum(axis=1), 1.0)
