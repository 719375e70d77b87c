"""The resumable meta-dataset builder.

A *unit* is one (dataset, configuration) pair: stratified k-fold cross-validation of the
configuration's pipeline on the dataset. Units run in parallel through joblib. The main
process appends each finished unit as one JSON line to ``runs.jsonl`` (one ``write`` +
``fsync``), so a SIGKILL at any moment loses only the units in flight; rerunning the same
build skips every unit already in the file. A unit never raises: failures are recorded
with their message (status "error") and a fit that exceeds the per-fit time limit is
interrupted and recorded as "timeout".

Row cap (documented, memory-safe): classes with fewer rows than folds are dropped, then a
dataset larger than ``max_rows`` is stratified-subsampled to ``max_rows`` rows (each class
keeps at least ``folds`` rows). Meta-features are computed on those same rows, so they
describe the data the performance was measured on.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from sklearn.metrics import accuracy_score, balanced_accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from autometa.exceptions import AutometaError, BadInputError
from autometa.learners import LearnerConfig, build_pipeline, config_table
from autometa.metadata import MetaDataset
from autometa.sources import DatasetRef
from autometa.tabular import Task, stratified_subsample

__all__ = ["BuildSettings", "assemble", "build", "prepare_task", "read_jsonl", "run_unit"]

logger = logging.getLogger(__name__)

RUNS_FILE = "runs.jsonl"
DATASETS_FILE = "datasets.jsonl"
SETTINGS_FILE = "build.json"
METAFEATURES_FILE = "metafeatures.jsonl"
METRICS = ("accuracy", "balanced_accuracy", "log_loss", "roc_auc", "fit_seconds", "predict_seconds")


@dataclass(frozen=True)
class BuildSettings:
    """What a build measures; a resumed build must use the same settings."""

    folds: int = 3
    max_rows: int = 2000
    time_limit: float = 60.0
    random_state: int = 0


class FitTimeout(Exception):
    """Raised inside a worker when a fit exceeds the per-fit time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; only in a process's main thread).

    The alarm interrupts at the next Python-level step (a tree, an iteration, an epoch); a
    single long C call finishes first, which the row cap keeps short. In worker threads
    (e.g. some Dask setups) no alarm is possible and the block runs unlimited.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise FitTimeout(f"fit exceeded the {seconds:g} s limit")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def prepare_task(task: Task, settings: BuildSettings) -> tuple[Task, dict[str, Any]]:
    """Apply the documented row cap; return the task to evaluate and what was done.

    Returns
    -------
    task : Task
        At most ``settings.max_rows`` rows, every class with >= ``settings.folds`` rows.
    info : dict
        n_rows (original), n_rows_used, rare_classes_dropped.
    """
    y = task.y
    counts = y.value_counts()
    rare = [str(c) for c in counts.index[counts < settings.folds]]
    keep = ~y.isin(counts.index[counts < settings.folds]).to_numpy()
    idx = np.flatnonzero(keep)
    if len(set(y.iloc[idx])) < 2:
        raise BadInputError(
            f"Dataset '{task.name}' has fewer than two classes with >= {settings.folds} rows."
        )
    if len(idx) > settings.max_rows:
        # Proportional allocation with a floor of `folds` rows per class.
        sub_idx = stratified_subsample(
            y.iloc[idx].to_numpy(), settings.max_rows, settings.random_state, settings.folds
        )
        idx = idx[sub_idx]
    sub = task.subset(idx)
    info = {"n_rows": len(y), "n_rows_used": len(idx), "rare_classes_dropped": rare}
    return sub, info


