"""Selectors on a synthetic meta-dataset where one meta-feature decides the best config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesRegressor

from autometa import BadInputError, IncompatibleArtifactError, MetaDataset, NotFittedError
from autometa.device import resolve_device
from autometa.selectors import (
    AveragePortfolio,
    FlamlNN,
    KNNSelector,
    MetaModel,
    RandomSelector,
    SingleBest,
)
from autometa.selectors.baselines import greedy_portfolio
from autometa.selectors.blend import pick
from autometa.selectors.evaluation import evaluate, summarize
from autometa.selectors.forest import fit_forest, predict_forest
from autometa.selectors.network import NetworkSettings


def synthetic(n: int = 40, seed: int = 0) -> MetaDataset:
    """Config 'lin' wins when f1 < 0, 'tree' when f1 > 0; 'meh' is always second-rate."""
    rng = np.random.default_rng(seed)
    f1 = rng.normal(size=n)
    names = [f"d{i}" for i in range(n)]
    F = pd.DataFrame({
        "f1": f1, "noise": rng.normal(size=n), "NumberOfInstances": rng.integers(50, 5000, n),
        "NumberOfFeatures": rng.integers(2, 50, n), "NumberOfClasses": rng.integers(2, 5, n),
        "PercentageOfNumericFeatures": rng.uniform(0, 100, n),
    }, index=names)  # fmt: skip
    acc = {"lin": 0.8 - 0.1 * f1, "tree": 0.8 + 0.1 * f1, "meh": np.full(n, 0.75)}
    rows = [(d, c, 100, 0, "accuracy", float(acc[c][i])) for i, d in enumerate(names) for c in acc]
    configs = pd.DataFrame({"config_id": list(acc), "family": ["linear", "tree", "other"],
                            "params": ['{"C": 1.0}', '{"max_depth": 3}', "{}"]})  # fmt: skip
    datasets = pd.DataFrame(
        {"name": names, "family": [f"fam{i // 2}" for i in range(n)], "source": "synthetic"}
    )
    return MetaDataset(F, pd.DataFrame(rows, columns=["dataset", "config_id", "rows", "part", "metric", "value"]),
                       configs, datasets)  # fmt: skip


def test_greedy_portfolio_covers_complementary_configs() -> None:
    scores = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.6], [1.0, 0.0, 0.6]])
    # First the best mean (column 0: 0.67), then the one that covers the rest: {0, 1} -> 1.0
    assert greedy_portfolio(scores, 2) == [0, 1]
    assert greedy_portfolio(scores, 2, weights=np.array([0.0, 1.0, 0.0])) == [1, 0]
    assert greedy_portfolio(scores, 2, start=(2,)) == [2, 0]  # 0.87 beats 0.73


SELECTORS = (RandomSelector, SingleBest, AveragePortfolio, KNNSelector, FlamlNN,
             lambda: MetaModel(network=NetworkSettings(n_members=2, epochs=50)))  # fmt: skip


@pytest.mark.parametrize("make", SELECTORS)
def test_every_selector_serves_the_ranker_interface(make: Any) -> None:
    selector = make()
    with pytest.raises(NotFittedError, match="is not fitted"):
        selector.rank(pd.Series({"f1": 0.0}))
    meta = synthetic()
    selector.fit(meta)
    x = meta.metafeatures.loc["d3"]
    ranked = selector.rank(x)
    assert sorted(ranked.index) == sorted(meta.config_ids)
    # Best first: by score, except the MetaModel's complementary head (its first
    # ``diversify`` places), which may put a lower score before a higher one.
    head = getattr(selector, "diversify", 0)
    assert (np.diff(ranked.to_numpy()[head:]) <= 0).all()
    if type(selector).__name__ in ("KNNSelector", "FlamlNN", "MetaModel"):
        # They read the meta-features: on d3 (a training dataset) the sign of f1 decides.
        assert ranked.index[0] == ("tree" if x["f1"] > 0 else "lin")
    assert set(selector.uncertainty(x).index) == set(meta.config_ids)
    explanation = selector.explain(x, n_neighbours=2)
    assert explanation.neighbours["dataset"].iloc[0] == "d3"  # a training dataset is nearest
    assert explanation.neighbours["distance"].iloc[0] == 0.0
    assert selector.ood(x)["weight"] == 0.0
    assert sorted(selector.portfolio) == sorted(meta.config_ids)


def query(meta: MetaDataset, f1: float) -> pd.Series:
    """A typical dataset (training medians) with the deciding feature set to f1."""
    x = meta.metafeatures.median()
    x["f1"] = f1
    return x


def test_knn_and_metamodel_learn_the_rule_baselines_cannot() -> None:
    meta = synthetic()
    low, high = query(meta, -1.5), query(meta, 1.5)
    knn = KNNSelector(k=3).fit(meta)
    for d in ("d0", "d1", "d2"):  # a training dataset is its own nearest neighbour
        best = meta.scores().loc[d].idxmax()
        assert knn.neighbours(meta.metafeatures.loc[d]).index[0] == d
        assert knn.rank(meta.metafeatures.loc[d]).index[0] == best
    model = MetaModel(random_state=0, network=NetworkSettings(n_members=3, epochs=150)).fit(meta)
    assert model.rank(low).index[0] == "lin" and model.rank(high).index[0] == "tree"
    single = SingleBest().fit(meta)
    assert single.rank(low).index[0] == single.rank(high).index[0]  # dataset-independent


def test_metamodel_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    meta = synthetic()
    x = query(meta, 0.3)
    a = MetaModel(random_state=3, network=NetworkSettings(n_members=2, epochs=50)).fit(meta)
    b = MetaModel(random_state=3, network=NetworkSettings(n_members=2, epochs=50)).fit(meta)
    pd.testing.assert_series_equal(a.rank(x), b.rank(x))
    a.save(tmp_path / "mm.pt")
    loaded = MetaModel.load(tmp_path / "mm.pt", device="cpu")
    pd.testing.assert_series_equal(loaded.rank(x), a.rank(x))
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(IncompatibleArtifactError, match="is not an autometa meta-model"):
        MetaModel.load(tmp_path / "bad.pt")


def test_exported_forest_predicts_as_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 8)).astype(np.float32), rng.normal(size=(60, 4))
    forest = fit_forest(X, Y, n_trees=20, random_state=1)
    reference = ExtraTreesRegressor(20, min_samples_leaf=3, max_features=0.5, random_state=1)
    Xt = rng.normal(size=(30, 8)).astype(np.float32)
    np.testing.assert_allclose(
        predict_forest(forest, Xt), reference.fit(X, Y).predict(Xt), rtol=1e-5, atol=1e-6
    )


def test_departure_rule_is_chosen_by_inner_cv_and_each_component_learns_the_rule() -> None:
    meta = synthetic()
    default = MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=50)).fit(meta)
    assert default.threshold_ == 0.0 and len(default.inner_cv_) == 3  # the tree weight only
    model = MetaModel(
        random_state=0, network=NetworkSettings(n_members=2, epochs=100), threshold="auto"
    ).fit(meta)
    table = model.inner_cv_
    assert len(table) == 18 and table["top1_score"].notna().all()  # 6 thresholds x 3 weights
    best = table["top1_score"].max()
    chosen = table.set_index(["threshold", "tree_weight"]).loc[
        (model.threshold_, model.tree_weight_), "top1_score"
    ]
    assert chosen == pytest.approx(best)
    # Never departing (threshold inf) is the single best, which cannot tell lin from tree.
    assert (
        model.threshold_ < np.inf
        and best > table.loc[table["threshold"] == np.inf, "top1_score"].max()
    )
    assert len(model.forests_) == 3  # every configuration is a candidate here
    low, high = query(meta, -1.5), query(meta, 1.5)
    for weight in (0.0, 1.0):  # the network alone, the forests alone
        fixed = MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=150), threshold=0.0,
                          tree_weight=weight).fit(meta)  # fmt: skip
        assert fixed.rank(low).index[0] == "lin" and fixed.rank(high).index[0] == "tree"
        assert len(fixed.inner_cv_) == 1  # nothing to choose
    never = MetaModel(
        random_state=0, network=NetworkSettings(n_members=2, epochs=50), threshold=np.inf
    ).fit(meta)
    assert (
        never.rank(low).index[0]
        == never.rank(high).index[0]
        == never.config_ids_[never.single_best_]
    )


def test_departures_come_with_uncertainty_and_attributions() -> None:
    meta = synthetic()
    model = MetaModel(
        random_state=0, network=NetworkSettings(n_members=3, epochs=150), threshold=0.0
    ).fit(meta)
    departed = 0
    for value in (-1.5, 1.5):
        x = query(meta, value)
        top = model.rank(x).index[0]
        assert (model.uncertainty(x) > 0).all()
        if top != model.config_ids_[model.single_best_]:
            departed += 1
            attributions = model.explain(x).attributions
            assert attributions["feature"].iloc[0] == "f1"
            assert abs(attributions["attribution"].iloc[0]) > 0
    assert departed == 1  # lin wins on one side, tree on the other: one is not the single best


def test_a_variant_learns_the_rule_and_its_file_is_refused(tmp_path: Path) -> None:
    from benchmarks.selection_v2_variants import JointForest

    meta = synthetic()
    model = JointForest(random_state=0, network=NetworkSettings(n_members=2, epochs=150),
                        trees=40, tree_leaf=1, tree_weight=1.0).fit(meta)  # fmt: skip
    assert len(model.forests_) == 1  # one forest, one output per candidate
    assert model.forests_[0]["values"].shape[2] == len(model.candidates_) == 3
    low, high = query(meta, -1.5), query(meta, 1.5)
    assert model.rank(low).index[0] == "lin" and model.rank(high).index[0] == "tree"
    # The product reads only what it ships: a variant's file names what differs.
    model.save(tmp_path / "joint.pt")
    with pytest.raises(IncompatibleArtifactError, match=r"benchmark variant.*'forest': 'joint'"):
        MetaModel.load(tmp_path / "joint.pt", device="cpu")


def test_departures_within_the_candidates() -> None:
    x = np.array([[0.0, 0.5, 2.0], [0.0, 1.0, 0.2]])  # column 2 is the best on row 0
    assert pick(x, 0, 0.0).tolist() == [2, 1]
    assert pick(x, 0, 0.0, allowed=np.array([0, 1])).tolist() == [1, 1]
    assert pick(x, 0, 0.6, allowed=np.array([0, 1])).tolist() == [0, 1]  # margin 0.5 < 0.6
    meta = synthetic()
    low, high = query(meta, -1.5), query(meta, 1.5)
    kw = {"random_state": 0, "network": NetworkSettings(n_members=2, epochs=150), "candidates": 1}
    anywhere = MetaModel(departures="all", **kw).fit(meta)  # type: ignore[arg-type]
    assert {anywhere.rank(low).index[0], anywhere.rank(high).index[0]} == {"lin", "tree"}
    within = MetaModel(departures="candidates", **kw).fit(meta)  # type: ignore[arg-type]
    single_best = within.config_ids_[within.single_best_]
    assert within.candidates_.tolist() == [within.single_best_]
    assert within.rank(low).index[0] == within.rank(high).index[0] == single_best
    with pytest.raises(BadInputError, match="departures must be one of"):
        MetaModel(departures="some").fit(meta)


def test_standardized_scores_centre_and_scale_each_dataset() -> None:
    meta = synthetic()
    z = meta.standardized_scores("accuracy")
    np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(z.std(axis=1, ddof=0), 1.0, atol=1e-9)
    raw = meta.scores("accuracy")
    assert (z.idxmax(axis=1) == raw.idxmax(axis=1)).all()


def test_pairwise_loss_learns_the_rule_too() -> None:
    meta = synthetic()
    model = MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=150, pairwise_weight=1.0),
                      threshold=0.0, trees=0).fit(meta)  # fmt: skip
    assert model.rank(query(meta, -1.5)).index[0] == "lin"
    assert model.rank(query(meta, 1.5)).index[0] == "tree"


def test_explanation_and_ood_guard() -> None:
    meta = synthetic()
    model = MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=150)).fit(meta)
    near = model.explain(query(meta, 1.2))
    assert len(near.neighbours) == 3 and near.neighbours["best_config"].iloc[0] == "tree"
    assert near.attributions["feature"].iloc[0] == "f1"  # the deciding meta-feature
    assert near.ood["weight"] == 0.0
    far = model.ood(pd.Series({"f1": 1e6, "noise": -1e6, "NumberOfInstances": 1e9}))
    assert far["distance"] > far["threshold"] and far["weight"] == 1.0


def test_device_auto_picks_cuda_only_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cpu").type == "cpu"  # an explicit device is passed through


class Oracle(SingleBest):
    """Cheats: ranks by the true scores of the synthetic rule (for checking the metrics)."""

    def _scores(self, x: pd.Series) -> np.ndarray:
        f1 = float(x["f1"])
        return np.array([0.8 - 0.1 * f1, 0.8 + 0.1 * f1, 0.75])


def test_evaluation_metrics() -> None:
    meta = synthetic(n=20)
    results = evaluate(
        meta, {"single": SingleBest, "knn": lambda: KNNSelector(k=3), "oracle": Oracle}
    )
    assert len(results) == 3 * 20
    summary = summarize(results)
    # By hand: the single best config of the full data (each split's is the same here)
    # and its regret on every dataset.
    norm = meta.normalized_scores()
    sbs = norm.mean().idxmax()
    assert summary.loc["single", "regret@1"] == pytest.approx((1 - norm[sbs]).mean())
    assert summary.loc["oracle", "gap closed"] == pytest.approx(1.0)
    assert summary.loc["oracle", "regret@1"] == 0.0 and summary.loc[
        "oracle", "ndcg@5"
    ] == pytest.approx(1.0)
    assert 0.0 < summary.loc["knn", "gap closed"] < 1.0
    assert summary.loc["knn", "regret@1"] < summary.loc["single", "regret@1"]
    assert (results["regret@3"] == 0).all()  # 3 configs: the best is always in the top 3


def test_diversified_head_skips_near_duplicates() -> None:
    rng = np.random.default_rng(0)
    n = 30
    names = [f"d{i}" for i in range(n)]
    F = pd.DataFrame({"f1": rng.normal(size=n), "f2": rng.normal(size=n)}, index=names)
    # a and a_copy win on two datasets in three, b on the third; a_copy is a's twin.
    wins = np.arange(n) % 3 != 0
    acc = {"a": np.where(wins, 0.9, 0.6), "b": np.where(wins, 0.7, 0.85)}
    acc["a_copy"] = acc["a"] - 0.001
    rows = [(d, c, 100, 0, "accuracy", float(acc[c][i])) for i, d in enumerate(names) for c in acc]
    meta = MetaDataset(
        F, pd.DataFrame(rows, columns=["dataset", "config_id", "rows", "part", "metric", "value"]),
        pd.DataFrame({"config_id": list(acc), "family": ["x", "y", "x"], "params": "{}"}),
        pd.DataFrame({"name": names, "family": names, "source": "synthetic"}),
    )  # fmt: skip
    x = F.median()
    plain = (
        MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=100), diversify=0)
        .fit(meta)
        .rank(x)
    )
    diverse = (
        MetaModel(random_state=0, network=NetworkSettings(n_members=2, epochs=100), diversify=2)
        .fit(meta)
        .rank(x)
    )
    assert set(plain.index[:2]) == {"a", "a_copy"}  # by predicted score, the twins lead
    assert plain.index[0] == diverse.index[0]  # the top pick is the model's
    assert set(diverse.index[:2]) in ({"a", "b"}, {"a_copy", "b"})  # never a with its copy
    pd.testing.assert_series_equal(diverse.sort_index(), plain.sort_index())  # same predictions
