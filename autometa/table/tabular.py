"""Load and validate tables: the one place where user data is checked.

A table becomes a :class:`Task`: the feature frame ``X``, the target ``y`` (class labels or
numbers), the task kind and each column's kind.

The task kind and the target follow the rules of ``autometa/table/targets.py``.

Column kinds follow these documented rules, applied in order:

1. all values missing                                   -> dropped ("all values missing")
2. datetime dtype, or text that parses as dates         -> dropped, or expanded into
                                                           year/month/day/weekday columns
                                                           with ``expand_dates=True``
3. at most one distinct value                           -> dropped ("constant")
4. bool, category or text                               -> categorical
   (text where every value is a number is numeric; text where >= 90 % of the values are
   numbers is an error: a mixed column is almost always a data-entry mistake)
5. text with a distinct value in every row (>= 20 rows) -> dropped ("identifier-like")
6. integer values that run 0..n-1 or 1..n, one per row  -> dropped ("identifier-like")
7. integer-valued numbers with <= 10 distinct values    -> categorical (PMLB and many CSVs
                                                           integer-encode categories)
8. any other number                                     -> numeric

A categorical column with more than ``max_categories`` (1,000) distinct values keeps its
``max_categories - 1`` most frequent values; the rest become ``"__other__"`` (with a
warning), which bounds one-hot widths. Infinite values are an error unless
``inf_as_missing=True``, which turns them into missing values.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from autometa.exceptions import AutometaWarning, BadInputError
from autometa.table.reading import check_duplicates, read_file
from autometa.table.sampling import sample_rows
from autometa.table.targets import (
    DATE_PATTERN,
    TASK_KINDS,
    TaskKind,
    stratification_labels,
    validate_target,
)

__all__ = [
    "TASK_KINDS",
    "ColumnKind",
    "Task",
    "TaskKind",
    "load_table",
    "stratification_labels",
    "task_from_xy",
]

ColumnKind = Literal["numeric", "categorical"]

LOW_CARDINALITY_INT = 10
MAX_CATEGORIES = 1000
OTHER = "__other__"


@dataclass
class Task:
    """A validated table.

    Attributes
    ----------
    X : DataFrame, shape (n_rows, n_kept_columns)
        Numeric columns as float64 (float32 where a big file was read compact, see
        ``reading.py``), categorical columns as object (str values, NaN missing).
    y : Series, shape (n_rows,)
        Class labels (classification: at least two rows per class) or finite float64
        values (regression); no missing values.
    kinds : dict
        Kept column name -> "numeric" or "categorical", in X's column order.
    dropped : dict
        Dropped column name -> reason.
    name, target : str
        Dataset name and target column name.
    feature_columns : list of str
        The input's feature columns (before dropping or date expansion), in input order;
        what a fitted model expects to be given again at prediction time.
    """

    X: pd.DataFrame
    y: pd.Series
    kinds: dict[str, ColumnKind]
    dropped: dict[str, str] = field(default_factory=dict)
    name: str = "data"
    target: str = "target"
    feature_columns: list[str] = field(default_factory=list)
    kind: TaskKind = "classification"

    def subset(self, rows: np.ndarray) -> Task:
        """The same task restricted to ``rows`` (positions), re-indexed from 0."""
        return replace(
            self,
            X=self.X.iloc[rows].reset_index(drop=True),
            y=self.y.iloc[rows].reset_index(drop=True),
        )

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == "numeric"]

    @property
    def categorical_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == "categorical"]

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(pd.unique(self.y))

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for a regression task)."""
        return int(self.y.nunique()) if self.kind == "classification" else 0

    @property
    def strata(self) -> np.ndarray:
        """Labels to stratify splits and samples by: the classes, or quantile bins of a
        regression target (see :func:`stratification_labels`)."""
        return stratification_labels(self.y.to_numpy(), self.kind)


