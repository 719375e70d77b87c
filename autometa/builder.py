"""The resumable meta-dataset builder: learning curves of every configuration on every table.

A *unit* is one (dataset, configuration) pair climbing some rungs of the table's ladder
(``autometa/curves.py``: training sizes, holdout or cross-validation). Each rung gives one
*record*: every metric of the registry on every validation part, fit and predict seconds,
and a status:

- "ok";
- "censored": the fit ran past the per-fit limit (``limit`` seconds at ``rows`` rows; "did
  not finish in T s at n rows" is knowledge too); the unit climbs no further;
- "error": the learner raised (message kept); the unit climbs no further.

Stages, per chunk of datasets:

1. **Base rungs** (training sizes up to ``base_max``, 1,000 rows): every configuration.
2. **Upper rungs** (4,000 and 16,000 rows, or the pool): only the configurations
   *promoted* from the rung below, the ``promote_top`` best by accuracy there plus the
   best of every family within ``reach`` of the best (so the curves show how families
   trade places with size); see :func:`promoted`.

The main process appends each finished unit's records to ``runs.jsonl`` (one ``write`` +
``fsync`` per unit), so a SIGKILL loses only units in flight; a rerun skips every
(dataset, config, rows) already recorded and recomputes the same promotions. A table that
cannot be loaded or prepared is written to ``skipped.jsonl`` with its reason, never a crash.

Row cap: classes with fewer than ``MIN_CLASS_ROWS`` rows are dropped, then a table larger
than ``max_rows`` (21,000: the largest rung plus the largest holdout) is stratified-
subsampled to it. Meta-features are computed on those same rows.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from autometa.curves import LADDER, MAX_HOLDOUT, Plan, plan
from autometa.exceptions import AutometaError, BadInputError
from autometa.fitting import FitTimeout, fit_and_score
from autometa.learners import LearnerConfig, config_table
from autometa.metadata import MetaDataset
from autometa.metrics import METRICS
from autometa.sources import DatasetRef
from autometa.tabular import Task, stratified_subsample

__all__ = [
    "BuildSettings",
    "assemble",
    "build",
    "payload",
    "prepare_task",
    "promoted",
    "read_jsonl",
    "run_unit",
]

logger = logging.getLogger(__name__)

RUNS_FILE = "runs.jsonl"
DATASETS_FILE = "datasets.jsonl"
SKIPPED_FILE = "skipped.jsonl"
SETTINGS_FILE = "build.json"
METAFEATURES_FILE = "metafeatures.jsonl"
MIN_CLASS_ROWS = 5
CHUNK = 8  # datasets per round of stages: finished tables early, little idle time
BACKENDS = ("loky", "dask")  # joblib backends a build runs on


@dataclass(frozen=True)
class BuildSettings:
    """What a build measures; a resumed build must use the same settings.

    Attributes
    ----------
    ladder : tuple of int
        Training sizes (see ``autometa/curves.py``).
    base_max : int
        Rungs up to this size run every configuration.
    promote_top, reach : int, float
        Promotion to an upper rung: the ``promote_top`` best by accuracy on the rung below,
        plus each family's best within ``reach`` (accuracy) of the best.
    time_limit : float
        Seconds allowed per fit; a longer fit is recorded as censored.
    max_rows : int
        Row cap of a table (stratified subsample).
    random_state : int
    """

    ladder: tuple[int, ...] = LADDER
    base_max: int = 1000
    promote_top: int = 10
    reach: float = 0.05
    time_limit: float = 60.0
    max_rows: int = LADDER[-1] + MAX_HOLDOUT
    random_state: int = 0


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
    counts = y.value_counts()
    rare = counts.index[counts < MIN_CLASS_ROWS]
    idx = np.flatnonzero(~y.isin(rare).to_numpy())
    if y.iloc[idx].nunique() < 2:
        raise BadInputError(
            f"Dataset '{task.name}' has fewer than two classes with >= {MIN_CLASS_ROWS} rows."
        )
    if len(idx) > settings.max_rows:
        sub = stratified_subsample(
            y.iloc[idx].to_numpy(), settings.max_rows, settings.random_state, MIN_CLASS_ROWS
        )
        idx = idx[sub]
    info = {
        "n_rows": len(y),
        "n_rows_used": len(idx),
        "rare_classes_dropped": [str(c) for c in rare],
    }
    return task.subset(idx), info


def _prepare(ref: DatasetRef, settings: BuildSettings) -> Prepared:
    task, info = prepare_task(ref.load(), settings)
    design = plan(task.y.to_numpy(), settings.random_state, settings.ladder)
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
        splits) and ``parts``: one dict of metrics per validation part (all splits' parts in
        order; empty unless ok). The climb stops at the first rung that is not ok.
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


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file, skipping a torn last line left by a killed writer."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("skipping a torn line in %s", path)
    return rows


def _append(path: Path, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines with one write and one fsync (all or nothing)."""
    text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _settings_json(settings: BuildSettings) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(settings)))  # tuples as lists, as read back


