"""The MetaModel variants that only benchmarks/selection_v2.py measures: subclasses that
change one thing of the shipped MetaModel (``autometa/selectors/metamodel.py``). Each
records what it changes in ``FIXED``, so its model file says so and the product's loader
refuses it.

- ``NormalisedTarget`` (variant A): min-max scores per dataset as the target, the earlier
  target, in place of the standardised scores.
- ``NeighboursHead`` (variant F): the complementary head from the training scores of
  similar datasets (weighted by exp(-distance / median distance)) instead of the model's
  own joint samples.
- ``JointForest`` (variant L): one multi-output forest whose trees all candidates share
  (its size grows with the candidates only through the leaf values, so it can afford more
  and deeper trees in the same model file), every meta-feature tried at each split.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import greedy_portfolio
from autometa.selectors.forest import fit_forest
from autometa.selectors.metamodel import MetaModel

__all__ = ["JointForest", "NeighboursHead", "NormalisedTarget"]


class NormalisedTarget(MetaModel):
    """Variant A: learns each dataset's min-max normalised scores."""

    FIXED: ClassVar[dict[str, Any]] = {**MetaModel.FIXED, "target": "normalized"}

    def _targets(self, meta: MetaDataset) -> np.ndarray:
        return self.train_scores_.to_numpy(dtype=np.float32)


class NeighboursHead(MetaModel):
    """Variant F: the head of the ranking from similar training datasets' scores."""

    FIXED: ClassVar[dict[str, Any]] = {**MetaModel.FIXED, "head": "neighbours"}

    def _head(self, x: pd.Series, network: np.ndarray, trees: np.ndarray, first: int) -> list[int]:
        dist = self._distances(x)
        weights = np.exp(-dist / max(float(np.median(dist)), 1e-12))
        return greedy_portfolio(
            self.train_scores_.to_numpy(), self.diversify, weights / weights.sum(), start=(first,)
        )


class JointForest(MetaModel):
    """Variant L: one joint forest of the candidates' residuals, all features per split."""

    FIXED: ClassVar[dict[str, Any]] = {**MetaModel.FIXED, "forest": "joint", "tree_features": 1.0}

    def _train_forests(
        self, X: np.ndarray, Y: np.ndarray, candidates: np.ndarray
    ) -> list[dict[str, np.ndarray]]:
        if self.trees <= 0 or self.tree_weight == 0:
            return []
        residual = Y - Y.mean(axis=0)
        return [fit_forest(X, residual[:, candidates], *self._forest_args())]
