"""How far the MetaModel moves from its prior: the blend chosen by inner cross-validation.

The prediction is ``prior + shrinkage * ((1 - tree_weight) * network + tree_weight *
trees)``. :func:`choose_blend` picks (shrinkage, tree_weight) on the training datasets
only: ``folds`` folds of whole families; for each pair of the grids, the mean target
score of the top-1 pick on the held-in fold; ties go to the smaller move, then to the
smaller tree weight.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["SHRINKAGE_GRID", "TREE_WEIGHT_GRID", "Residuals", "choose_blend"]

SHRINKAGE_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)
TREE_WEIGHT_GRID = (0.0, 0.5, 1.0)

#: ``residuals(X_train, Y_train, X_test) -> (n_test, n_configs)`` around Y_train's mean.
Residuals = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def choose_blend(
    X: np.ndarray,
    Y: np.ndarray,
    families: np.ndarray,
    alphas: tuple[float, ...],
    betas: tuple[float, ...],
    folds: int,
    random_state: int,
    network: Residuals,
    trees: Residuals,
) -> tuple[tuple[float, float], pd.DataFrame]:
    """The chosen (shrinkage, tree_weight) and the table of every pair's inner-CV score.

    Parameters
    ----------
    X : array, shape (n_datasets, n_features)
    Y : array, shape (n_datasets, n_configs)
        Targets (normalised scores).
    families : array of str, shape (n_datasets,)
        Whole families go to one fold.
    alphas, betas : tuples
        Shrinkage and tree-weight grids.
    network, trees : callables
        Train on a fold's training part and return residuals for its test part.
    """
    pairs = [(a, b) for a in alphas for b in betas]
    table = pd.DataFrame({"shrinkage": [a for a, _ in pairs], "tree_weight": [b for _, b in pairs]})
    if len(pairs) == 1:
        table["top1_score"] = np.nan
        return pairs[0], table
    rng = np.random.default_rng(random_state)
    groups = np.unique(families)
    fold_of = dict(zip(groups, rng.permutation(len(groups)) % folds, strict=True))
    fold = np.array([fold_of[f] for f in families])
    picked: dict[tuple[float, float], list[float]] = {pair: [] for pair in pairs}
    for k in range(folds):
        train, test = fold != k, fold == k
        if train.sum() < 2 or test.sum() == 0:
            continue
        prior = Y[train].mean(axis=0)
        net = network(X[train], Y[train], X[test])
        tree = trees(X[train], Y[train], X[test]) if max(betas) > 0 else 0.0
        for a, b in pairs:
            top = (prior + a * ((1 - b) * net + b * tree)).argmax(axis=1)
            picked[a, b].extend(Y[test][np.arange(test.sum()), top])
    means = [float(np.mean(picked[p])) if picked[p] else -np.inf for p in pairs]
    table["top1_score"] = means
    best = max(means)
    return min(p for p, m in zip(pairs, means, strict=True) if m >= best - 1e-12), table
