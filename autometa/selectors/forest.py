"""Tree ensembles (ExtraTrees, or random forests of bagged CART trees) kept as plain arrays.

The MetaModel's tree component is fitted with scikit-learn, then exported to a few integer
and float arrays so the model file stays loadable with ``torch.load(weights_only=True)``
(no pickle) and prediction needs nothing but numpy.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

__all__ = ["fit_forest", "predict_forest"]

_LEAF = -1  # scikit-learn's marker for "no child"


def fit_forest(
    X: np.ndarray,
    Y: np.ndarray,
    n_trees: int,
    random_state: int,
    kind: str = "extra",
    min_samples_leaf: int = 3,
    max_features: float = 0.5,
) -> dict[str, np.ndarray]:
    """Fit a tree ensemble and export it.

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
        Finite inputs.
    Y : array, shape (n_samples, n_outputs)
    n_trees : int
    random_state : int
    kind : str
        "extra": ExtraTrees (random thresholds, no bootstrap); "random": a random forest
        (bootstrap samples, best thresholds).
    min_samples_leaf : int
    max_features : float
        Share of the features tried at each split.

    Returns
    -------
    dict of arrays, padded to the largest tree (T trees, N nodes, L leaves, O outputs)
        ``left``, ``right``, ``feature`` (T, N) int16 (int32 for trees or tables beyond
        32,766 nodes or columns), ``threshold`` (T, N) float64, ``slot`` (T, N) of the same
        integer type: a leaf's row in ``values`` (-1 for inner nodes),
        ``values`` (T, L, O) float32: the leaf means.
    """
    model = {"extra": ExtraTreesRegressor, "random": RandomForestRegressor}[kind]
    forest = model(
        n_estimators=n_trees, min_samples_leaf=min_samples_leaf, max_features=max_features,
        random_state=random_state, n_jobs=1,
    ).fit(X, Y[:, 0] if Y.shape[1] == 1 else Y)  # fmt: skip
    trees = [est.tree_ for est in forest.estimators_]
    n_nodes = max(t.node_count for t in trees)
    n_leaves = max(int((t.children_left == _LEAF).sum()) for t in trees)
    n_trees, n_outputs = len(trees), Y.shape[1]
    # Small indices in 16 bits: the arrays are most of a model file's size.
    index = np.int16 if max(n_nodes, X.shape[1]) < np.iinfo(np.int16).max else np.int32
    out = {
        "left": np.full((n_trees, n_nodes), _LEAF, index),
        "right": np.full((n_trees, n_nodes), _LEAF, index),
        "feature": np.zeros((n_trees, n_nodes), index),
        "threshold": np.zeros((n_trees, n_nodes), np.float64),
        "slot": np.full((n_trees, n_nodes), -1, index),
        "values": np.zeros((n_trees, n_leaves, n_outputs), np.float32),
    }
    for i, t in enumerate(trees):
        n = t.node_count
        out["left"][i, :n], out["right"][i, :n] = t.children_left, t.children_right
        out["feature"][i, :n] = np.maximum(t.feature, 0)  # leaves have feature -2
        out["threshold"][i, :n] = t.threshold
        leaves = np.flatnonzero(t.children_left == _LEAF)
        out["slot"][i, leaves] = np.arange(len(leaves))
        out["values"][i, : len(leaves)] = t.value[leaves, :, 0]
    return out


def predict_forest(
    forest: dict[str, np.ndarray], X: np.ndarray, per_tree: bool = False
) -> np.ndarray:
    """Mean of the trees' leaf values, as ``ExtraTreesRegressor.predict``.

    Parameters
    ----------
    forest : dict of arrays from :func:`fit_forest` (numpy or CPU tensors)
    X : array, shape (n_samples, n_features)
    per_tree : bool
        Return every tree's prediction instead of their mean.

    Returns
    -------
    array, shape (n_samples, n_outputs), or (n_trees, n_samples, n_outputs) per tree
    """
    f = {k: np.asarray(v) for k, v in forest.items()}
    X = np.asarray(X, dtype=np.float32)  # scikit-learn compares float32 inputs
    T, B = f["left"].shape[0], X.shape[0]
    rows = np.arange(T)[:, None]
    node = np.zeros((T, B), dtype=np.int64)  # every sample starts at every root
    while True:
        left = f["left"][rows, node]
        inner = left != _LEAF
        if not inner.any():
            break
        x = X[np.arange(B)[None, :], f["feature"][rows, node]]
        go_left = x <= f["threshold"][rows, node]
        node = np.where(inner, np.where(go_left, left, f["right"][rows, node]), node)
    values = f["values"][rows, f["slot"][rows, node]]
    return values if per_tree else values.mean(axis=0)
