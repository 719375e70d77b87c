"""The resumable meta-dataset builder: learning curves of every configuration on every table.

A *unit* is one (dataset, configuration) pair climbing some rungs of the table's ladder
(``autometa/metadataset/curves.py``: training sizes, holdout or cross-validation). Each rung gives one
*record*: every metric of the registry on every validation part, fit and predict seconds,
and a status:

- "ok";
- "censored": the fit ran past the per-fit limit (``limit`` seconds at ``rows`` rows; "did
  not finish in T s at n rows" is knowledge too); the unit climbs no further;
- "error": the learner raised (message kept); the unit climbs no further.

Stages, per chunk of datasets:

1. **Base rungs** (training sizes up to ``base_max``, 1,000 rows): every configuration.
2. **Upper rungs** (4,000 and 16,000 rows, or the pool): only the configurations
   *promoted* from the rung below, the ``promote_top`` best by the task kind's primary
   metric there (accuracy; R2 for regression, ``metrics.PRIMARY``) plus the
   best of every family within ``reach`` of the best (so the curves show how families
   trade places with size); see :func:`promoted`.

The main process appends each finished unit's records to ``runs.jsonl`` (one ``write`` +
``fsync`` per unit, ``build_store.py``), so a SIGKILL loses only units in flight; a rerun
skips every (dataset, config, rows) already recorded and recomputes the same promotions.
A table that cannot be loaded or prepared is written to ``skipped.jsonl`` with its reason,
never a crash. Tables and units themselves: ``units.py`` (row cap, the unit's climb).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from autometa.exceptions import AutometaError, BadInputError
from autometa.metadataset.build_store import (
    DATASETS_FILE,
    METAFEATURES_FILE,
    RUNS_FILE,
    SKIPPED_FILE,
    BuildSettings,
    append,
    check_settings,
    read_jsonl,
    read_settings,
    settings_json,
)
from autometa.metadataset.metadata import MetaDataset
from autometa.metadataset.sources import DatasetRef
from autometa.metadataset.units import (
    Prepared,
    dataset_record,
    payload,
    prepare,
    prepare_task,
    run_unit,
)
from autometa.space.learners import FAMILIES, LearnerConfig, config_table
from autometa.space.metrics import PRIMARY
from autometa.table.targets import TaskKind, as_task_kind

# prepare_task, run_unit, payload and read_jsonl are re-exported: callers (the benchmarks,
# a running build's workers) find them here as before.
__all__ = [
    "BACKENDS",
    "BuildSettings",
    "assemble",
    "build",
    "payload",
    "prepare_task",
    "promoted",
    "read_jsonl",
    "run_unit",
    "runs_frames",
]

logger = logging.getLogger(__name__)

CHUNK = 8  # datasets per round of stages: finished tables early, little idle time
BACKENDS = ("loky", "dask")  # joblib backends a build runs on


def promoted(
    scores: dict[str, float], configs: list[LearnerConfig], settings: BuildSettings
) -> list[LearnerConfig]:
    """Configurations that climb to the next rung, in ``configs`` order.

    Parameters
    ----------
    scores : dict
        config_id -> mean accuracy on the rung below (ok records only).
    """
    ok = [c for c in configs if c.config_id in scores]
    if not ok:
        return []
    order = sorted(ok, key=lambda c: -scores[c.config_id])  # stable: ties in configs order
    keep = {c.config_id for c in order[: settings.promote_top]}
    best = scores[order[0].config_id]
    seen: set[str] = set()
    for c in order:
        if c.family not in seen and scores[c.config_id] >= best - settings.reach:
            keep.add(c.config_id)
        seen.add(c.family)
    return [c for c in configs if c.config_id in keep]


def build(
    datasets: list[DatasetRef],
    configs: list[LearnerConfig],
    out: str | Path,
    settings: BuildSettings | None = None,
    n_jobs: int = 1,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    backend: str = "loky",
) -> dict[str, int]:
    """Measure every missing learning-curve point, appending records to ``out/runs.jsonl``.

    Parameters
    ----------
    datasets, configs : lists
        What to evaluate.
    out : path
        Build folder; created if missing, resumed if it holds runs of the same settings.
    settings : BuildSettings, optional
        Default: ``BuildSettings()``.
    n_jobs : int
        joblib workers (-1: all; with the Dask backend, all workers of the cluster).
    progress : callable, optional
        Called as ``progress(done, total, record)`` after every unit (and once at start with
        an empty record); ``total`` grows as promotions are decided.
    backend : str
        joblib backend: "loky" (local processes) or "dask" (inside
        ``autometa.metadataset.distributed.dask_client()``).

    Returns
    -------
    dict
        Counts: units (run), skipped_units (already done), records, ok, censored, error,
        dataset_errors.
    """
    settings = settings or BuildSettings()
    if backend not in BACKENDS:
        raise BadInputError(f"backend must be one of {', '.join(BACKENDS)}, not '{backend}'.")
    primary = PRIMARY[task_kind(datasets, configs)]
    out = Path(out)
    check_settings(out, settings)
    done: dict[tuple[str, str, int], dict[str, Any]] = {
        (r["dataset"], r["config_id"], r["rows"]): r for r in read_jsonl(out / RUNS_FILE)
    }
    known = {r["name"] for r in read_jsonl(out / DATASETS_FILE)}
    skipped = {r["name"] for r in read_jsonl(out / SKIPPED_FILE)}
    counts = dict.fromkeys(
        ("units", "skipped_units", "records", "ok", "censored", "error", "dataset_errors"), 0
    )
    total = len(datasets) * len(configs)
    finished = 0
    if progress:
        progress(0, total, {})

    def run(jobs: list[tuple[Prepared, LearnerConfig, list[int]]]) -> None:
        nonlocal finished
        calls = (delayed(run_unit)(*payload(p, rungs), c, settings) for p, c, rungs in jobs)
        with parallel_config(backend=backend):
            parallel = Parallel(
                n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs"
            )
            for records in parallel(calls):
                now = round(time.time(), 3)  # wall clock, for build timing
                for r in records:
                    r["finished_at"] = now
                    done[(r["dataset"], r["config_id"], r["rows"])] = r
                    counts[r["status"]] += 1
                append(out / RUNS_FILE, records)
                counts["units"] += 1
                counts["records"] += len(records)
                finished += 1
                if progress:
                    progress(finished, total, records[-1])

    for start in range(0, len(datasets), CHUNK):
        chunk: list[Prepared] = []
        for ref in datasets[start : start + CHUNK]:
            if ref.name in skipped:
                counts["dataset_errors"] += 1
                continue
            try:
                prepared = prepare(ref, settings)
            except Exception as exc:  # a table that cannot be used is reported, not fatal
                reason = exc if isinstance(exc, AutometaError) else f"{type(exc).__name__}: {exc}"
                logger.warning("dataset %s skipped: %s", ref.name, reason)
                append(out / SKIPPED_FILE, [{"name": ref.name, "source": ref.source,
                                               "reason": str(reason)[:500]}])  # fmt: skip
                skipped.add(ref.name)
                counts["dataset_errors"] += 1
                continue
            if ref.name not in known:
                append(out / DATASETS_FILE, [dataset_record(prepared)])
                known.add(ref.name)
            chunk.append(prepared)
        # Stage 1: the base rungs, every configuration.
        jobs = []
        for p in chunk:
            base = _base(p.plan.rungs, settings)
            for c in configs:
                missing = [r for r in base if (p.ref.name, c.config_id, r) not in done]
                if missing and not _stopped(done, p.ref.name, c.config_id, base, missing[0]):
                    jobs.append((p, c, missing))
                else:
                    counts["skipped_units"] += 1
                    finished += 1
        run(jobs)
        # Stage 2: each upper rung in turn, the configurations promoted from the rung below.
        levels = max((len(p.plan.rungs) - len(_base(p.plan.rungs, settings)) for p in chunk),
                     default=0)  # fmt: skip
        for level in range(levels):
            jobs = []
            for p in chunk:
                rungs = list(p.plan.rungs)
                at = len(_base(p.plan.rungs, settings)) + level
                if at >= len(rungs):
                    continue
                scores = _scores_at(done, p.ref.name, rungs[at - 1], primary)
                for c in promoted(scores, configs, settings):
                    total += 1
                    if (p.ref.name, c.config_id, rungs[at]) in done:
                        counts["skipped_units"] += 1
                        finished += 1
                    else:
                        jobs.append((p, c, [rungs[at]]))
            run(jobs)
    return counts


def _base(rungs: tuple[int, ...], settings: BuildSettings) -> list[int]:
    """The rungs every configuration climbs (at least the first)."""
    return [r for r in rungs if r <= settings.base_max] or [rungs[0]]


def _stopped(
    done: dict[tuple[str, str, int], dict[str, Any]],
    dataset: str,
    config: str,
    rungs: list[int],
    first_missing: int,
) -> bool:
    """True when an earlier rung of this climb ended it (censored or error)."""
    return any(
        (dataset, config, r) in done and done[(dataset, config, r)]["status"] != "ok"
        for r in rungs
        if r < first_missing
    )


def task_kind(datasets: list[DatasetRef], configs: list[LearnerConfig]) -> TaskKind:
    """The one task kind of a build's datasets and configurations (a mix is an error)."""
    kinds = {d.task for d in datasets} | {FAMILIES[c.family].task for c in configs}
    if len(kinds) > 1:
        raise BadInputError(
            "A build measures one task kind; these datasets and configurations mix "
            f"{' and '.join(sorted(kinds))}. Build classification and regression separately."
        )
    return as_task_kind(kinds.pop()) if kinds else "classification"


