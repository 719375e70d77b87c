"""Baseline selectors the field already uses; the meta-model must beat them.

- RandomSelector: random scores (the floor).
- SingleBest: the best configuration on average (normalised score) over training datasets.
- AveragePortfolio: a greedy portfolio as auto-sklearn 2.0 / TabRepo build it: repeatedly
  add the configuration that most raises the mean over datasets of the best normalised
  score within the portfolio; dataset-independent.
- KNNSelector: auto-sklearn 1.0's meta-learning: MinMax-scaled meta-features, L1 distance,
  the best configuration of each of the k nearest training datasets first.
- FlamlNN: FLAML's zero-shot idea: 1-NN on four meta-features (instances, features,
  classes, % numeric; log-scaled and standardised), the nearest dataset's ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import BaseSelector, greedy_portfolio

__all__ = ["AveragePortfolio", "FlamlNN", "KNNSelector", "RandomSelector", "SingleBest"]


class RandomSelector(BaseSelector):
    """Uniformly random scores, seeded by ``random_state``."""

    def __init__(self, random_state: int | None = 0) -> None:
        self.random_state = random_state

    def _fit(self, meta: MetaDataset) -> None:
        self._rng = np.random.default_rng(self.random_state)

    def _scores(self, x: pd.Series) -> np.ndarray:
        return self._rng.random(len(self.config_ids_))


class SingleBest(BaseSelector):
    """Mean normalised score over the training datasets."""

    def _fit(self, meta: MetaDataset) -> None:
        self.mean_scores_ = self.train_scores_.mean(axis=0).to_numpy()

    def _scores(self, x: pd.Series) -> np.ndarray:
        return self.mean_scores_


class AveragePortfolio(BaseSelector):
    """Greedy portfolio first (in the order chosen), then the rest by mean score."""

    def __init__(self, size: int = 32) -> None:
        self.size = size

    def _fit(self, meta: MetaDataset) -> None:
        values = self.train_scores_.to_numpy()
        mean = values.mean(axis=0)
        order = greedy_portfolio(values, self.size)
        scores = mean / 2.0  # everything outside the portfolio stays below 0.5
        scores[order] = 1.0 + np.linspace(1.0, 0.0, len(order), endpoint=False)
        self.scores_ = scores
        self.portfolio_ = [self.config_ids_[i] for i in order]

    def _scores(self, x: pd.Series) -> np.ndarray:
        return self.scores_


class KNNSelector(BaseSelector):
    """auto-sklearn 1.0: the best configurations of the k nearest datasets (L1, MinMax)."""

    def __init__(self, k: int = 10) -> None:
        self.k = k

    def _fit(self, meta: MetaDataset) -> None:
        F = self.train_features_
        self.min_, self.max_ = F.min(), F.max()
        self.scaled_ = self._scale(F).to_numpy()

    def _scale(self, F: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        span = (self.max_ - self.min_).replace(0, 1.0)
        return ((F - self.min_) / span).fillna(0.5)  # unknown values sit mid-range

    def neighbours(self, x: pd.Series) -> pd.Series:
        """L1 distances to the training datasets, nearest first."""
        d = np.abs(self.scaled_ - self._scale(x).to_numpy()).sum(axis=1)
        return pd.Series(d, index=self.train_features_.index).sort_values(kind="stable")

    def _scores(self, x: pd.Series) -> np.ndarray:
        near = self.neighbours(x).index[: self.k]
        table = self.train_scores_.loc[near].to_numpy()
        scores = table.mean(axis=0) / 2.0  # fill order: mean over the neighbours
        for rank, row in enumerate(table):
            best = int(np.argmax(row))
            scores[best] = max(scores[best], 2.0 + self.k - rank)
        return scores


class FlamlNN(BaseSelector):
    """FLAML-style zero-shot: 1-NN on four meta-features, the nearest dataset's scores
    (three for regression, which has no classes, as FLAML's regression portfolios)."""

    FEATURES = (
        "NumberOfInstances",
        "NumberOfFeatures",
        "NumberOfClasses",
        "PercentageOfNumericFeatures",
    )

    COUNTS = ("NumberOfInstances", "NumberOfFeatures", "NumberOfClasses")  # log-scaled

    def _fit(self, meta: MetaDataset) -> None:
        self.features_ = [f for f in self.FEATURES if f in self.train_features_.columns]
        F = pd.DataFrame(self._transform(self.train_features_))
        self.center_, self.scale_ = F.mean(), F.std().replace(0, 1.0).fillna(1.0)
        self.points_ = ((F - self.center_) / self.scale_).fillna(0.0).to_numpy()
        self.fallback_ = self.train_scores_.mean(axis=0).to_numpy()

    def _transform(self, F: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        out = F[self.features_].astype(float).copy()
        counts = [c for c in self.features_ if c in self.COUNTS]
        out[counts] = np.log1p(out[counts].clip(lower=0))
        return out

    def _scores(self, x: pd.Series) -> np.ndarray:
        z = ((self._transform(x) - self.center_) / self.scale_).fillna(0.0).to_numpy()
        nearest = int(np.argmin(((self.points_ - z) ** 2).sum(axis=1)))
        # Ties in the neighbour's scores are broken by the average ranking.
        return self.train_scores_.iloc[nearest].to_numpy() + 1e-3 * self.fallback_
