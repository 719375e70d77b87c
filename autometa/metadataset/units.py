"""One table made ready for the builder, and one unit: a configuration climbing the rungs of
its learning curve (see ``autometa/metadataset/curves.py`` for the rows and ``autometa/metadataset/builder.py`` for
the stages).

Row cap: classes with fewer than ``MIN_CLASS_ROWS`` rows are dropped, then a table larger
than ``max_rows`` (21,000: the largest rung plus the largest holdout) is stratified-
subsampled to it (a regression table: stratified by the target's quantile bins, with no
rows dropped). Meta-features are computed on those same rows.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.build_store import BuildSettings
from autometa.metadataset.curves import Plan, plan
from autometa.metadataset.sources import DatasetRef
from autometa.space.fitting import FitTimeout, fit_and_score
from autometa.space.learners import LearnerConfig
from autometa.table.sampling import stratified_subsample
from autometa.table.tabular import Task

__all__ = [
    "MIN_CLASS_ROWS",
    "Prepared",
    "Splits",
    "dataset_record",
    "payload",
    "prepare",
    "prepare_task",
    "run_unit",
]

MIN_CLASS_ROWS = 5


@dataclass
class Prepared:
    """A table ready for units: the capped task, its plan and what was done to it."""

    ref: DatasetRef
    task: Task
    plan: Plan
    info: dict[str, Any] = field(default_factory=dict)


def prepare_task(task: Task, settings: BuildSettings) -> tuple[Task, dict[str, Any]]:
    """Apply the documented row cap; return the task to evaluate and what was done.

    Returns
    -------
    task : Task
        At most ``settings.max_rows`` rows, every class with >= ``MIN_CLASS_ROWS`` rows.
    info : dict
        n_rows (original), n_rows_used, rare_classes_dropped.
    """
    y = task.y
    if task.kind == "regression":
        rare = pd.Index([])
        idx = np.arange(len(y))
    else:
        counts = y.value_counts()
        rare = counts.index[counts < MIN_CLASS_ROWS]
        idx = np.flatnonzero(~y.isin(rare).to_numpy())
        if y.iloc[idx].nunique() < 2:
            raise BadInputError(
                f"Dataset '{task.name}' has fewer than two classes with >= {MIN_CLASS_ROWS} rows."
            )
    if len(idx) > settings.max_rows:
        strata = task.subset(idx).strata
        idx = idx[stratified_subsample(strata, settings.max_rows, settings.random_state,
                                       MIN_CLASS_ROWS)]  # fmt: skip
    info = {
        "n_rows": len(y),
        "n_rows_used": len(idx),
        "rare_classes_dropped": [str(c) for c in rare],
    }
    return task.subset(idx), info


def prepare(ref: DatasetRef, settings: BuildSettings) -> Prepared:
    task, info = prepare_task(ref.load(), settings)
    design = plan(task.strata, settings.random_state, settings.ladder)
    info.update(validation=design.validation, rungs=list(design.rungs))
    return Prepared(ref, task, design, info)


Splits = list[tuple[np.ndarray, list[np.ndarray]]]  # per split: training rows, validation parts


def payload(p: Prepared, rungs: list[int]) -> tuple[Task, dict[int, Splits]]:
    """The rows a unit needs, as a small task, and each rung's splits in its positions.

    A worker gets only these rows (at most the largest rung plus the holdout), not the
    whole capped table.
    """
    by_rung = {
        r: [(p.plan.train_rows(s, r), parts) for s, (_, parts) in enumerate(p.plan.splits)]
        for r in rungs
    }
    needed = np.unique(
        np.concatenate([a for sp in by_rung.values() for t, ps in sp for a in (t, *ps)])
    )
    where = np.full(len(p.task.y), -1)
    where[needed] = np.arange(len(needed))
    local = {r: [(where[t], [where[q] for q in ps]) for t, ps in sp] for r, sp in by_rung.items()}
    return p.task.subset(needed), local


def run_unit(
    task: Task, splits: dict[int, Splits], config: LearnerConfig, settings: BuildSettings
) -> list[dict[str, Any]]:
    """Climb the rungs of ``splits`` (in increasing order) with one configuration; never raises.

    Parameters
    ----------
    task : Task
        The rows the unit needs (see :func:`payload`).
    splits : dict
        Training size -> one (training rows, validation parts) pair per split.

    Returns
    -------
    list of dict
        One record per rung attempted: dataset, config_id, rows, status ("ok" | "censored"
        | "error"), limit, message, seconds, fit_seconds and predict_seconds (mean over
        splits), peak_mb (MiB, the largest over splits, where measured) and ``parts``: one
        dict of metrics per validation part (all splits' parts in order; empty unless ok).
        The climb stops at the first rung that is not ok.
    """
    records = []
    for rung in sorted(splits):
        start = time.perf_counter()
        record: dict[str, Any] = {
            "dataset": task.name, "config_id": config.config_id, "rows": int(rung),
            "status": "ok", "limit": settings.time_limit, "message": "", "parts": [],
        }  # fmt: skip
        try:
            results = [
                fit_and_score(
                    config,
                    task,
                    train,
                    parts,
                    seconds=settings.time_limit,
                    random_state=settings.random_state,
                )
                for train, parts in splits[rung]
            ]
            record["parts"] = [p for r in results for p in r.parts]
            record["fit_seconds"] = float(np.mean([r.fit_seconds for r in results]))
            record["predict_seconds"] = float(np.mean([r.predict_seconds for r in results]))
            peaks = [r.peak_mb for r in results if not np.isnan(r.peak_mb)]
            if peaks:  # JSON has no NaN: absent where it could not be measured
                record["peak_mb"] = round(max(peaks), 1)
        except FitTimeout as exc:
            record.update(status="censored", message=str(exc))
        except Exception as exc:  # recorded, never raised: one bad fit must not stop a build
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            record.update(status="error", message=last[:500])
        record["seconds"] = round(time.perf_counter() - start, 4)
        records.append(record)
        if record["status"] != "ok":
            break
    return records


def dataset_record(p: Prepared) -> dict[str, Any]:
    task = p.task
    return {
        "name": p.ref.name,
        "family": p.ref.family,
        "source": p.ref.source,
        **p.info,
        "n_features": len(task.kinds),
        "n_numeric": len(task.numeric_columns),
        "n_categorical": len(task.categorical_columns),
        "n_dropped": len(task.dropped),
        "n_classes": task.n_classes,
        "task": task.kind,
    }
