"""Meta-features of a numeric (regression) target: its shape, how the columns relate to it,
and landmarkers with quick regressors.

- Target moments on the whole table: skewness and kurtosis (scipy.stats defaults, as the
  statistical group), coefficient of variation, share of distinct values, share of
  integer values, share of outliers (Tukey's 1.5 IQR fences).
- |Pearson r| of each numeric column with the target, and the mutual information (bits)
  of each column with the target, both binned into 10 equal-frequency bins (numbers too):
  seven summaries each, on the statistical sample (see pieces.py).
- Landmarkers (Pfahringer et al. 2000, for regression as in PyMFE's ``landmarking``
  group): 5-fold cross-validated R2 of ordinary least squares (a tiny ridge penalty keeps
  it defined on collinear columns), a decision stump, a depth-3 tree, 1-NN and the mean of
  the training folds, on the landmarking sample; within the landmarking time budget.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from autometa.metafeatures.landmarking import Budget
from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import REGRESSION, MetaFeature, summaries

__all__ = ["FEATURES", "REGRESSION_LANDMARKERS"]

REF = "autometa: regression target (cf. PyMFE's general and statistical groups)"
NO_NUM = "the table has no numeric column"
FLAT = "the target's mean is 0"
NAN = "the learner cannot fit a fold, or the time budget ran out"

REGRESSION_LANDMARKERS: dict[str, Callable[[int], RegressorMixin]] = {
    "Linear": lambda seed: Ridge(alpha=1e-6),
    "Stump": lambda seed: DecisionTreeRegressor(max_depth=1, random_state=seed),
    "TreeDepth3": lambda seed: DecisionTreeRegressor(max_depth=3, random_state=seed),
    "1NN": lambda seed: KNeighborsRegressor(n_neighbors=1),
    "Mean": lambda seed: DummyRegressor(),
}


def _moment(y: np.ndarray, order: int) -> float:
    d = y - y.mean()
    m2 = float(np.mean(d**2))
    if m2 <= 1e-12 * max(1.0, float(y.mean()) ** 2):
        return float("nan")
    value = float(np.mean(d**order)) / m2 ** (order / 2)
    return value - 3.0 if order == 4 else value


def _variation(p: Pieces) -> float:
    mean = float(p.y_values.mean())
    return float(p.y_values.std(ddof=1)) / abs(mean) if mean != 0 else float("nan")


def _outliers(p: Pieces) -> float:
    q1, q3 = np.quantile(p.y_values, [0.25, 0.75])
    fence = 1.5 * (q3 - q1)
    return float(np.mean((p.y_values < q1 - fence) | (p.y_values > q3 + fence)))


def _landmarks(p: Pieces) -> dict[str, float]:
    """Cross-validated R2 of every regression landmarker (cached on the pieces)."""
    if "regression" in p.landmark_results:
        return p.landmark_results["regression"]
    X, y = p.landmark_matrix, p.y_values[p.landmark_rows]
    n_splits = min(5, len(y))
    results: dict[str, float] = {}
    budget = Budget(p)
    total = float(((y - y.mean()) ** 2).sum())
    for name, make in REGRESSION_LANDMARKERS.items():
        if n_splits < 2 or not budget.allows(name):
            results[name] = float("nan")
            continue
        cv = KFold(n_splits, shuffle=True, random_state=p.random_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = cross_val_predict(make(p.random_state), X, y, cv=cv)
        except (ValueError, np.linalg.LinAlgError):
            pred = np.full(len(y), np.nan)
        ok = np.isfinite(pred).all() and total > 0
        results[name] = 1.0 - float(((y - pred) ** 2).sum()) / total if ok else float("nan")
    budget.warn()
    p.landmark_results["regression"] = results
    return results


def _landmark(name: str) -> MetaFeature:
    return MetaFeature(f"Landmark{name}R2", "target", lambda p: _landmarks(p)[name],
                       "landmarker R2 (5-fold CV on the landmarking sample)", NAN, REGRESSION)  # fmt: skip


FEATURES: list[MetaFeature] = [
    MetaFeature("TargetSkewness", "target", lambda p: _moment(p.y_values, 3), REF, "", REGRESSION),
    MetaFeature("TargetKurtosis", "target", lambda p: _moment(p.y_values, 4), REF, "", REGRESSION),
    MetaFeature("TargetCoefficientOfVariation", "target", _variation, REF, FLAT, REGRESSION),
    MetaFeature("TargetDistinctValuesRatio", "target",
                lambda p: float(len(np.unique(p.y_values))) / p.n, REF, "", REGRESSION),
    MetaFeature("TargetIntegerValuesRatio", "target",
                lambda p: float(np.mean(np.mod(p.y_values, 1) == 0)), REF, "", REGRESSION),
    MetaFeature("TargetOutlierFraction", "target", _outliers, REF, "", REGRESSION),
    *summaries("{}AbsCorrelationWithTarget", "target", lambda p: p.target_correlations, REF, NO_NUM,
               REGRESSION),
    *summaries("{}MutualInformationWithTarget", "target", lambda p: p.entropy_pieces["mi"], REF,
               "", REGRESSION),
    *[_landmark(name) for name in REGRESSION_LANDMARKERS],
]  # fmt: skip
