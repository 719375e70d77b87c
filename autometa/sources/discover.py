"""Turn command-line SOURCE paths into dataset references."""

from __future__ import annotations

from pathlib import Path

from autometa.exceptions import BadInputError
from autometa.sources import DatasetRef
from autometa.sources.csv_folder import csv_datasets
from autometa.sources.pmlb import pmlb_datasets

__all__ = ["discover", "is_pmlb_folder", "select"]


def is_pmlb_folder(path: Path) -> bool:
    """A PMLB layout has ``<name>.tsv.gz`` files and no other tables."""
    tables = [p for p in path.iterdir() if p.suffix in (".csv", ".tsv", ".gz", ".zip", ".parquet")]
    return bool(tables) and all(p.name.endswith(".tsv.gz") for p in tables if p.name != "index.csv")


def discover(paths: list[Path], target: str, names: list[str] | None = None) -> list[DatasetRef]:
    """Dataset references of every folder (PMLB layout or a folder of CSVs), optionally only
    the named datasets; names must be unique across folders."""
    refs: list[DatasetRef] = []
    for path in paths:
        if not path.is_dir():
            raise BadInputError(f"Source '{path}' is not a folder of datasets.")
        refs.extend(pmlb_datasets(path) if is_pmlb_folder(path) else csv_datasets(path, target))
    return select(refs, names)


def select(refs: list[DatasetRef], names: list[str] | None = None) -> list[DatasetRef]:
    """Check that names are unique across sources; keep only ``names`` if given."""
    seen: set[str] = set()
    dups = {r.name for r in refs if r.name in seen or seen.add(r.name)}  # type: ignore[func-returns-value]
    if dups:
        raise BadInputError(
            f"Dataset names appear in more than one source: {', '.join(sorted(dups))}."
        )
    if names is None:
        return refs
    missing = sorted(set(names) - seen)
    if missing:
        raise BadInputError(f"Datasets not found in the sources: {', '.join(missing)}.")
    return [r for r in refs if r.name in set(names)]
