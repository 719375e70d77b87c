"""recommend(): a ranking of every configuration with predicted fit times and reasons."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import autometa
from autometa.exceptions import BadInputError
from autometa.space.learners import space
from tests.helpers import DEMO, race


@pytest.fixture(scope="module")
def penguins() -> autometa.Task:
    return autometa.load_table(DEMO / "penguins.csv", "species")


def test_table_ranks_every_configuration(penguins: autometa.Task) -> None:
    rec = autometa.recommend(penguins, top_k=4)
    assert list(rec.table.columns) == [
        "rank", "config_id", "family", "params", "predicted_score",
        "predicted_fit_seconds", "uncertainty",
    ]  # fmt: skip
    assert len(rec.table) == 4 and len(rec.ranking) == 110
    assert rec.ranking["config_id"].is_unique
    assert list(rec.ranking["rank"]) == list(range(1, 111))
    assert (rec.ranking["predicted_fit_seconds"] > 0).all()
    assert (rec.ranking["uncertainty"] >= 0).all()
    for params in rec.table["params"]:
        json.loads(params)
    # The same table through X, y gives the same ranking.
    again = autometa.recommend(penguins.X, penguins.y, top_k=4)
    assert list(again.table["config_id"]) == list(rec.table["config_id"])


def test_explain_names_neighbours_and_features(penguins: autometa.Task) -> None:
    exp = autometa.recommend(penguins).explain(n_neighbours=2, n_features=3)
    assert len(exp.neighbours) == 2 and len(exp.attributions) == 3
    assert exp.neighbours["distance"].is_monotonic_increasing
    assert set(exp.attributions["feature"]) <= set(autometa.recommend(penguins).metafeatures.index)


def test_far_away_table_gets_a_note() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.lognormal(0, 4, size=(300, 400)))  # heavy tails, wide
    y = rng.integers(0, 40, size=300)  # 40 integer codes in 300 rows: say they are classes
    rec = autometa.recommend(X, y, task="classification")
    assert rec.notes and "outside the training datasets" in rec.notes[0]


def test_bad_arguments(penguins: autometa.Task) -> None:
    with pytest.raises(BadInputError, match="top_k must be a positive integer"):
        autometa.recommend(penguins, top_k=0)
    with pytest.raises(BadInputError, match="Unknown metric 'f1'"):
        autometa.recommend(penguins, metric="f1")


def test_any_selector_drives_recommend(penguins: autometa.Task) -> None:
    from autometa.paths import data_dir
    from autometa.selectors import KNNSelector
    from autometa.selectors.recommend import Knowledge, cost_models

    meta = autometa.MetaDataset.load(data_dir() / "metadataset")
    knn = KNNSelector(k=5).fit(meta)
    knowledge = Knowledge(knn, *cost_models(meta), meta.configs)
    rec = autometa.recommend(penguins, top_k=3, knowledge=knowledge)
    expected = knn.rank(autometa.extract_metafeatures(penguins))
    assert list(rec.ranking["config_id"]) == list(expected.index)
    assert (rec.ranking["uncertainty"] == 0).all()  # a point prediction
    assert len(rec.explain().neighbours) == 3 and rec.explain().attributions.empty


def test_a_recommendation_of_a_given_order_races_in_that_order(penguins: autometa.Task) -> None:
    from autometa.search import SearchSettings
    from autometa.selectors.recommend import Knowledge, Recommendation

    knowledge = Knowledge.shipped()
    # Not the shipped model's order for penguins (lr_00 and gnb_00 are far apart there).
    order = ["gnb_00", "lda_00", "lr_00"]
    rec = Recommendation.of_order(order, knowledge, top_k=3)
    assert list(rec.ranking["config_id"]) == order and list(rec.ranking["rank"]) == [1, 2, 3]
    settings = SearchSettings(time_budget=60, n_portfolio=0, max_configs=3, local_search=False)
    result = race(penguins, rec, settings)
    assert list(result.trajectory["config_id"]) == order  # evaluated in that order
    assert list(result.trajectory["started"]) == sorted(result.trajectory["started"])


def test_the_meta_model_is_told_the_size() -> None:
    from autometa.metadataset.metadata import SIZE_FEATURE
    from autometa.selectors.recommend import train_metamodel

    rng = np.random.default_rng(0)
    names = [f"d{i}" for i in range(24)]
    rows = []
    for d in names:
        for size, scores in ((250, {"nb": 0.80, "gbm": 0.74, "lr": 0.76}),
                             (4000, {"nb": 0.81, "gbm": 0.90, "lr": 0.84})):  # fmt: skip
            for config, value in scores.items():
                if size == 4000 and config == "nb":
                    continue  # not promoted: carried from 250 rows
                rows.append((d, config, size, 0, "accuracy", value + rng.normal(0, 0.005)))
    meta = autometa.MetaDataset(
        pd.DataFrame({"f": rng.normal(size=24)}, index=names),
        pd.DataFrame(rows, columns=["dataset", "config_id", "rows", "part", "metric", "value"]),
        pd.DataFrame({"config_id": ["nb", "gbm", "lr"], "family": ["a", "b", "c"], "params": "{}"}),
        pd.DataFrame({"name": names, "family": names, "source": "t"}),
    )  # fmt: skip
    sized = meta.at_sizes()
    assert len(sized.dataset_names) == 48 and SIZE_FEATURE in sized.metafeatures
    assert sized.scores().loc["d0@4000", "nb"] == pytest.approx(
        meta.scores(rows=250).loc["d0", "nb"]
    )  # carried forward
    model = train_metamodel(meta, random_state=0)
    small = pd.Series({"f": 0.0, SIZE_FEATURE: 250.0})
    large = pd.Series({"f": 0.0, SIZE_FEATURE: 4000.0})
    assert model.rank(small).index[0] == "nb"
    assert model.rank(large).index[0] == "gbm"


def test_a_regression_target_is_ranked_by_the_regression_meta_model() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)))
    y = X[0] * 2 + rng.normal(size=200)
    rec = autometa.recommend(X, y)  # default metric: r2 (metrics.PRIMARY)
    regression_ids = {c.config_id for c in space(task="regression")}
    assert set(rec.ranking["config_id"]) == regression_ids
    assert rec.knowledge is not None and rec.knowledge.model.metric_ == "r2"
    assert autometa.recommend(X, y, metric="mae").knowledge.model.metric_ == "mae"
    with pytest.raises(BadInputError, match="does not apply to regression"):
        autometa.recommend(X, y, metric="accuracy")
    from autometa.selectors.recommend import Knowledge

    classification = Knowledge.shipped("accuracy")
    with pytest.raises(BadInputError, match=r"ranks configurations by accuracy.*regression task"):
        autometa.recommend(X, y, metric="r2", knowledge=classification)
    with pytest.raises(BadInputError, match="regression task"):
        autometa.AutoMetaRegressor(time_budget=5, knowledge=classification).fit(X, y)


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "roc_auc", "log_loss", "r2"])
def test_the_shipped_models_depart_as_their_task_kind_was_chosen(
    metric: str, penguins: autometa.Task
) -> None:
    # metamodel.DEPARTURES is what benchmarks/selection_v2.py's rule chose; a model file
    # retrained otherwise would ship a selector that was not the one chosen.
    from autometa.selectors.metamodel import DEPARTURES
    from autometa.selectors.recommend import Knowledge
    from autometa.space.metrics import get_metric

    model = Knowledge.shipped(metric).model
    assert model.departures_ == DEPARTURES[get_metric(metric).task_kinds[0]]
    if model.departures_ == "candidates":  # the top-1 is a candidate (or the single best)
        top = autometa.recommend(penguins, metric=metric).ranking["config_id"].iloc[0]
        allowed = {model.config_ids_[i] for i in [*model.candidates_, model.single_best_]}
        assert top in allowed