def _scores_at(
    done: dict[tuple[str, str, int], dict[str, Any]], dataset: str, rows: int, metric: str
) -> dict[str, float]:
    return {
        config: float(np.mean([p[metric] for p in r["parts"]]))
        for (d, config, n), r in done.items()
        if d == dataset and n == rows and r["status"] == "ok"
    }


TRIVIAL_SPREAD = 0.005  # every configuration within 0.5 % (primary metric) of each other
SMALL_ROWS = 100


def flag_tables(meta: MetaDataset, kind: TaskKind = "classification") -> None:
    """Mark tables selectors may weight or skip, as columns of ``meta.datasets``:
    ``trivial`` (every configuration that ran is within ``TRIVIAL_SPREAD`` of the others in
    the kind's primary metric at the largest common rung) and ``small`` (fewer than
    ``SMALL_ROWS`` rows after cleaning)."""
    acc = meta.scores(PRIMARY[kind])
    spread = (acc.max(axis=1) - acc.min(axis=1)).reindex(meta.dataset_names)
    meta.datasets["trivial"] = (spread < TRIVIAL_SPREAD).to_numpy()
    meta.datasets["small"] = (meta.datasets["n_rows_used"] < SMALL_ROWS).to_numpy()


def runs_frames(
    out: str | Path, datasets: set[str], config_ids: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A build folder's records of some datasets and configurations, as a meta-dataset's
    ``performance`` and ``units`` frames (``MetaDataset.PERFORMANCE_COLUMNS`` and
    ``UNIT_COLUMNS``)."""
    perf_rows: list[tuple[str, str, int, int, str, float]] = []
    unit_rows: list[tuple[Any, ...]] = []
    for r in read_jsonl(Path(out) / RUNS_FILE):
        if r["dataset"] not in datasets or r["config_id"] not in config_ids:
            continue
        unit_rows.append((
            r["dataset"], r["config_id"], r["rows"], r["status"], r["limit"], r["message"],
            r["seconds"], r.get("fit_seconds", np.nan), r.get("predict_seconds", np.nan),
            r.get("peak_mb", np.nan),
        ))  # fmt: skip
        for part, metrics in enumerate(r["parts"]):
            perf_rows.extend(
                (r["dataset"], r["config_id"], r["rows"], part, m, value)
                for m, value in metrics.items()
            )
    return (
        pd.DataFrame(perf_rows, columns=list(MetaDataset.PERFORMANCE_COLUMNS)),
        pd.DataFrame(unit_rows, columns=list(MetaDataset.UNIT_COLUMNS)),
    )


def assemble(
    out: str | Path,
    datasets: list[DatasetRef],
    configs: list[LearnerConfig],
    random_state: int = 0,
) -> MetaDataset:
    """Turn a build folder into a MetaDataset and save it there.

    Meta-features are computed on the same capped rows the units used and cached in
    ``metafeatures.jsonl`` together with the registry's feature names, so a changed
    meta-feature engine recomputes them and an unchanged one does not.
    """
    from autometa.metafeatures import extract_metafeatures, feature_names

    out = Path(out)
    settings = read_settings(out)
    kind = task_kind(datasets, configs)
    names = feature_names(task=kind)
    cached = {
        r["dataset"]: r["values"]
        for r in read_jsonl(out / METAFEATURES_FILE)
        if r.get("names") == names
    }
    info_rows = {r["name"]: r for r in read_jsonl(out / DATASETS_FILE)}
    wanted = [d for d in datasets if d.name in info_rows]
    for ref in wanted:
        if ref.name not in cached:
            task, _ = prepare_task(ref.load(), settings)
            values = extract_metafeatures(task, random_state=random_state)
            record = {"dataset": ref.name, "names": names, "values": values.tolist()}
            append(out / METAFEATURES_FILE, [record])
            cached[ref.name] = record["values"]
    performance, units = runs_frames(out, {d.name for d in wanted}, {c.config_id for c in configs})
    metafeatures = pd.DataFrame(
        [cached[d.name] for d in wanted], index=[d.name for d in wanted], columns=names
    )
    datasets_frame = pd.DataFrame([info_rows[d.name] for d in wanted])
    datasets_frame["rungs"] = datasets_frame["rungs"].map(lambda r: " ".join(map(str, r)))
    meta = MetaDataset(
        metafeatures,
        performance,
        config_table(configs),
        datasets_frame.drop(columns=["rare_classes_dropped"]),
        units,
        info={"source": "autometa builder", "settings": settings_json(settings)},
    )
    flag_tables(meta, kind)
    meta.save(out, format="parquet")
    return meta
