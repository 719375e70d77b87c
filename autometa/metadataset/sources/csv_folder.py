"""A folder of CSV/TSV files (optionally compressed) sharing a target column name."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.table.tabular import load_table

__all__ = ["csv_datasets"]

_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".csv.zip", ".tsv.zip", ".parquet")


def csv_datasets(folder: str | Path, target: str | dict[str, str]) -> list[DatasetRef]:
    """List the tables of a folder, sorted by name; each is its own family.

    Parameters
    ----------
    folder : path
    target : str or dict
        The class column of every file, or a mapping file name (without suffix) -> column.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BadInputError(f"CSV folder '{root}' does not exist.")
    files = sorted(p for p in root.iterdir() if p.name.lower().endswith(_SUFFIXES))
    if not files:
        raise BadInputError(f"Folder '{root}' holds no CSV, TSV or parquet files.")
    refs = []
    for path in files:
        name = path.name.split(".")[0]
        column = target if isinstance(target, str) else target.get(name)
        if column is None:
            raise BadInputError(f"No target column given for '{path.name}' in the mapping.")
        refs.append(
            DatasetRef(
                name,
                name,
                "csv",
                partial(load_table, path, column, name=name, task="classification"),
            )
        )
    return refs