def run_unit(task: Task, config: LearnerConfig, settings: BuildSettings) -> dict[str, Any]:
    """Cross-validate one configuration on one (prepared) task; never raises.

    Returns
    -------
    dict
        dataset, config_id, status ("ok" | "timeout" | "error"), message, seconds and
        ``folds``: one dict of METRICS per fold (empty unless status is "ok").
    """
    start = time.perf_counter()
    record: dict[str, Any] = {"dataset": task.name, "config_id": config.config_id}
    try:
        # One thread, and no nested joblib parallelism: under the Dask backend, joblib
        # would otherwise send a forest's trees back to the cluster as tasks (see
        # benchmarks/builder_throughput.py for the per-unit times).
        with threadpool_limits(1), parallel_config(backend="sequential"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record["folds"] = _cross_validate(task, config, settings)
        record.update(status="ok", message="")
    except FitTimeout as exc:
        record.update(status="timeout", message=str(exc), folds=[])
    except Exception as exc:  # recorded, never raised: one bad fit must not stop a build
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        record.update(status="error", message=last[:500], folds=[])
    record["seconds"] = round(time.perf_counter() - start, 4)
    return record


def _cross_validate(task: Task, config: LearnerConfig, settings: BuildSettings) -> list[dict]:
    X, y = task.X, task.y.to_numpy()
    cv = StratifiedKFold(settings.folds, shuffle=True, random_state=settings.random_state)
    folds = []
    for train, test in cv.split(X, y):
        pipe = build_pipeline(
            config, task.numeric_columns, task.categorical_columns, settings.random_state
        )
        t0 = time.perf_counter()
        with time_limit(settings.time_limit):
            pipe.fit(X.iloc[train], y[train])
        t1 = time.perf_counter()
        pred = pipe.predict(X.iloc[test])
        t2 = time.perf_counter()
        folds.append(
            {
                "accuracy": float(accuracy_score(y[test], pred)),
                "balanced_accuracy": float(balanced_accuracy_score(y[test], pred)),
                **probabilistic_metrics(pipe, X.iloc[test], y[test]),
                "fit_seconds": t1 - t0,
                "predict_seconds": t2 - t1,
            }
        )
    return folds


def probabilistic_metrics(pipe: Any, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """Log loss (probabilistic learners only) and macro one-vs-rest ROC AUC.

    The AUC uses predict_proba when there is one, else decision_function scores; per class
    it only needs a ranking of the rows, so uncalibrated scores are fine.
    """
    classes = pipe.classes_
    out = {"log_loss": float("nan"), "roc_auc": float("nan")}
    if hasattr(pipe, "predict_proba"):
        scores = pipe.predict_proba(X)
        out["log_loss"] = float(log_loss(y, scores, labels=classes))
    elif hasattr(pipe, "decision_function"):
        scores = pipe.decision_function(X)
    else:
        return out
    if scores.ndim == 1:
        scores = np.column_stack([-scores, scores])
    aucs = [
        roc_auc_score(y == c, scores[:, k])
        for k, c in enumerate(classes)
        if 0 < (y == c).sum() < len(y)
    ]
    out["roc_auc"] = float(np.mean(aucs)) if aucs else float("nan")
    return out


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


def _append(path: Path, record: dict[str, Any]) -> None:
    line = (json.dumps(record, allow_nan=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_settings(out: Path, settings: BuildSettings) -> None:
    path = out / SETTINGS_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        if saved != asdict(settings):
            raise BadInputError(
                f"'{out}' was built with settings {saved}; this run asks for {asdict(settings)}. "
                "Use the same settings to resume, or another --out folder."
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(settings), indent=2))


def build(
    datasets: list[DatasetRef],
    configs: list[LearnerConfig],
    out: str | Path,
    settings: BuildSettings = BuildSettings(),
    n_jobs: int = 1,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    backend: str = "loky",
) -> dict[str, int]:
    """Run every missing (dataset, config) unit, appending results to ``out/runs.jsonl``.

    Parameters
    ----------
    datasets, configs : lists
        What to evaluate; the build is their cross product.
    out : path
        Build folder; created if missing, resumed if it holds runs of the same settings.
    settings : BuildSettings
    n_jobs : int
        joblib workers (-1: all; with the Dask backend, all workers of the cluster).
    backend : str
        joblib backend: "loky" (local processes) or "dask" (inside
        ``autometa.distributed.dask_client()``).
    progress : callable, optional
        Called as ``progress(done, total, record)`` after every unit (and once at start with
        an empty record), e.g. to drive a progress bar.

    Returns
    -------
    dict
        Counts: total, skipped (already done), ran, ok, timeout, error, dataset_errors.
    """
    out = Path(out)
    _check_settings(out, settings)
    done = {(r["dataset"], r["config_id"]) for r in read_jsonl(out / RUNS_FILE)}
    known = {r["name"] for r in read_jsonl(out / DATASETS_FILE)}
    total = len(datasets) * len(configs)
    todo = [(d, [c for c in configs if (d.name, c.config_id) not in done]) for d in datasets]
    counts = {"total": total, "skipped": total - sum(len(c) for _, c in todo), "ran": 0,
              "ok": 0, "timeout": 0, "error": 0, "dataset_errors": 0}  # fmt: skip
    if progress:
        progress(counts["skipped"], total, {})

    def units() -> Iterator[Any]:
        for ref, missing in todo:
            if not missing:
                continue
            try:
                task, info = prepare_task(ref.load(), settings)
            except AutometaError as exc:
                logger.warning("dataset %s skipped: %s", ref.name, exc)
                counts["dataset_errors"] += 1
                continue
            if ref.name not in known:
                _append(out / DATASETS_FILE, _dataset_record(ref, task, info))
                known.add(ref.name)
            for config in missing:
                yield delayed(run_unit)(task, config, settings)

    finished = counts["skipped"]
    with parallel_config(backend=backend):
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs")
        for record in parallel(units()):
            record["finished_at"] = round(time.time(), 3)  # wall clock, for build timing
            _append(out / RUNS_FILE, record)
            counts["ran"] += 1
            counts[record["status"]] += 1
            finished += 1
            if progress:
                progress(finished, total, record)
    return counts


def _dataset_record(ref: DatasetRef, task: Task, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": ref.name,
        "family": ref.family,
        "source": ref.source,
        **info,
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
    settings = BuildSettings(**json.loads((out / SETTINGS_FILE).read_text()))
    names = feature_names()
    cached = {
        r["dataset"]: r["values"]
        for r in read_jsonl(out / METAFEATURES_FILE)
        if r.get("names") == names
    }
    runs = read_jsonl(out / RUNS_FILE)
    info_rows = {r["name"]: r for r in read_jsonl(out / DATASETS_FILE)}
    wanted = [d for d in datasets if d.name in info_rows]
    for ref in wanted:
        if ref.name not in cached:
            task, _ = prepare_task(ref.load(), settings)
            values = extract_metafeatures(task, random_state=random_state)
            record = {"dataset": ref.name, "names": names, "values": values.tolist()}
            _append(out / METAFEATURES_FILE, record)
            cached[ref.name] = record["values"]
    config_ids = {c.config_id for c in configs}
    keep = {d.name for d in wanted}
    perf_rows: list[tuple[str, str, int, str, float]] = []
    unit_rows: list[tuple[str, str, str, str, float]] = []
    for r in runs:
        if r["dataset"] not in keep or r["config_id"] not in config_ids:
            continue
        unit_rows.append((r["dataset"], r["config_id"], r["status"], r["message"], r["seconds"]))
        for fold, metrics in enumerate(r["folds"]):
            perf_rows.extend((r["dataset"], r["config_id"], fold, m, v) for m, v in metrics.items())
    metafeatures = pd.DataFrame(
        [cached[d.name] for d in wanted], index=[d.name for d in wanted], columns=names
    )
    meta = MetaDataset(
        metafeatures,
        pd.DataFrame(perf_rows, columns=["dataset", "config_id", "fold", "metric", "value"]),
        config_table(configs),
        pd.DataFrame([info_rows[d.name] for d in wanted]).drop(columns=["rare_classes_dropped"]),
        pd.DataFrame(unit_rows, columns=["dataset", "config_id", "status", "message", "seconds"]),
        info={"source": "autometa builder", "settings": asdict(settings)},
    )
    meta.save(out)
    return meta
