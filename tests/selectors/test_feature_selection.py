"""Greedy forward meta-feature selection and the k-NN that uses it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.feature_selection import ForwardKNN, forward_select, inner_regret


def _informative(n: int = 60, noise: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Feature 3 says which of two configurations wins; the others are noise."""
    rng = np.random.default_rng(seed)
    F = rng.random((n, noise))
    F[:, 3] = np.repeat([0.1, 0.9], n // 2) + 0.05 * rng.random(n)
    Y = np.where(F[:, [3]] < 0.5, [[1.0, 0.0]], [[0.0, 1.0]])
    return F, Y


def test_forward_selection_finds_the_informative_feature_first() -> None:
    F, Y = _informative()
    groups = np.arange(len(F))  # every dataset its own family
    chosen = forward_select(F, Y, groups, k=3, max_features=4)
    assert chosen[0] == 3
    blocked = np.where(groups[:, None] == groups[None, :], np.inf, 0.0)
    d = np.abs(F[:, None, 3] - F[None, :, 3]) + blocked
    assert inner_regret(d, Y, 3) == 0.0


def test_same_family_datasets_are_never_neighbours() -> None:
    # Pairs of copies in one family: with copies allowed as neighbours any feature would
    # do; with them blocked, only the informative feature gives zero regret.
    F, Y = _informative(40)
    F, Y = np.vstack([F, F]), np.vstack([Y, Y])
    groups = np.tile(np.arange(40), 2)
    blocked = np.where(groups[:, None] == groups[None, :], np.inf, 0.0)
    noise = np.abs(F[:, None, 0] - F[None, :, 0]) + blocked
    assert inner_regret(noise, Y, 1) > 0.2
    assert forward_select(F, Y, groups, k=1, max_features=3)[0] == 3


def test_forward_knn_ranks_by_the_chosen_features() -> None:
    F, Y = _informative()
    names = [f"d{i}" for i in range(len(F))]
    features = pd.DataFrame(F, index=names, columns=[f"f{j}" for j in range(F.shape[1])])
    perf = pd.DataFrame(
        [(d, c, 100, 0, "accuracy", 0.5 + 0.4 * Y[i, j])
         for i, d in enumerate(names) for j, c in enumerate(["a", "b"])],
        columns=list(MetaDataset.PERFORMANCE_COLUMNS),
    )  # fmt: skip
    configs = pd.DataFrame({"config_id": ["a", "b"], "family": ["fa", "fb"], "params": ["{}"] * 2})
    datasets = pd.DataFrame({"name": names, "family": names})
    meta = MetaDataset(features, perf, configs, datasets)
    sel = ForwardKNN(max_features=3).fit(meta, "accuracy")
    assert sel.features_[0] == "f3"
    low = features.iloc[0].copy()
    high = features.iloc[-1].copy()
    assert sel.rank(low).index[0] == "a" and sel.rank(high).index[0] == "b"
