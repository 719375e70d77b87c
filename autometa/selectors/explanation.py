"""Why a dataset got its ranking: nearest training datasets, meta-feature attributions and
the out-of-distribution check. Shared by every selector (``BaseSelector.explain``); the
MetaModel adds occlusion attributions of its learned part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Explanation", "neighbours", "ood_weight"]


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
        to its training median, i.e. occlusion; positive: the feature raises the score).
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


def ood_weight(distance: float, threshold: float) -> dict[str, float]:
    """Blend weight towards the portfolio: ``clip((d - q95) / q95, 0, 1)``."""
    weight = float(np.clip((distance - threshold) / threshold, 0.0, 1.0)) if threshold > 0 else 0.0
    return {"distance": distance, "threshold": threshold, "weight": weight}
