"""The reserved list: tables kept for external validation, which no corpus may contain.

``reserved.csv`` (columns task, name, n_rows, n_features, aliases; aliases separated by
``;``, a trailing ``*`` meaning "starts with") names them. A dataset is dropped when
(the rules of the list's README):

- **name**: its name, lower case without ``-``, ``_``, spaces and any source prefix
  (``keel.``, ``r.<package>.``), equals a reserved name or alias, or starts with an alias
  written with a trailing ``*``;
- **shape**: it has the same number of features as a reserved table of the same task and
  a row count within 2 % of it, or the same row count and a feature count that one-hot
  encoding or its reverse would explain (more features than the reserved table when the
  dataset has categorical columns, fewer when the reserved table has more).

Known coincidences checked by hand and kept (``KEEP``): PMLB's ``xd6`` and
``waveform_21`` / ``waveform_40``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from autometa.exceptions import BadInputError

__all__ = ["KEEP", "Reserved", "ReservedList", "normalise_name"]

KEEP = frozenset({"xd6", "waveform21", "waveform40"})
ROW_TOLERANCE = 0.02


def normalise_name(name: str) -> str:
    """Lower case, source prefix removed, without ``-``, ``_``, ``.`` and spaces."""
    text = name.lower()
    for prefix in ("keel.", "pmlb.", "openml."):
        text = text.removeprefix(prefix)
    if text.startswith("r."):
        text = text.split(".", 2)[-1]
    return "".join(ch for ch in text if ch not in "-_ .")


@dataclass(frozen=True)
class Reserved:
    """One reserved table."""

    task: str
    name: str
    n_rows: int
    n_features: int
    aliases: tuple[str, ...]


class ReservedList:
    """The reserved tables, and the rule that matches a dataset against them.

    Parameters
    ----------
    tables : list of Reserved
    """

    def __init__(self, tables: list[Reserved]) -> None:
        self.tables = tables

    @classmethod
    def read(cls, path: str | Path) -> ReservedList:
        """Read ``reserved.csv``; a clear error when it is missing or malformed."""
        path = Path(path)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            tables = [
                Reserved(
                    str(r["task"]),
                    str(r["name"]),
                    int(r["n_rows"]),
                    int(r["n_features"]),
                    tuple(a.strip() for a in str(r["aliases"]).split(";") if a.strip()),
                )
                for r in frame.to_dict("records")
            ]
        except (OSError, ValueError, KeyError) as exc:
            raise BadInputError(
                f"Reserved list '{path}' is not readable (columns task, name, n_rows, "
                f"n_features, aliases): {exc}"
            ) from exc
        return cls(tables)

    def match(
        self, name: str, task: str, n_rows: int | None = None, n_features: int | None = None,
        n_categorical: int = 0,
    ) -> str | None:  # fmt: skip
        """The rule that makes ``name`` a reserved table, or None.

        Parameters
        ----------
        name : str
        task : str
            "classification" or "regression".
        n_rows, n_features : int, optional
            The table's shape (the shape rule is skipped without it).
        n_categorical : int
            Categorical columns of the table (one-hot encoding could change its width).
        """
        key = normalise_name(name)
        if key in KEEP:
            return None
        for t in self.tables:
            for alias in (t.name, *t.aliases):
                a = normalise_name(alias.rstrip("*"))
                if key == a or (alias.endswith("*") and key.startswith(a)):
                    return f"name: '{name}' is reserved table '{t.name}' (alias '{alias}')"
        if n_rows is None or n_features is None:
            return None
        for t in self.tables:
            if t.task != task:
                continue
            close_rows = abs(n_rows - t.n_rows) <= ROW_TOLERANCE * t.n_rows
            if close_rows and n_features == t.n_features:
                return (
                    f"shape: {n_rows} x {n_features} is within 2 % of reserved table "
                    f"'{t.name}' ({t.n_rows} x {t.n_features})"
                )
            one_hot = (n_categorical > 0 and n_features != t.n_features) or (
                n_features < t.n_features
            )
            if n_rows == t.n_rows and one_hot:
                return (
                    f"shape: {n_rows} rows like reserved table '{t.name}' ({t.n_rows} x "
                    f"{t.n_features}); {n_features} features could be its one-hot encoding "
                    "or the reverse"
                )
        return None
