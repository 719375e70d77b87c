"""Task families from files: a folder of same-schema tables, or one table split by a group
column, checked and turned into the (X, y) list ``meta_fit`` takes.

Task kind rule: regression when every task's target is numeric and the family's target
has more than ``REGRESSION_MIN_DISTINCT`` (10) distinct values; classification otherwise
(labels as text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.table.reading import read_file

__all__ = ["REGRESSION_MIN_DISTINCT", "TaskFamily", "load_family", "select_features"]

REGRESSION_MIN_DISTINCT = 10


@dataclass
class TaskFamily:
    """Same-schema tasks ready for ``meta_fit``.

    Attributes
    ----------
    labels : list of str
        Where each task came from ("'a.csv'", "group 3").
    features : list of str
        The feature columns, the same in every task.
    tasks : list of (DataFrame, ndarray)
        X (n_rows_i, n_features) and y (n_rows_i,) per task.
    regression : bool
    """

    labels: list[str]
    features: list[str]
    tasks: list[tuple[pd.DataFrame, np.ndarray]]
    regression: bool


def load_family(source: str | Path, target: str, group_column: str | None = None) -> TaskFamily:
    """Read a folder of tables (one task each) or one table split by ``group_column``."""
    frames = _frames(Path(source), group_column)
    names = _features(frames[0][1], target, group_column, frames[0][0])
    for label, frame in frames[1:]:
        if _features(frame, target, group_column, label) != names:
            raise BadInputError(
                f"Task {label} has different feature columns than {frames[0][0]}; every task "
                "needs the same columns."
            )
    ys = [frame[target] for _, frame in frames]
    regression = all(pd.api.types.is_numeric_dtype(y) for y in ys) and (
        pd.concat(ys).nunique() > REGRESSION_MIN_DISTINCT
    )
    tasks = [
        (
            frame[names],
            frame[target].to_numpy() if regression else frame[target].astype(str).to_numpy(),
        )
        for _, frame in frames
    ]
    return TaskFamily([label for label, _ in frames], names, tasks, regression)


def select_features(frame: pd.DataFrame, names: list[str], label: str) -> pd.DataFrame:
    """The columns ``names`` of ``frame``; a clear error naming the missing ones."""
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise BadInputError(f"{label} lacks feature column(s) {missing[:10]}.")
    return frame[names]


def _frames(source: Path, group_column: str | None) -> list[tuple[str, pd.DataFrame]]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise BadInputError(f"Folder '{source}' holds no task files.")
        return [(f"'{p.name}'", read_file(p)) for p in files]
    if group_column is None:
        raise BadInputError(
            f"'{source}' is one file: pass --group-column to split it into tasks, or give a "
            "folder with one CSV per task."
        )
    frame = read_file(source)
    if group_column not in frame.columns:
        raise BadInputError(f"Group column '{group_column}' not found in '{source}'.")
    return [(f"group {g!r}", part.drop(columns=group_column))
            for g, part in frame.groupby(group_column, sort=True)]  # fmt: skip


def _features(frame: pd.DataFrame, target: str, group: str | None, label: str) -> list[str]:
    if target not in frame.columns:
        raise BadInputError(f"Target column '{target}' not found in task {label}.")
    names = [c for c in frame.columns if c not in (target, group)]
    text = [c for c in names if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise BadInputError(
            f"Column(s) {text[:5]} of task {label} are not numeric; MAML learners need numeric "
            "features (encode them first)."
        )
    return names
