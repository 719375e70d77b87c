"""Dataset meta-features: an explicit registry of named pure functions, grouped.

>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True, as_frame=True)
>>> mf = extract_metafeatures(X, y)
>>> mf["NumberOfClasses"]
3.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from threadpoolctl import threadpool_limits

from autometa.exceptions import BadInputError
from autometa.metafeatures import complexity, info, landmarking, simple, statistical
from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import GROUPS, MetaFeature
from autometa.tabular import Task, task_from_xy

__all__ = [
    "GROUPS",
    "REGISTRY",
    "MetaFeature",
    "catalogue",
    "extract_metafeatures",
    "feature_names",
]

REGISTRY: tuple[MetaFeature, ...] = (
    *simple.FEATURES,
    *statistical.FEATURES,
    *info.FEATURES,
    *landmarking.FEATURES,
    *complexity.FEATURES,
)
if len({f.name for f in REGISTRY}) != len(REGISTRY):  # pragma: no cover - a coding error
    raise RuntimeError("duplicate meta-feature names in the registry")


def _selected(groups: Sequence[str] | None) -> list[MetaFeature]:
    if groups is None:
        return list(REGISTRY)
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise BadInputError(
            f"Unknown meta-feature groups: {', '.join(unknown)}; known: {', '.join(GROUPS)}."
        )
    return [f for f in REGISTRY if f.group in groups]


def feature_names(groups: Sequence[str] | None = None) -> list[str]:
    """Ordered names of the meta-features of the given groups (all by default)."""
    return [f.name for f in _selected(groups)]


def catalogue() -> pd.DataFrame:
    """The registry as a table: name, group, reference, nan_when."""
    return pd.DataFrame(
        [(f.name, f.group, f.reference, f.nan_when) for f in REGISTRY],
        columns=["name", "group", "reference", "nan_when"],
    )


def extract_metafeatures(
    X: object,
    y: object = None,
    *,
    groups: Sequence[str] | None = None,
    random_state: int = 0,
    landmark_budget: float = 10.0,
    max_rows_landmarking: int = 2000,
    max_cells: int = 20_000_000,
) -> pd.Series:
    """Compute the meta-features of a table.

    Parameters
    ----------
    X : DataFrame, array of shape (n_rows, n_features), or Task
        Features (categorical columns and missing values allowed), or a validated Task
        (then ``y`` must be None).
    y : array-like of shape (n_rows,)
        Class labels.
    groups : sequence of str, optional
        Subset of GROUPS; default all.
    random_state : int
        Seeds the samples and randomised landmarkers: same seed, same values.
    landmark_budget : float
        Seconds the landmarkers may take together (see landmarking.py).
    max_rows_landmarking, max_cells : int
        Sample sizes of the costly groups (see pieces.py).

    Returns
    -------
    Series
        Float values indexed by ``feature_names(groups)``, always in that order; NaN only
        where a feature is undefined (see ``catalogue()["nan_when"]``) or, for moments,
        where values near the float64 limit overflow.
    """
    if isinstance(X, Task):
        task = X
    else:
        if y is None:
            raise BadInputError("extract_metafeatures needs y (the class labels) with X.")
        task = task_from_xy(X, y, min_class_rows=1)
    pieces = Pieces(task, random_state, max_cells, max_rows_landmarking, landmark_budget)
    values = {}
    # One BLAS/OpenMP thread: the matrices here are small or thin, where threads cost more
    # than they give, most of all when other work holds the cores.
    with threadpool_limits(limits=1):
        for feature in _selected(groups):
            value = float(feature.fn(pieces))
            # Non-finite only from float64 overflow on extreme values: NaN, as documented.
            values[feature.name] = value if math.isfinite(value) else float("nan")
    return pd.Series(values, dtype=float, name=task.name)
