"""The target column of a table: its task kind, its class labels or regression values, and
the labels that stratify its splits (``load_table`` in tabular.py applies these rules).

The task kind (``task="auto"``, the default) follows these rules:

- a text, boolean or categorical target                      -> classification
- numbers with a non-integer value: 3 or more distinct values  -> regression
  (2 distinct non-integer values is ambiguous: an error asks which kind was meant)
- integers: more than 100 distinct values, or more than 20 that are also more than 5 % of
  the rows                                                     -> regression
- other integers (0/1, codes of a few classes)                 -> classification

``task="classification"`` or ``"regression"`` forces it; a kind the target cannot hold
(non-integer numbers as classes, a class of one row, text or dates as a regression target)
is a clear error. A regression target must be finite and not constant; rows with a
missing target are dropped with a warning, for either kind.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from autometa.exceptions import AutometaWarning, BadInputError

__all__ = [
    "DATE_PATTERN",
    "MAX_CLASSES",
    "TASK_KINDS",
    "TaskKind",
    "as_task_kind",
    "shown",
    "stratification_labels",
    "validate_target",
]

TaskKind = Literal["classification", "regression"]
TASK_KINDS: tuple[TaskKind, ...] = ("classification", "regression")
MAX_CLASSES = 100
MANY_INTEGER_LEVELS = 20  # an integer target with more levels, and ...
LEVELS_SHARE = 0.05  # ... more levels than this share of the rows, is a quantity
DATE_PATTERN = r"\d{1,4}[-/]\d{1,2}[-/]\d{1,4}"  # text that may be a date
REGRESSION_BINS = 10  # quantile bins that stand in for classes when splitting regression rows


def as_task_kind(value: str) -> TaskKind:
    """``value`` as a TaskKind; a clear error for anything else (e.g. a corrupt file's)."""
    for kind in TASK_KINDS:
        if value == kind:
            return kind
    raise BadInputError(f"Unknown task kind '{value}'; use one of: {', '.join(TASK_KINDS)}.")


def stratification_labels(y: np.ndarray, kind: str, folds: int = 1) -> np.ndarray:
    """Class labels as they are, or a regression target cut into ``REGRESSION_BINS``
    quantile bins (fewer where values repeat), so that holdouts, folds and subsamples of a
    regression table cover its whole range, as stratification does for classes. For a
    ``folds``-fold split, at most ``len(y) // folds`` bins, so that a bin can fill the folds
    (15 rows in 10 bins could not be cut into 3 stratified folds)."""
    if kind != "regression":
        return np.asarray(y)
    values = np.asarray(y, dtype=float)
    bins = max(min(REGRESSION_BINS, len(values) // max(folds, 1)), 1)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right")


def validate_target(
    raw: pd.Series, target: str, label: str, min_class_rows: int, task: str
) -> tuple[pd.Series, TaskKind]:
    y = raw[raw.notna()]
    if len(y) < len(raw):
        if len(y) == 0:
            raise BadInputError(f"Target column '{target}' of {label} has no values.")
        warnings.warn(
            f"Dropped {len(raw) - len(y)} rows of {label} whose target '{target}' is missing.",
            AutometaWarning,
            stacklevel=4,
        )
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    kind = _task_kind(y, target, label, numeric) if task == "auto" else task
    if kind == "regression":
        return _regression_target(y, target, label, numeric), "regression"
    return _class_target(y, target, label, min_class_rows, numeric), "classification"


def _task_kind(y: pd.Series, target: str, label: str, numeric: bool) -> TaskKind:
    """The rules of the module docstring for ``task="auto"``."""
    if not numeric:
        return "classification"
    values = y.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise BadInputError(f"Target column '{target}' of {label} holds infinite values.")
    levels = int(y.nunique())
    if (np.mod(values, 1) != 0).any():
        if levels <= 2:
            raise BadInputError(
                f"Target column '{target}' of {label} holds {levels} distinct non-integer "
                f"numbers ({', '.join(f'{v:g}' for v in sorted(y.unique())[:2])}): classes or "
                "a quantity? Say which with task='classification' or task='regression' "
                "(CLI: --task)."
            )
        return "regression"
    many = levels > MAX_CLASSES or (levels > MANY_INTEGER_LEVELS and levels > LEVELS_SHARE * len(y))
    return "regression" if many else "classification"


def _regression_target(y: pd.Series, target: str, label: str, numeric: bool) -> pd.Series:
    if not numeric:
        dates = pd.api.types.is_datetime64_any_dtype(y) or bool(
            y.astype(str).str.contains(DATE_PATTERN).all()
        )
        what = "dates" if dates else "text or booleans"
        converted = None if dates else pd.to_numeric(y.astype(object), errors="coerce")
        if converted is None or converted.isna().any() or pd.api.types.is_bool_dtype(y):
            raise BadInputError(
                f"Target column '{target}' of {label} holds {what}, not numbers: it cannot be "
                "a regression target. Use task='classification' for class labels."
            )
        y = converted
    values = y.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise BadInputError(f"Target column '{target}' of {label} holds infinite values.")
    if len(np.unique(values)) < 2:
        raise BadInputError(
            f"Target column '{target}' of {label} is constant ({float(values[0]):g}); there is "
            "nothing to predict."
        )
    return pd.Series(values, index=y.index, name=y.name)


def shown(label: object) -> str:
    """A class label as the user wrote it: 2 or 'yes', not np.int64(2)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _class_target(
    y: pd.Series, target: str, label: str, min_class_rows: int, numeric: bool
) -> pd.Series:
    if numeric:
        values = y.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise BadInputError(f"Target column '{target}' of {label} holds infinite values.")
        if (np.mod(values, 1) != 0).any() or y.nunique() > MAX_CLASSES:
            raise BadInputError(
                f"Target column '{target}' of {label} looks continuous ({y.nunique()} distinct "
                "numeric values), not class labels. For regression use task='regression' "
                "(CLI: --task regression; estimator: AutoMetaRegressor); if the values are "
                "class labels, convert them to text."
            )
        if pd.api.types.is_float_dtype(y):
            y = y.astype(np.int64)
    elif not pd.api.types.is_bool_dtype(y):
        y = y.astype(str).astype(object)
    counts = y.value_counts()
    if len(counts) < 2:
        raise BadInputError(
            f"Target column '{target}' of {label} has a single class ({shown(counts.index[0])}); "
            "classification needs at least two."
        )
    if len(counts) > MAX_CLASSES:
        raise BadInputError(
            f"Target column '{target}' of {label} has {len(counts)} classes (more than "
            f"{MAX_CLASSES}); check that this is the class column."
        )
    singles = list(counts.index[counts < min_class_rows])
    if singles:
        listed = ", ".join(shown(s) for s in singles[:10])
        raise BadInputError(
            f"Class {listed} of target '{target}' in {label} has a single row; every class "
            "needs at least 2 rows for stratified validation. Remove or merge that class."
        )
    return y
