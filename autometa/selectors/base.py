"""The selector protocol and what every selector shares.

A selector is fitted on a MetaDataset for one metric and then scores every configuration
for a new dataset's meta-features: ``rank(meta_features) -> Series`` indexed by config_id,
higher is better, sorted best first.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError, NotFittedError
from autometa.metadata import MetaDataset

__all__ = ["BaseSelector", "Selector"]


@runtime_checkable
class Selector(Protocol):
    """What evaluation and the recommender need from a selector."""

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> Selector: ...

    def rank(self, meta_features: pd.Series) -> pd.Series: ...


class BaseSelector:
    """Stores the training data every selector uses; subclasses implement ``_scores``.

    Attributes (after fit)
    ----------------------
    config_ids_ : list of str
    metric_ : str
    train_features_ : DataFrame, shape (n_datasets, n_features)
    train_scores_ : DataFrame, shape (n_datasets, n_configs)
        Normalised scores (1 = best config of the dataset, 0 = worst or failed).
    """

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> BaseSelector:
        if len(meta.dataset_names) < 2:
            raise BadInputError("A selector needs a meta-dataset with at least two datasets.")
        self.metric_ = metric
        self.config_ids_ = list(meta.config_ids)
        self.train_scores_ = meta.normalized_scores(metric)
        self.train_features_ = meta.metafeatures.loc[self.train_scores_.index]
        self._fit(meta)
        return self

    def _fit(self, meta: MetaDataset) -> None:
        """Subclass hook, called at the end of fit."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "config_ids_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(meta_dataset).")

    def rank(self, meta_features: pd.Series) -> pd.Series:
        """Scores of every configuration for one dataset, best first.

        Parameters
        ----------
        meta_features : Series
            Indexed by meta-feature name (extra names are ignored, missing ones are NaN).
        """
        self._check_fitted()
        x = meta_features.reindex(self.train_features_.columns).astype(float)
        scores = pd.Series(self._scores(x), index=self.config_ids_, name="score")
        # Stable: ties keep the config table order, so rankings are reproducible.
        return scores.sort_values(ascending=False, kind="stable")

    def _scores(self, x: pd.Series) -> np.ndarray:
        raise NotImplementedError
