"""When the MetaModel departs from the single best: the rule chosen by inner cross-validation.

The predicted scores are ``prior + blend(network, trees, tree_weight)`` (:func:`blend`:
the trees cover only the candidate configurations, the network covers all). Per dataset,
the model's top configuration replaces the single best only if its predicted margin over
the single best exceeds ``threshold`` (in target units: standard deviations of the
dataset's scores for standardised targets), so the model departs where it predicts a large
enough gain and stays put elsewhere, rather than one global shrinkage for every dataset.

:func:`choose_departure` picks (threshold, tree_weight) on the training datasets only:
``folds`` folds of whole families; for each pair of the grids, the mean normalised score of
the top-1 pick on the held-out fold; ties go to the larger threshold (departing less), then
to the smaller tree weight.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "THRESHOLD_GRID",
    "TREE_WEIGHT_GRID",
    "Residuals",
    "TreeResiduals",
    "blend",
    "choose_departure",
    "pick",
]

THRESHOLD_GRID = (0.0, 0.1, 0.25, 0.5, 1.0, float("inf"))
TREE_WEIGHT_GRID = (0.0, 0.5, 1.0)

#: ``residuals(X_train, Y_train, X_test) -> (n_test, n_configs)`` around Y_train's mean.
Residuals = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
#: ``residuals(X_train, Y_train, X_test, candidates) -> (n_test, n_candidates)``.
TreeResiduals = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def blend(
    network: np.ndarray, trees: np.ndarray, candidates: np.ndarray, weight: float
) -> np.ndarray:
    """Network residuals with the candidate columns mixed with the trees'.

    Parameters
    ----------
    network : array, shape (..., n_configs)
    trees : array, shape (..., n_candidates)
    candidates : array of int, shape (n_candidates,)
    weight : float
        Share of the trees on the candidate columns.
    """
    out = np.array(network, dtype=float, copy=True)
    if weight > 0 and len(candidates):
        out[..., candidates] = (1 - weight) * out[..., candidates] + weight * trees
    return out


def pick(
    scores: np.ndarray, single_best: int, threshold: float, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Top-1 column per row: the best predicted one (among ``allowed``) if its margin over
    the single best's predicted score exceeds ``threshold``, else the single best.

    Parameters
    ----------
    scores : array, shape (n_datasets, n_configs)
    single_best : int
    threshold : float
    allowed : array of int, optional
        The columns a departure may go to (default: every column).
    """
    if allowed is not None:
        keep = np.append(allowed, single_best)  # the single best is always allowed
        masked = np.full(scores.shape, -np.inf)
        masked[:, keep] = scores[:, keep]
        scores = masked
    top = scores.argmax(axis=1)
    margin = scores[np.arange(len(scores)), top] - scores[:, single_best]
    return np.where(margin > threshold, top, single_best)


def choose_departure(
    X: np.ndarray,
    Y: np.ndarray,
    Y_eval: np.ndarray,
    families: np.ndarray,
    thresholds: tuple[float, ...],
    weights: tuple[float, ...],
    folds: int,
    random_state: int,
    candidates_of: Callable[[np.ndarray], np.ndarray],
    network: Residuals,
    trees: TreeResiduals,
    within_candidates: bool = False,
) -> tuple[tuple[float, float], pd.DataFrame]:
    """The chosen (threshold, tree_weight) and the table of every pair's inner-CV score.

    Parameters
    ----------
    X : array, shape (n_datasets, n_features)
    Y : array, shape (n_datasets, n_configs)
        Targets the components learn.
    Y_eval : array, shape (n_datasets, n_configs)
        Normalised scores the picks are judged by (1 = the dataset's best).
    families : array of str, shape (n_datasets,)
        Whole families go to one fold.
    thresholds, weights : tuples
        The grids.
    candidates_of : callable
        ``candidates_of(Y_eval_train) -> column indices`` the trees cover (as in training).
    network, trees : callables
        Train on a fold's training part and return residuals for its test part.
    within_candidates : bool
        Departures go to a candidate only (``pick``'s ``allowed``).
    """
    pairs = [(t, w) for t in thresholds for w in weights]
    table = pd.DataFrame({"threshold": [t for t, _ in pairs], "tree_weight": [w for _, w in pairs]})
    if len(pairs) == 1:
        table["top1_score"] = np.nan
        return pairs[0], table
    rng = np.random.default_rng(random_state)
    groups = np.unique(families)
    fold_of = dict(zip(groups, rng.permutation(len(groups)) % folds, strict=True))
    fold = np.array([fold_of[f] for f in families])
    picked: dict[tuple[float, float], list[float]] = {p: [] for p in pairs}
    for k in range(folds):
        train, test = fold != k, fold == k
        if train.sum() < 2 or test.sum() == 0:
            continue
        prior = Y[train].mean(axis=0)
        single_best = int(Y_eval[train].mean(axis=0).argmax())
        candidates = candidates_of(Y_eval[train])
        net = network(X[train], Y[train], X[test])
        if max(weights) > 0:
            tree = trees(X[train], Y[train], X[test], candidates)
        else:
            tree = net[:, candidates]
        allowed = candidates if within_candidates else None
        for t, w in pairs:
            chosen = pick(prior + blend(net, tree, candidates, w), single_best, t, allowed)
            picked[t, w].extend(Y_eval[test][np.arange(test.sum()), chosen])
    means = [float(np.mean(picked[p])) if picked[p] else -np.inf for p in pairs]
    table["top1_score"] = means
    best = max(means)
    ties = [p for p, m in zip(pairs, means, strict=True) if m >= best - 1e-12]
    return min(ties, key=lambda p: (-p[0], p[1])), table
