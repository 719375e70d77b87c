"""Dataset meta-features: an explicit registry of named pure functions, grouped.

>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True, as_frame=True)
>>> mf = extract_metafeatures(X, y)
>>> mf["NumberOfClasses"]
3.0

A table of more than ``MAX_ROWS`` rows (21,000) is described by a stratified sample of
``MAX_ROWS`` rows, every group included (``NumberOfInstances`` is then 21,000): the shipped
meta-dataset's tables were capped at that many rows before their meta-features were
computed, so a big table's meta-features are of the kind the meta-models learned from, and
its size reaches them as the training-size feature instead. It also bounds the cost at any
size; ``python -m benchmarks.metafeatures_sampled`` measures how far the sample's values
and the shipped ranking move from those of all rows on the corpus's big tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from threadpoolctl import threadpool_limits

from autometa.exceptions import BadInputError
from autometa.metafeatures import complexity, info, landmarking, simple, statistical, target
from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import GROUPS, MetaFeature
from autometa.table.sampling import stratified_subsample
from autometa.table.tabular import TASK_KINDS, Task, task_from_xy

# The shipped build's row cap (``BuildSettings.max_rows``: its top rung plus its holdout;
# a test checks they agree). metafeatures sits below metadataset, so the number is here.
MAX_ROWS = 21_000

__all__ = [
    "GROUPS",
    "MAX_ROWS",
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
    *target.FEATURES,
)
if len({f.name for f in REGISTRY}) != len(REGISTRY):  # pragma: no cover - a coding error
    raise RuntimeError("duplicate meta-feature names in the registry")


def _selected(groups: Sequence[str] | None, task: str = "classification") -> list[MetaFeature]:
    if task not in TASK_KINDS:
        raise BadInputError(f"task must be one of {', '.join(TASK_KINDS)}; got {task!r}.")
    unknown = sorted(set(groups or ()) - set(GROUPS))
    if unknown:
        raise BadInputError(
            f"Unknown meta-feature groups: {', '.join(unknown)}; known: {', '.join(GROUPS)}."
        )
    return [f for f in REGISTRY if task in f.tasks and (groups is None or f.group in groups)]


def feature_names(groups: Sequence[str] | None = None, task: str = "classification") -> list[str]:
    """Ordered names of the meta-features of the given groups (all by default) for a task
    kind (classification: 115; regression: the target-free ones and the target group)."""
    return [f.name for f in _selected(groups, task)]


def catalogue() -> pd.DataFrame:
    """The registry as a table: name, group, reference, nan_when, tasks."""
    return pd.DataFrame(
        [(f.name, f.group, f.reference, f.nan_when, " ".join(f.tasks)) for f in REGISTRY],
        columns=["name", "group", "reference", "nan_when", "tasks"],
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
    task: str = "auto",
    max_rows: int | None = MAX_ROWS,
) -> pd.Series:
    """Compute the meta-features of a table.

    Parameters
    ----------
    X : DataFrame, array of shape (n_rows, n_features), or Task
        Features (categorical columns and missing values allowed), or a validated Task
        (then ``y`` must be None).
    y : array-like of shape (n_rows,)
        Class labels or a numeric target.
    groups : sequence of str, optional
        Subset of GROUPS; default all.
    random_state : int
        Seeds the samples and randomised landmarkers: same seed, same values.
    landmark_budget : float
        Seconds the landmarkers may take together (see landmarking.py).
    max_rows_landmarking, max_cells : int
        Sample sizes of the costly groups (see pieces.py).
    task : str
        With (X, y): "auto" (``load_table``'s rules), "classification" or "regression".
        A Task carries its own kind.
    max_rows : int or None
        A larger table is described by a stratified sample of this many rows (see the
        module docstring); None: every row.

    Returns
    -------
    Series
        Float values indexed by ``feature_names(groups, kind)`` for the table's task kind,
        always in that order; NaN only where a feature is undefined (see ``catalogue()["nan_when"]``) or, for moments,
        where values near the float64 limit overflow.
    """
    if isinstance(X, Task):
        table = X
    else:
        if y is None:
            raise BadInputError("extract_metafeatures needs y (the target) with X.")
        table = task_from_xy(X, y, min_class_rows=1, task=task)
    if max_rows is not None and len(table.y) > max_rows:
        table = table.subset(stratified_subsample(table.strata, max_rows, random_state))
    pieces = Pieces(table, random_state, max_cells, max_rows_landmarking, landmark_budget)
    values = {}
    # One BLAS/OpenMP thread: the matrices here are small or thin, where threads cost more
    # than they give, most of all when other work holds the cores.
    with threadpool_limits(limits=1):
        for feature in _selected(groups, table.kind):
            value = float(feature.fn(pieces))
            # Non-finite only from float64 overflow on extreme values: NaN, as documented.
            values[feature.name] = value if math.isfinite(value) else float("nan")
    return pd.Series(values, dtype=float, name=table.name)
