"""Landmarking: the cross-validated performance of quick learners (Pfahringer et al. 2000).

Each landmarker runs 5-fold stratified cross-validation (fewer folds when the smallest
class has fewer rows) on the landmarking sample and reports the error rate, Cohen's kappa
and macro one-vs-rest ROC AUC of its out-of-fold predictions. Names follow OpenML's
qualities where the learner is the same (DecisionStump, NaiveBayes, kNN1N).

NaN when the smallest class has a single row (no stratified split exists), when the
learner cannot fit a fold (e.g. LDA with no more rows than classes), and for the
landmarkers not started within the time budget (a warning says so).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata
from sklearn.base import ClassifierMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from autometa.exceptions import AutometaWarning
from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import BOTH, MetaFeature

__all__ = ["FEATURES", "LANDMARKERS", "Budget"]

LANDMARKERS: dict[str, Callable[[int], ClassifierMixin]] = {
    "DecisionStump": lambda seed: DecisionTreeClassifier(max_depth=1, random_state=seed),
    "RandomTreeDepth1": lambda seed: DecisionTreeClassifier(
        max_depth=1, splitter="random", max_features=1, random_state=seed
    ),
    "DecisionTreeDepth3": lambda seed: DecisionTreeClassifier(max_depth=3, random_state=seed),
    "NaiveBayes": lambda seed: GaussianNB(),
    "kNN1N": lambda seed: KNeighborsClassifier(n_neighbors=1),
    "LDA": lambda seed: LinearDiscriminantAnalysis(solver="svd"),
}
_REFS = {
    "DecisionStump": "OpenML DecisionStump* qualities; auto-sklearn LandmarkDecisionNodeLearner",
    "RandomTreeDepth1": "OpenML RandomTreeDepth1*; auto-sklearn LandmarkRandomNodeLearner",
    "DecisionTreeDepth3": "depth-3 CART tree (cf. OpenML REPTreeDepth3*)",
    "NaiveBayes": "OpenML NaiveBayes* qualities; auto-sklearn LandmarkNaiveBayes",
    "kNN1N": "OpenML kNN1N* qualities; auto-sklearn Landmark1NN",
    "LDA": "auto-sklearn LandmarkLDA (SVD solver: rank-tolerant on collinear data)",
}
NAN = "a class has a single row, the learner cannot fit a fold, or the time budget ran out"


class Budget:
    """The landmarkers' time budget (``Pieces.landmark_budget`` seconds from creation):
    whether another one may start, and one warning naming those that could not."""

    def __init__(self, p: Pieces) -> None:
        self.seconds = p.landmark_budget
        self.start = time.perf_counter()
        self.skipped: list[str] = []

    def allows(self, name: str) -> bool:
        if time.perf_counter() - self.start <= self.seconds:
            return True
        self.skipped.append(name)
        return False

    def warn(self) -> None:
        if self.skipped:
            warnings.warn(
                f"Landmarking budget of {self.seconds:g} s ran out; NaN for "
                f"{', '.join(self.skipped)}.",
                AutometaWarning,
                stacklevel=3,
            )


def _all_results(p: Pieces) -> dict[str, dict[str, float]]:
    if p.landmark_results:
        return p.landmark_results
    y = p.y_codes[p.landmark_rows]
    X = p.landmark_matrix
    n_splits = min(5, int(np.bincount(y).min()))
    nan = {"ErrRate": np.nan, "Kappa": np.nan, "AUC": np.nan}
    budget = Budget(p)
    trees: dict[str, np.ndarray] = {}
    for name, make in LANDMARKERS.items():
        if n_splits < 2 or not budget.allows(name):
            p.landmark_results[name] = dict(nan)
            continue
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=p.random_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name in trees:
                    proba = trees[name]
                elif name == "DecisionStump":
                    trees.update(_stump_and_depth3(X, y, cv, p.random_state))
                    proba = trees[name]
                else:
                    proba = cross_val_predict(
                        make(p.random_state), X, y, cv=cv, method="predict_proba"
                    )
        except (ValueError, IndexError, np.linalg.LinAlgError):
            proba = np.full((len(y), 1), np.nan)
        if not np.isfinite(proba).all():
            # e.g. LDA on a fold with no more rows than classes, or naive Bayes on a fold
            # where every column is constant: undefined, not an error.
            p.landmark_results[name] = dict(nan)
            continue
        pred = proba.argmax(axis=1)
        p.landmark_results[name] = {
            "ErrRate": float(np.mean(pred != y)),
            "Kappa": float(cohen_kappa_score(y, pred)) if len(np.unique(pred)) > 1 else 0.0,
            "AUC": _macro_auc(y, proba),
        }
    budget.warn()
    return p.landmark_results


def _stump_and_depth3(
    X: np.ndarray, y: np.ndarray, cv: StratifiedKFold, seed: int
) -> dict[str, np.ndarray]:
    """Out-of-fold probabilities of the stump and the depth-3 tree from one fit per fold.

    CART chooses the root split without regard to the depth limit, so a depth-3 tree's
    root split is the stump's split and its two children hold the stump's leaf class
    distributions: fitting the deeper tree gives both, one tree fit fewer per fold.
    """
    k = int(y.max()) + 1
    stump, depth3 = np.zeros((len(y), k)), np.zeros((len(y), k))
    for train, test in cv.split(X, y):
        tree = LANDMARKERS["DecisionTreeDepth3"](seed).fit(X[train], y[train])
        depth3[test] = tree.predict_proba(X[test])
        t = tree.tree_
        if t.node_count == 1:  # no split at all: the stump is the root's distribution
            stump[test] = depth3[test]
            continue
        left = X[test, t.feature[0]] <= t.threshold[0]
        values = t.value[:, 0, :]
        for child, rows in ((t.children_left[0], left), (t.children_right[0], ~left)):
            stump[test[rows]] = values[child] / values[child].sum()
    return {"DecisionStump": stump, "DecisionTreeDepth3": depth3}


def _macro_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """Macro one-vs-rest ROC AUC via the rank-sum (Mann-Whitney) identity, ties averaged:
    the same value as sklearn's roc_auc_score without its per-call validation cost."""
    aucs = []
    for k in range(proba.shape[1]):
        positive = y == k
        n_pos = int(positive.sum())
        n_neg = len(y) - n_pos
        if n_pos and n_neg:
            ranks = rankdata(proba[:, k])
            aucs.append((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs))


def _feature(name: str, metric: str) -> MetaFeature:
    return MetaFeature(
        f"{name}{metric}", "landmarking", lambda p: _all_results(p)[name][metric], _REFS[name], NAN
    )


FEATURES: list[MetaFeature] = [
    *[_feature(name, metric) for name in LANDMARKERS for metric in ("ErrRate", "Kappa", "AUC")],
    MetaFeature("LandmarkingSampleSize", "landmarking", lambda p: float(len(p.landmark_rows)),
                "autometa: rows in the landmarking sample", "", BOTH),
]  # fmt: skip
