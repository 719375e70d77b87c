"""The input schema of a fitted model: which columns it expects and how to prepare them.

A model is fitted on a :class:`~autometa.table.tabular.Task`, whose columns went through the rules
of ``autometa/table/tabular.py`` (dropped, converted to numbers, integer codes turned into
category text, dates expanded). :class:`InputSchema` records the outcome so that new rows
at prediction time are prepared the same way, and checks them first: a missing feature
column or a column the model never saw is an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.table.reading import check_duplicates
from autometa.table.tabular import Task

__all__ = ["InputSchema"]

DATE_PARTS = ("year", "month", "day", "weekday")


@dataclass
class InputSchema:
    """What a fitted model expects as input.

    Attributes
    ----------
    feature_columns : list of str
        Every feature column of the training input, in order (kept or dropped).
    kinds : dict
        Model column -> "numeric" or "categorical", in the model's column order. A model
        column is an input column, or ``{input}_{part}`` for an expanded date.
    target : str
        The training target column; ignored when present at prediction time.
    classes : list
        The class labels, as text.
    inf_as_missing : bool
        Whether infinite values become missing (else they are an error).
    """

    feature_columns: list[str]
    kinds: dict[str, str]
    target: str = "target"
    classes: list[str] = field(default_factory=list)
    inf_as_missing: bool = False

    @classmethod
    def from_task(cls, task: Task, inf_as_missing: bool = False) -> InputSchema:
        columns = task.feature_columns or list(task.kinds) + list(task.dropped)
        return cls(
            list(columns),
            dict(task.kinds),
            task.target,
            [str(c) for c in task.classes],
            inf_as_missing,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_columns": list(self.feature_columns),
            "kinds": dict(self.kinds),
            "target": self.target,
            "classes": list(self.classes),
            "inf_as_missing": self.inf_as_missing,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSchema:
        try:
            return cls(
                [str(c) for c in data["feature_columns"]],
                {str(k): str(v) for k, v in data["kinds"].items()},
                str(data["target"]),
                [str(c) for c in data["classes"]],
                bool(data["inf_as_missing"]),
            )
        except (KeyError, AttributeError, TypeError) as exc:
            raise BadInputError(f"The model file's input schema is damaged ({exc}).") from exc

    @property
    def required_columns(self) -> list[str]:
        """Input columns the model uses (a date column once for all its parts)."""
        needed: list[str] = []
        for col in self.kinds:
            source = col if col in self.feature_columns else _date_source(col)
            if source not in needed:
                needed.append(source)
        return needed

    def transform(self, X: object, label: str = "the input") -> pd.DataFrame:
        """Check new rows against the schema and prepare them as in training.

        Parameters
        ----------
        X : DataFrame or 2-d array, shape (n_rows, n_columns)
            A DataFrame is matched by column name (the target column, if present, is
            ignored); an array must have one column per training feature column, in order.
        label : str
            How to name the input in error messages (e.g. a file name).

        Returns
        -------
        DataFrame, shape (n_rows, len(kinds))
            Numeric columns as float64, categorical columns as text (NaN missing).
        """
        frame = self._as_frame(X, label)
        out: dict[str, pd.Series] = {}
        for col, kind in self.kinds.items():
            if col in frame.columns:
                values = frame[col]
            else:  # an expanded date part
                source = _date_source(col)
                part = col[len(source) + 1 :]
                dates = pd.to_datetime(frame[source], errors="coerce")
                values = getattr(dates.dt, "day_of_week" if part == "weekday" else part)
            out[col] = (
                _as_text(values) if kind == "categorical" else self._as_numbers(values, col, label)
            )
        return pd.DataFrame(out, index=frame.index)

    def _as_frame(self, X: object, label: str) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            frame = X.set_axis([str(c).strip() for c in X.columns], axis=1)
            check_duplicates(list(frame.columns), label)
        else:
            arr = np.asarray(X, dtype=object)
            if arr.ndim != 2:
                raise BadInputError(f"X must be 2-dimensional; got an array of shape {arr.shape}.")
            if arr.shape[1] != len(self.feature_columns):
                raise BadInputError(
                    f"{label} has {arr.shape[1]} columns; the model was fitted on "
                    f"{len(self.feature_columns)}."
                )
            frame = pd.DataFrame(arr, columns=self.feature_columns)
        if len(frame) == 0:
            raise BadInputError(f"{label} has no rows.")
        missing = [c for c in self.required_columns if c not in frame.columns]
        if missing:
            raise BadInputError(
                f"{label} lacks column(s) the model needs: {_names(missing)}. The model "
                f"expects: {_names(self.feature_columns)}."
            )
        extra = [c for c in frame.columns if c not in self.feature_columns and c != self.target]
        if extra:
            raise BadInputError(
                f"{label} has column(s) the model was not fitted on: {_names(extra)}. Remove "
                f"them; the model expects: {_names(self.feature_columns)}."
            )
        return frame

    def _as_numbers(self, values: pd.Series, col: str, label: str) -> pd.Series:
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            # Already numbers: nothing to coerce, so no per-column search for bad values
            # (it was most of a prediction's time on tables of 1,000 columns).
            numbers = values.astype(float)
            bad = None
        else:
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
            bad = values.notna() & numbers.isna()
        if bad is not None and bad.any():
            first = values[bad].iloc[0]
            raise BadInputError(
                f"Column '{col}' of {label} must hold numbers; found {first!r} "
                f"({int(bad.sum())} value(s) are not numbers)."
            )
        inf = np.isinf(numbers.to_numpy())
        if inf.any():
            if not self.inf_as_missing:
                raise BadInputError(
                    f"Column '{col}' of {label} holds infinite values ({int(inf.sum())}). "
                    "Replace them (the model was fitted without inf_as_missing)."
                )
            numbers = numbers.mask(inf)
        return numbers


def _as_text(values: pd.Series) -> pd.Series:
    """Category text as training made it: integer-valued numbers without a trailing '.0'."""
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(object)
    if pd.api.types.is_numeric_dtype(values):
        return values.map(
            lambda v: str(int(v)) if float(v).is_integer() else str(v), na_action="ignore"
        ).astype(object)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() == values.notna().sum() and values.notna().any():
        # Text that is all numbers was read as numbers in training, e.g. "3" and "3.0".
        return _as_text(numbers.astype(float))
    return values.map(str, na_action="ignore").astype(object)


def _date_source(col: str) -> str:
    source, _, part = col.rpartition("_")
    if part not in DATE_PARTS or not source:
        raise BadInputError(f"The model's column '{col}' has no input column.")
    return source


def _names(columns: list[str], limit: int = 20) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:limit])
    return shown + (f" ... ({len(columns)} in all)" if len(columns) > limit else "")