def load_table(
    source: str | Path | pd.DataFrame,
    target: str,
    *,
    name: str | None = None,
    expand_dates: bool = False,
    inf_as_missing: bool = False,
    max_categories: int = MAX_CATEGORIES,
    min_class_rows: int = 2,
    task: str = "auto",
    max_rows: int | None = None,
    random_state: int = 0,
) -> Task:
    """Read a CSV/TSV (optionally gzip or zip), a parquet file or a DataFrame into a Task.

    Parameters
    ----------
    source : path or DataFrame
        File path (delimiter sniffed; ``.gz`` / ``.zip`` decompressed; ``.parquet`` needs
        pyarrow) or a DataFrame holding the target column.
    target : str
        Name of the target column.
    name : str, optional
        Dataset name; defaults to the file name without suffixes.
    expand_dates, inf_as_missing, max_categories
        See the module docstring.
    min_class_rows : int
        Smallest allowed class size (2: stratified validation needs two rows per class).
    task : str
        "auto" (the rules of the module docstring), "classification" or "regression".
    max_rows : int, optional
        A random sample of this many rows (seed ``random_state``; see ``read_file``).

    Raises
    ------
    BadInputError
        For every problem with the data; the message names the file, column or value.
    """
    if isinstance(source, pd.DataFrame):
        frame, label = source, "the DataFrame"
        name, frame = name or "data", sample_rows(frame, max_rows, random_state)
    else:
        path = Path(source)
        frame, label = read_file(path, max_rows, random_state), f"'{path}'"
        name = name or path.name.split(".")[0]
    if task not in ("auto", *TASK_KINDS):
        raise BadInputError(f"task must be 'auto', 'classification' or 'regression', not {task!r}.")
    return _validate(
        frame, target, name, label, expand_dates, inf_as_missing, max_categories,
        min_class_rows, task,
    )  # fmt: skip


def task_from_xy(
    X: object,
    y: object,
    *,
    name: str = "data",
    min_class_rows: int = 2,
    inf_as_missing: bool = False,
    expand_dates: bool = False,
    task: str = "auto",
) -> Task:
    """Validate an (X, y) pair, as given to ``fit``, into a Task (same rules as load_table).

    ``min_class_rows=1`` accepts classes with a single row (meta-features are defined for
    them; cross-validation is not)."""
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise BadInputError(f"X must be 2-dimensional; got an array of shape {arr.shape}.")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != len(frame):
        raise BadInputError(
            f"y must be 1-dimensional with one label per row of X ({len(frame)} rows); "
            f"got shape {labels.shape}."
        )
    target = "__target__"
    while target in frame.columns:
        target += "_"
    frame[target] = labels
    return load_table(
        frame, target, name=name, min_class_rows=min_class_rows, inf_as_missing=inf_as_missing,
        expand_dates=expand_dates, task=task,
    )  # fmt: skip


