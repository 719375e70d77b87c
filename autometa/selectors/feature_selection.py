"""Fewer, chosen meta-features: greedy forward selection inside the training families, and
the k-NN selector that uses it (the approach of the best entry of the 2017 algorithm
selection competition: a k-NN with tuned k and greedy forward meta-feature selection).

The criterion is a leave-one-family-out estimate on the training datasets only: each
training dataset is ranked by the mean normalised scores of its ``k`` nearest training
datasets of *other* families (L1 on the chosen, MinMax-scaled features), and the regret of
the top-1 is averaged. Forward selection adds, one at a time, the feature that lowers it
most, and stops when no feature lowers it or ``max_features`` are chosen; then ``k`` is
chosen from ``K_GRID`` by the same estimate. Test datasets never enter either choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import BaseSelector

__all__ = ["K_GRID", "ForwardKNN", "forward_select", "inner_regret"]

K_GRID = (1, 3, 5, 10, 20)


def inner_regret(distances: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Mean top-1 regret of the k-NN ranking, each dataset ranked by its neighbours.

    Parameters
    ----------
    distances : ndarray, shape (n_datasets, n_datasets)
        Pairwise distances; ``inf`` where two datasets must not be neighbours (the same
        family, and the diagonal).
    scores : ndarray, shape (n_datasets, n_configs)
        Normalised scores (1 = the dataset's best configuration).
    k : int
    """
    k = min(k, distances.shape[1] - 1)
    near = np.argpartition(distances, k - 1, axis=1)[:, :k]
    predicted = scores[near].mean(axis=1)  # (n_datasets, n_configs)
    top = predicted.argmax(axis=1)
    return float(np.mean(1.0 - scores[np.arange(len(scores)), top]))


def forward_select(
    features: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray,
    k: int = 5,
    max_features: int = 15,
) -> list[int]:
    """Greedy forward selection of meta-features for a k-NN selector.

    Parameters
    ----------
    features : ndarray, shape (n_datasets, n_features)
        Scaled meta-features (no NaN).
    scores : ndarray, shape (n_datasets, n_configs)
        Normalised scores.
    groups : ndarray, shape (n_datasets,)
        Family of each dataset: neighbours are taken from other families only.
    k : int
        Neighbours during the selection.
    max_features : int

    Returns
    -------
    list of int
        Indices of the chosen features, in the order chosen (at least one).
    """
    n, p = features.shape
    blocked = np.where(groups[:, None] == groups[None, :], np.inf, 0.0)
    distances = np.zeros((n, n))
    chosen: list[int] = []
    best = np.inf
    while len(chosen) < min(max_features, p):
        trial = {}
        for j in range(p):
            if j in chosen:
                continue
            step = np.abs(features[:, j, None] - features[None, :, j])
            trial[j] = inner_regret(distances + step + blocked, scores, k)
        j = min(trial, key=lambda c: (trial[c], c))  # ties: the earlier feature
        if trial[j] >= best - 1e-12 and chosen:
            break
        best = trial[j]
        chosen.append(j)
        distances = distances + np.abs(features[:, j, None] - features[None, :, j])
    return chosen


class ForwardKNN(BaseSelector):
    """k-NN on forward-selected meta-features with k by inner leave-one-family-out.

    Parameters
    ----------
    max_features : int
        At most this many meta-features.
    select_k : int
        Neighbours during the feature selection (then ``k_`` is chosen from ``K_GRID``).

    Attributes
    ----------
    features_ : list of str
        The chosen meta-features, in the order chosen.
    k_ : int
        The chosen number of neighbours.
    """

    def __init__(self, max_features: int = 15, select_k: int = 5) -> None:
        self.max_features = max_features
        self.select_k = select_k

    def _fit(self, meta: MetaDataset) -> None:
        F = self.train_features_
        self.min_, self.max_ = F.min(), F.max()
        scaled = self._scale(F).to_numpy()
        Y = self.train_scores_.to_numpy()
        families = meta.datasets.set_index("name")["family"]
        groups = families.reindex(F.index).fillna(pd.Series(F.index, index=F.index)).to_numpy()
        picked = forward_select(scaled, Y, groups, self.select_k, self.max_features)
        self.features_ = [str(F.columns[j]) for j in picked]
        chosen = scaled[:, picked]
        blocked = np.where(groups[:, None] == groups[None, :], np.inf, 0.0)
        distances = np.abs(chosen[:, None, :] - chosen[None, :, :]).sum(axis=2) + blocked
        regret = {k: inner_regret(distances, Y, k) for k in K_GRID if k < len(Y)}
        self.k_ = min(regret, key=lambda k: (regret[k], k))
        self.points_ = chosen

    def _scale(self, F: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        span = (self.max_ - self.min_).replace(0, 1.0)
        return ((F - self.min_) / span).fillna(0.5)  # unknown values sit mid-range

    def _scores(self, x: pd.Series) -> np.ndarray:
        z = self._scale(x)[self.features_].to_numpy(dtype=float)
        d = np.abs(self.points_ - z).sum(axis=1)
        near = np.argsort(d, kind="stable")[: self.k_]
        return self.train_scores_.to_numpy()[near].mean(axis=0)
