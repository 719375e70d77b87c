"""The selector protocols and what every selector shares.

A selector is fitted on a MetaDataset for one metric and then scores every configuration
for a new dataset's meta-features: ``rank(meta_features) -> Series`` indexed by config_id,
higher is better, sorted best first. :class:`Selector` is what the evaluation needs (fit,
rank); :class:`Ranker` is what ``recommend`` and the search need from a fitted one
(ranking, uncertainty, out-of-distribution check, explanation, portfolio).
:class:`BaseSelector` implements both, so any selector, the baselines too, can drive
``recommend``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from autometa.exceptions import BadInputError, NotFittedError
from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.encoding import FeatureScaler
from autometa.selectors.explanation import (
    ATTRIBUTION_COLUMNS,
    Explanation,
    neighbours,
    ood_weight,
)

__all__ = ["BaseSelector", "Ranker", "Selector", "greedy_portfolio"]


class Selector(Protocol):
    """What evaluation needs from a selector."""

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> Selector: ...

    def rank(self, meta_features: pd.Series) -> pd.Series: ...


class Ranker(Protocol):
    """What ``recommend`` and the search need from a fitted selector."""

    config_ids_: list[str]
    metric_: str

    def rank(self, meta_features: pd.Series) -> pd.Series: ...

    def uncertainty(self, meta_features: pd.Series) -> pd.Series: ...

    def ood(self, meta_features: pd.Series) -> dict[str, float]: ...

    def explain(
        self, meta_features: pd.Series, n_neighbours: int = 3, n_features: int = 5
    ) -> Explanation: ...

    @property
    def portfolio(self) -> list[str]: ...


def greedy_portfolio(
    scores: np.ndarray,
    size: int,
    weights: np.ndarray | None = None,
    start: tuple[int, ...] = (),
) -> list[int]:
    """Column indices chosen greedily to maximise the (weighted) mean row-wise max of
    ``scores``, after the columns in ``start``.

    Parameters
    ----------
    scores : array, shape (n_datasets, n_configs)
    size : int
        Length of the result, ``start`` included.
    weights : array, shape (n_datasets,), optional
        Weight of each row (default: the plain mean).
    start : tuple of int
        Columns already chosen.
    """
    chosen = list(start)
    best = scores[:, chosen].max(axis=1) if chosen else np.zeros(len(scores))
    for _ in range(min(size, scores.shape[1]) - len(chosen)):
        covered = np.maximum(scores, best[:, None])
        gains = covered.mean(axis=0) if weights is None else weights @ covered
        gains[chosen] = -np.inf
        pick = int(np.argmax(gains))
        chosen.append(pick)
        best = np.maximum(best, scores[:, pick])
    return chosen


class BaseSelector:
    """Stores the training data every selector uses; subclasses implement ``_scores``.

    Attributes (after fit)
    ----------------------
    config_ids_ : list of str
    metric_ : str
    train_features_ : DataFrame, shape (n_datasets, n_features)
    train_scores_ : DataFrame, shape (n_datasets, n_configs)
        Normalised scores (1 = best config of the dataset, 0 = worst or failed).
    scaler_ : FeatureScaler
        Scaling of the meta-features for distances (explanation, out-of-distribution).
    train_scaled_ : array, shape (n_datasets, n_scaled)
    ood_threshold_ : float
        95th percentile of the training datasets' L1 distances to their nearest neighbour.
    portfolio_scores_ : array, shape (n_configs,)
        1 for the first configuration of the greedy portfolio, down to 0 for the last.
    """

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> BaseSelector:
        if len(meta.dataset_names) < 2:
            raise BadInputError("A selector needs a meta-dataset with at least two datasets.")
        self.metric_ = metric
        self.config_ids_ = list(meta.config_ids)
        self.train_scores_ = meta.normalized_scores(metric)
        self.train_features_ = meta.metafeatures.loc[self.train_scores_.index]
        families = meta.configs.set_index("config_id")["family"]
        self.config_families_ = [str(families.get(c, c)) for c in self.config_ids_]
        self.scaler_ = FeatureScaler.fit(self.train_features_)
        self._fit_guard(self.scaler_.transform(self.train_features_))
        self._fit(meta)
        return self

    def _fit(self, meta: MetaDataset) -> None:
        """Subclass hook, called at the end of fit."""

    def _fit_guard(self, X: np.ndarray) -> None:
        self.train_scaled_ = X
        # cdist, not broadcasting: the broadcast temporaries are (n, n, n_features), two of
        # 381 MB for the shipped meta-model, and most of a fresh process's first load was
        # spent allocating them (benchmarks/recommend_overhead.py).
        d = cdist(X, X, "cityblock")
        np.fill_diagonal(d, np.inf)
        self.ood_threshold_ = float(np.quantile(d.min(axis=1), 0.95))
        order = greedy_portfolio(self.train_scores_.to_numpy(), len(self.config_ids_))
        portfolio = np.empty(len(order))
        portfolio[order] = np.linspace(1.0, 0.0, len(order))
        self.portfolio_scores_ = portfolio

    def _check_fitted(self) -> None:
        if not hasattr(self, "config_ids_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(meta_dataset).")

    def _features(self, meta_features: pd.Series) -> pd.Series:
        return meta_features.reindex(self.train_features_.columns).astype(float)

    def rank(self, meta_features: pd.Series) -> pd.Series:
        """Scores of every configuration for one dataset, best first.

        Parameters
        ----------
        meta_features : Series
            Indexed by meta-feature name (extra names are ignored, missing ones are NaN).
        """
        self._check_fitted()
        return self._ordered(self._scores(self._features(meta_features)))

    def _ordered(self, values: np.ndarray) -> pd.Series:
        """Scores (n_configs,) as a Series indexed by config_id, best first."""
        scores = pd.Series(values, index=self.config_ids_, name="score")
        # Stable: ties keep the config table order, so rankings are reproducible.
        return scores.sort_values(ascending=False, kind="stable")

    def _scores(self, x: pd.Series) -> np.ndarray:
        raise NotImplementedError

    def uncertainty(self, meta_features: pd.Series) -> pd.Series:
        """Spread of the predicted score per configuration (0: a point prediction)."""
        self._check_fitted()
        return pd.Series(0.0, index=self.config_ids_, name="uncertainty")

    def _distances(self, meta_features: pd.Series) -> np.ndarray:
        z = self.scaler_.transform(self._features(meta_features).to_frame().T)[0]
        return np.abs(self.train_scaled_ - z).sum(axis=1)

    def ood(self, meta_features: pd.Series) -> dict[str, float]:
        """Distance to the nearest training dataset, the threshold and the blend weight."""
        self._check_fitted()
        return ood_weight(float(self._distances(meta_features).min()), self.ood_threshold_)

    def explain(
        self, meta_features: pd.Series, n_neighbours: int = 3, n_features: int = 5
    ) -> Explanation:
        """Nearest training datasets (a selector with no learned part attributes nothing)."""
        self._check_fitted()
        near = neighbours(
            self._distances(meta_features), self.train_features_.index, self.train_scores_,
            self.config_families_, n_neighbours,
        )  # fmt: skip
        empty = pd.DataFrame({c: [] for c in ATTRIBUTION_COLUMNS})
        return Explanation(near, empty, self.ood(meta_features))

    @property
    def portfolio(self) -> list[str]:
        """Greedy portfolio order (dataset-independent), best first."""
        self._check_fitted()
        return [self.config_ids_[i] for i in np.argsort(-self.portfolio_scores_, kind="stable")]
