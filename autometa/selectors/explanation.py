"""Why a dataset got its ranking: nearest training datasets, meta-feature attributions and
the out-of-distribution check. Shared by every selector (``BaseSelector.explain``); the
MetaModel adds occlusion attributions of its learned part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ATTRIBUTION_COLUMNS", "Explanation", "neighbours", "ood_weight", "with_ranges"]

ATTRIBUTION_COLUMNS = ["feature", "value", "attribution", "low", "median", "high"]


@dataclass
class Explanation:
    """Why a dataset got its ranking.

    Attributes
    ----------
    neighbours : DataFrame
        Nearest training datasets: dataset, distance, best_config, best_family.
    attributions : DataFrame
        Meta-features that moved the top configuration's score most: feature, value,
        attribution (how much the learned part of its score drops when the feature is set
        to its training median, i.e. occlusion; positive: the feature raises the score),
        and low, median, high (the feature's 5 %, 50 % and 95 % quantiles over the
        training datasets, to read the value against; NaN for a feature they lack).
        Empty for a selector with no learned part.
    ood : dict
        distance, threshold, weight of the out-of-distribution blend.
    """

    neighbours: pd.DataFrame
    attributions: pd.DataFrame
    ood: dict[str, float]


def neighbours(
    distances: np.ndarray,
    datasets: pd.Index,
    scores: pd.DataFrame,
    families: list[str],
    n: int,
) -> pd.DataFrame:
    """The ``n`` nearest training datasets with their best configuration and family.

    Parameters
    ----------
    distances : array, shape (n_datasets,)
    datasets : Index of the training datasets
    scores : DataFrame, shape (n_datasets, n_configs)
    families : list of str, one per configuration (column of ``scores``)
    """
    near = np.argsort(distances, kind="stable")[:n]
    best = scores.to_numpy().argmax(axis=1)
    return pd.DataFrame({
        "dataset": datasets[near],
        "distance": distances[near],
        "best_config": [scores.columns[best[i]] for i in near],
        "best_family": [families[best[i]] for i in near],
    })  # fmt: skip


def with_ranges(attributions: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """``attributions`` (feature, value, attribution) with the training datasets' 5 %, 50 %
    and 95 % quantiles of each feature (low, median, high)."""
    out = attributions.copy()
    for column, q in (("low", 0.05), ("median", 0.5), ("high", 0.95)):
        out[column] = [
            float(train[f].quantile(q)) if f in train else float("nan") for f in out["feature"]
        ]
    return out[ATTRIBUTION_COLUMNS]


def ood_weight(distance: float, threshold: float) -> dict[str, float]:
    """Blend weight towards the portfolio: ``clip((d - q95) / q95, 0, 1)``."""
    weight = float(np.clip((distance - threshold) / threshold, 0.0, 1.0)) if threshold > 0 else 0.0
    return {"distance": distance, "threshold": threshold, "weight": weight}
