"""The PMLB folder layout: ``<name>.tsv.gz`` files whose class (or, in the regression
corpus, numeric) column is ``target``.

One file (schizo) has two columns named ``target``. As PMLB's own loader (pandas) and its
index (3 classes) do, the first is the class; the PMLB loader renames the second
``target_feature`` (a general CSV with duplicated names is an error, see tabular.py).

Near-duplicate families are listed by hand from PMLB's provenance (same underlying data,
different encodings or noise levels); every other dataset is a family of its own. A
folder's ``index.csv`` with a ``family`` column (the regression corpus has one) overrides
them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.table.tabular import Task, load_table

__all__ = ["family_of", "load_pmlb", "pmlb_datasets"]

_FAMILY_PREFIXES: dict[str, str] = {
    "GAMETES_": "gametes",
    "mfeat_": "mfeat",
    "Hill_Valley_": "hill_valley",
    "monk": "monk",
    "analcatdata_boxing": "analcatdata_boxing",
    "analcatdata_cyyoung": "analcatdata_cyyoung",
}
_FAMILY_MEMBERS: dict[str, str] = {
    "chess": "chess", "kr_vs_kp": "chess",
    "mushroom": "mushroom", "agaricus_lepiota": "mushroom",
    # Garavan / Quinlan thyroid data in several encodings and target definitions.
    "allbp": "thyroid", "allhyper": "thyroid", "allhypo": "thyroid", "allrep": "thyroid",
    "dis": "thyroid", "hypothyroid": "thyroid", "ann_thyroid": "thyroid",
    "spect": "spect", "spectf": "spect",
    "led7": "led", "led24": "led",
    "clean1": "musk", "clean2": "musk",
    "waveform_21": "waveform", "waveform_40": "waveform",
    "ring": "ring_twonorm", "twonorm": "ring_twonorm",
    "dna": "splice", "splice": "splice",
    "parity5": "parity", "parity5+5": "parity",
}  # fmt: skip


def family_of(name: str) -> str:
    """Near-duplicate family of a PMLB dataset name (the name itself if it has none)."""
    if name in _FAMILY_MEMBERS:
        return _FAMILY_MEMBERS[name]
    for prefix, family in _FAMILY_PREFIXES.items():
        if name.startswith(prefix):
            return family
    return name


def load_pmlb(path: Path, name: str, task: str = "classification") -> Task:
    """Load one PMLB file; the (first) ``target`` column is the target."""
    header = pd.read_csv(path, sep="\t", nrows=0).columns
    if "target.1" not in header:
        return load_table(path, "target", name=name, task=task)
    frame = pd.read_csv(path, sep="\t")
    frame = frame.rename(columns={"target.1": "target_feature"})
    return load_table(frame, "target", name=name, task=task)


def pmlb_datasets(
    folder: str | Path, names: list[str] | None = None, task: str = "classification"
) -> list[DatasetRef]:
    """List the datasets of a PMLB-layout folder, sorted by name.

    Parameters
    ----------
    folder : path
        Folder holding ``<name>.tsv.gz`` files.
    names : list of str, optional
        Only these datasets (each must exist).
    task : str
        "classification" or "regression" (the regression corpus).
    """
    root = Path(folder)
    if not root.is_dir():
        raise BadInputError(f"PMLB folder '{root}' does not exist.")
    found = {p.name[: -len(".tsv.gz")]: p for p in sorted(root.glob("*.tsv.gz"))}
    if not found:
        raise BadInputError(f"Folder '{root}' holds no <name>.tsv.gz files (PMLB layout).")
    if names is not None:
        missing = sorted(set(names) - set(found))
        if missing:
            raise BadInputError(f"Datasets not in '{root}': {', '.join(missing)}.")
        found = {n: found[n] for n in sorted(names)}
    families = _index_families(root)
    source = "pmlb" if task == "classification" else f"pmlb_{task}"
    return [
        DatasetRef(name, families.get(name) or family_of(name), source,
                   partial(load_pmlb, path, name, task), task)
        for name, path in found.items()
    ]  # fmt: skip


def _index_families(root: Path) -> dict[str, str]:
    """name -> family from the folder's index.csv, when it has a family column."""
    index = root / "index.csv"
    if not index.exists():
        return {}
    table = pd.read_csv(index)
    if not {"name", "family"} <= set(table.columns):
        return {}
    return dict(zip(table["name"].astype(str), table["family"].astype(str), strict=True))