def _check_settings(out: Path, settings: BuildSettings) -> None:
    path = out / SETTINGS_FILE
    wanted = _settings_json(settings)
    if path.exists():
        saved = json.loads(path.read_text())
        if saved != wanted:
            raise BadInputError(
                f"'{out}' was built with settings {saved}; this run asks for {wanted}. "
                "Use the same settings to resume, or another --out folder."
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, indent=2))


def read_settings(out: str | Path) -> BuildSettings:
    """The settings a build folder was made with."""
    saved = json.loads((Path(out) / SETTINGS_FILE).read_text())
    saved["ladder"] = tuple(saved["ladder"])
    return BuildSettings(**saved)


def build(
    datasets: list[DatasetRef],
    configs: list[LearnerConfig],
    out: str | Path,
    settings: BuildSettings = BuildSettings(),
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
    settings : BuildSettings
    n_jobs : int
        joblib workers (-1: all; with the Dask backend, all workers of the cluster).
    progress : callable, optional
        Called as ``progress(done, total, record)`` after every unit (and once at start with
        an empty record); ``total`` grows as promotions are decided.
    backend : str
        joblib backend: "loky" (local processes) or "dask" (inside
        ``autometa.distributed.dask_client()``).

    Returns
    -------
    dict
        Counts: units (run), skipped_units (already done), records, ok, censored, error,
        dataset_errors.
    """
    if backend not in BACKENDS:
        raise BadInputError(f"backend must be one of {', '.join(BACKENDS)}, not '{backend}'.")
    out = Path(out)
    _check_settings(out, settings)
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
                _append(out / RUNS_FILE, records)
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
                prepared = _prepare(ref, settings)
            except Exception as exc:  # a table that cannot be used is reported, not fatal
                reason = exc if isinstance(exc, AutometaError) else f"{type(exc).__name__}: {exc}"
                logger.warning("dataset %s skipped: %s", ref.name, reason)
                _append(out / SKIPPED_FILE, [{"name": ref.name, "source": ref.source,
                                               "reason": str(reason)[:500]}])  # fmt: skip
                skipped.add(ref.name)
                counts["dataset_errors"] += 1
                continue
            if ref.name not in known:
                _append(out / DATASETS_FILE, [_dataset_record(prepared)])
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
                scores = _scores_at(done, p.ref.name, rungs[at - 1])
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


def _scores_at(
    done: dict[tuple[str, str, int], dict[str, Any]], dataset: str, rows: int
) -> dict[str, float]:
    return {
        config: float(np.mean([p["accuracy"] for p in r["parts"]]))
        for (d, config, n), r in done.items()
        if d == dataset and n == rows and r["status"] == "ok"
    }


def _dataset_record(p: Prepared) -> dict[str, Any]:
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
    }


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
    names = feature_names()
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
            _append(out / METAFEATURES_FILE, [record])
            cached[ref.name] = record["values"]
    config_ids = {c.config_id for c in configs}
    keep = {d.name for d in wanted}
    perf_rows: list[tuple[str, str, int, int, str, float]] = []
    unit_rows: list[tuple[Any, ...]] = []
    for r in read_jsonl(out / RUNS_FILE):
        if r["dataset"] not in keep or r["config_id"] not in config_ids:
            continue
        unit_rows.append((
            r["dataset"], r["config_id"], r["rows"], r["status"], r["limit"], r["message"],
            r["seconds"], r.get("fit_seconds", np.nan), r.get("predict_seconds", np.nan),
        ))  # fmt: skip
        for part, metrics in enumerate(r["parts"]):
            perf_rows.extend(
                (r["dataset"], r["config_id"], r["rows"], part, m, metrics[m]) for m in METRICS
            )
    metafeatures = pd.DataFrame(
        [cached[d.name] for d in wanted], index=[d.name for d in wanted], columns=names
    )
    datasets_frame = pd.DataFrame([info_rows[d.name] for d in wanted])
    datasets_frame["rungs"] = datasets_frame["rungs"].map(lambda r: " ".join(map(str, r)))
    meta = MetaDataset(
        metafeatures,
        pd.DataFrame(
            perf_rows, columns=["dataset", "config_id", "rows", "part", "metric", "value"]
        ),
        config_table(configs),
        datasets_frame.drop(columns=["rare_classes_dropped"]),
        pd.DataFrame(unit_rows, columns=list(MetaDataset.UNIT_COLUMNS)),
        info={"source": "autometa builder", "settings": _settings_json(settings)},
    )
    meta.save(out, format="parquet")
    return meta