def _validate(
    frame: pd.DataFrame,
    target: str,
    name: str,
    label: str,
    expand_dates: bool,
    inf_as_missing: bool,
    max_categories: int,
    min_class_rows: int,
    task: str,
) -> Task:
    # set_axis, not copy(): pandas copies lazily, which keeps big tables to fewer copies.
    frame = frame.set_axis([str(c).strip() for c in frame.columns], axis=1)
    check_duplicates(list(frame.columns), label)
    if target not in frame.columns:
        shown = ", ".join(list(frame.columns)[:20]) + (" ..." if frame.shape[1] > 20 else "")
        close = difflib.get_close_matches(target, list(frame.columns), n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise BadInputError(
            f"Target column '{target}' not found in {label}; columns are: {shown}.{hint}"
        )
    if len(frame) == 0:
        raise BadInputError(f"{label} has no rows.")
    y, task_kind = validate_target(frame[target], target, label, min_class_rows, task)
    if len(y) < len(frame):
        frame = frame.loc[y.index]
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise BadInputError(f"{label} has only the target column '{target}'; no features.")
    columns: dict[str, pd.Series] = {}
    kinds: dict[str, ColumnKind] = {}
    dropped: dict[str, str] = {}
    for col in X.columns:
        for out_name, series, kind in _column_kinds(
            X[col], col, label, expand_dates, inf_as_missing, max_categories
        ):
            if kind in ("numeric", "categorical"):
                columns[out_name], kinds[out_name] = series, kind  # type: ignore[assignment]
            else:
                dropped[out_name] = kind
    if not columns:
        reasons = "; ".join(f"'{c}': {r}" for c, r in list(dropped.items())[:10])
        raise BadInputError(f"Every feature column of {label} was dropped ({reasons}).")
    # copy=False: the columns stay their own arrays; stacking them into one block is a
    # strided copy of the whole table (benchmarks/metafeature_speed.py's 10M x 20 row).
    X_out = pd.DataFrame(columns, index=y.index, copy=False).reset_index(drop=True)
    return Task(
        X_out, y.reset_index(drop=True), kinds, dropped, name, target,
        [str(c) for c in X.columns], task_kind,
    )  # fmt: skip


def _column_kinds(
    s: pd.Series,
    col: str,
    label: str,
    expand_dates: bool,
    inf_as_missing: bool,
    max_categories: int,
) -> list[tuple[str, pd.Series, str]]:
    """Return (name, values, kind-or-drop-reason) for one input column (dates may expand)."""
    if s.isna().all():
        return [(col, s, "all values missing")]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
    if not pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = _text_to_numbers(s, col, label)
    if pd.api.types.is_datetime64_any_dtype(s):
        if not expand_dates:
            reason = "datetime (expand_dates=True, CLI --expand-dates: year/month/day/weekday)"
            return [(col, s, reason)]
        parts = {
            "year": s.dt.year,
            "month": s.dt.month,
            "day": s.dt.day,
            "weekday": s.dt.day_of_week,
        }
        return [
            (f"{col}_{part}", values.astype(float), "numeric")
            for part, values in parts.items()
            if values.nunique() > 1
        ] or [(col, s, "constant")]
    if _constant(s):
        return [(col, s, "constant")]
    if pd.api.types.is_numeric_dtype(s):
        numbers = s if s.dtype == np.float32 else s.astype(float)  # float32: read compact
        return [_numeric_kind(numbers, col, label, inf_as_missing)]
    return [_categorical(s, col, label, max_categories)]


def _constant(s: pd.Series) -> bool:
    """At most one distinct value besides missing ones (a comparison with the first: a
    ``nunique`` hashes every value, most of the time of validating a big table)."""
    present = s.dropna()
    return len(present) == 0 or bool((present == present.iloc[0]).all())


def _text_to_numbers(s: pd.Series, col: str, label: str) -> pd.Series:
    """Return numbers if every value is one, dates if every value is one, else text."""
    present = s[s.notna()]
    # Each distinct value is looked at once (a million rows of a few categories: 3 values).
    codes, uniques = pd.factorize(present)
    kinds = {type(v) for v in uniques}
    numeric = pd.to_numeric(pd.Series(uniques).astype(str), errors="coerce").to_numpy(float)
    is_number = ~np.isnan(numeric)
    n_num = int(np.bincount(codes, minlength=len(uniques))[is_number].sum())
    if n_num == len(present):
        out = pd.Series(np.nan, index=s.index, name=s.name)
        out[s.notna().to_numpy()] = numeric[codes]
        return out
    mixed_objects = str in kinds and len(kinds) > 1 and n_num > 0
    if mixed_objects or n_num >= 0.9 * len(present):
        bad = present[~is_number[codes]]
        raise BadInputError(
            f"Column '{col}' of {label} mixes numbers and text (e.g. {bad.iloc[0]!r} in row "
            f"{bad.index[0]}; {len(bad)} of {len(present)} values are not numbers). Clean those "
            "values or replace them with an empty field (missing)."
        )
    if n_num == 0 and pd.Series(uniques).astype(str).str.contains(DATE_PATTERN).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(s, errors="coerce")
        if dates.notna().sum() == len(present):
            return dates
    return s


def _numeric_kind(
    s: pd.Series, col: str, label: str, inf_as_missing: bool
) -> tuple[str, pd.Series, str]:
    inf = np.isinf(s.to_numpy())
    if inf.any():
        if not inf_as_missing:
            row = int(np.flatnonzero(inf)[0])
            raise BadInputError(
                f"Column '{col}' of {label} holds infinite values ({int(inf.sum())}, first in row "
                f"{row}). Replace them, or pass inf_as_missing=True (CLI: --inf-as-missing)."
            )
        s = s.mask(inf)
        if _constant(s):
            return (col, s, "constant")
    present = s.dropna().to_numpy()
    # A prefix first: a column of measurements shows a fraction within its first values,
    # which spares the whole pass over a big table's column.
    integral = bool((np.mod(present[:1000], 1) == 0).all()) and bool(
        (np.mod(present, 1) == 0).all()
    )
    n_unique = len(np.unique(present)) if integral else len(present)  # sorts: integers only
    if integral and n_unique == len(s) >= 20 and present.max() - present.min() == len(s) - 1:
        return (col, s, "identifier-like (consecutive unique integers)")
    if integral and n_unique <= LOW_CARDINALITY_INT:
        whole = s.fillna(0).to_numpy(dtype=np.int64).astype(str).astype(object)
        text = pd.Series(whole, index=s.index, name=s.name, dtype=object).where(s.notna())
        return (col, text, "categorical")
    return (col, s, "numeric")


def _categorical(
    s: pd.Series, col: str, label: str, max_categories: int
) -> tuple[str, pd.Series, str]:
    text = s.map(str, na_action="ignore").astype(object)
    counts = text.value_counts()
    if len(counts) == len(s) >= 20:
        return (col, text, "identifier-like (a distinct text value in every row)")
    if len(counts) > max_categories:
        keep = set(counts.index[: max_categories - 1])
        warnings.warn(
            f"Column '{col}' of {label} has {len(counts)} categories; kept the "
            f"{max_categories - 1} most frequent and merged the rest into '{OTHER}'.",
            AutometaWarning,
            stacklevel=5,
        )
        text = text.where(text.isin(keep) | text.isna(), OTHER)
    return (col, text, "categorical")
