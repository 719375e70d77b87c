"""Fit one configuration under a time limit and score it: the one home of that job.

The builder (learning curves of every configuration) and the search (racing the
recommended ones) both call :func:`fit_and_score` (one fit, scored on one or more
validation parts) or :func:`cross_validate` (stratified k-fold). Every fit runs with one
BLAS/OpenMP thread per ``n_threads``, no nested joblib parallelism and warnings silenced.

The time limit (:func:`fit_within`) works everywhere the package runs:

- in a process's main thread where SIGALRM exists (Linux, macOS): an alarm interrupts the
  fit at its next Python-level step (a tree, an iteration, an epoch); a single long C call
  (one kernel SVM solve) finishes first, so the search's cost model keeps such fits out of
  reach of the deadline;
- elsewhere (a worker thread of a web server, a notebook's background thread; Windows):
  the fit runs in a separate worker process, one per calling thread, that is killed at the
  deadline. It costs sending the rows and the fitted model between processes.
- in a daemonic process, which may not start children (a Dask worker of a local cluster),
  the fit runs in place without a limit: the builder's row cap bounds it there.

A caller that knows the fit is one long C call (``learners.one_call``) asks for the worker
process even where the alarm exists (``fit_within(kill=True)``, :func:`call_within`): the
search's evaluations in its own process and its final fit.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from joblib import parallel_config
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from autometa.space.learners import LearnerConfig
from autometa.space.memory import peak_memory
from autometa.space.metrics import Predictions, predictions, score_predictions
from autometa.space.pipelines import build_pipeline
from autometa.table.tabular import Task
from autometa.table.targets import stratification_labels

__all__ = [
    "FitResult",
    "FitTimeout",
    "alarm_available",
    "call_within",
    "cross_validate",
    "discard_worker",
    "fit_and_score",
    "fit_within",
    "may_start_processes",
    "quiet",
    "start_worker",
    "time_limit",
]


T = TypeVar("T")


class FitTimeout(Exception):
    """A fit ran past its time limit (raised inside the fit by :func:`time_limit`)."""


def may_start_processes() -> bool:
    """False in a daemonic process (a Dask worker of a local cluster), which may not
    start child processes."""
    return not multiprocessing.current_process().daemon


def alarm_available() -> bool:
    """True where :func:`time_limit` can interrupt: a main thread with SIGALRM."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; only in a process's main thread).

    The alarm interrupts at the next Python-level step (a tree, an iteration, an epoch); a
    single long C call finishes first. Where no alarm is possible (see
    :func:`alarm_available`) the block runs unlimited: use :func:`fit_within` for fits.
    """
    if not alarm_available():
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


@contextmanager
def quiet(n_threads: int = 1) -> Iterator[None]:
    """``n_threads`` BLAS/OpenMP threads, sequential joblib, warnings silenced.

    Sequential joblib because under the Dask backend a forest would otherwise send its
    trees back to the cluster as tasks (benchmarks/builder_throughput.py).
    """
    with (
        threadpool_limits(n_threads),
        parallel_config(backend="sequential"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


_workers: dict[int, Any] = {}  # calling thread -> its worker process (an executor)
_workers_lock = threading.Lock()


def _worker() -> Any:
    from joblib.externals.loky import ProcessPoolExecutor

    key = threading.get_ident()
    with _workers_lock:
        executor = _workers.get(key)
    if executor is None:
        executor = ProcessPoolExecutor(max_workers=1)
        executor.submit(int).result()  # started and imported before any deadline runs
        with _workers_lock:
            _workers[key] = executor
    return executor


def start_worker() -> None:
    """Start the calling thread's worker process now, if it has none: a caller that plans a
    ``fit_within(kill=True)`` by the time left then plans without the start in it."""
    if may_start_processes():
        _worker()


def discard_worker(wait: bool = False) -> None:
    """Stop the calling thread's worker process, if it has one, so that its next fit starts
    a fresh one: after a fit killed at its deadline, or an interrupt (Ctrl-C reaches the
    worker too, which leaves it broken). With ``wait``, return once it has ended (the end
    of a search: nothing outlives it)."""
    with _workers_lock:
        executor = _workers.pop(threading.get_ident(), None)
    if executor is not None:
        executor.shutdown(wait=wait, kill_workers=True)


def _fit_remote(pipe: Any, X: Any, y: Any, n_threads: int) -> Any:
    with quiet(n_threads):
        return pipe.fit(X, y)


def fit_within(
    pipe: Any, X: Any, y: Any, seconds: float, n_threads: int = 1, *, kill: bool = False
) -> Any:
    """Fit ``pipe`` on (X, y) and return the fitted pipeline, or raise :class:`FitTimeout`
    after ``seconds`` (see the module docstring for how, by platform and thread).

    With ``kill``, the fit runs in the worker process even where the alarm is available
    (:func:`call_within`): for a fit that is one long C call (``learners.one_call``).
    """
    if kill and may_start_processes():
        return call_within(_fit_remote, (pipe, X, y, n_threads), seconds)
    if alarm_available():
        with time_limit(seconds):
            return pipe.fit(X, y)
    if not may_start_processes():  # no child process allowed: no limit
        return pipe.fit(X, y)
    _worker()  # here the limit counts from the worker's start (kept for the next fits)
    return call_within(_fit_remote, (pipe, X, y, n_threads), seconds)


def call_within(fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
    """``fn(*args)`` in the calling thread's worker process, which is killed ``seconds``
    from now (:class:`FitTimeout`), even inside one long C call. The worker's start (a
    fresh interpreter, when the thread has none: :func:`start_worker` starts it ahead)
    counts in ``seconds``, as does sending ``args`` and the result between the processes.
    The worker stays for the thread's next call; a killed one is replaced then."""
    end = time.perf_counter() + seconds
    future = _worker().submit(fn, *args)
    try:
        return future.result(timeout=max(end - time.perf_counter(), 0.0))  # type: ignore[no-any-return]
    except concurrent.futures.TimeoutError:
        discard_worker()
        raise FitTimeout(f"fit exceeded the {seconds:g} s limit") from None


@dataclass
class FitResult:
    """One fit of one configuration, scored on validation parts.

    Attributes
    ----------
    parts : list of dict
        One dict per validation part: every metric of the task kind (raw values).
    fit_seconds, predict_seconds : float
        Seconds of the fit, and of predicting all parts.
    model : Pipeline
        The fitted pipeline.
    predictions : list of Predictions
        The model's predictions on each part (what the metrics were computed from).
    part_rows : list of ndarray
        Row positions of each part.
    peak_mb : float
        Peak resident memory of this process during the fit and the predictions, above
        their start, in MiB (``memory.peak_memory``; NaN where it cannot be measured). It
        is the fit's own only when the fit runs in this process (not in a worker process,
        see :func:`fit_within`) and nothing else runs beside it.
    """

    parts: list[dict[str, float]]
    fit_seconds: float
    predict_seconds: float
    model: Any = field(repr=False)
    predictions: list[Predictions] = field(default_factory=list, repr=False)
    part_rows: list[np.ndarray] = field(default_factory=list, repr=False)
    peak_mb: float = math.nan


def fit_and_score(
    config: LearnerConfig,
    task: Task,
    train: np.ndarray,
    parts: Sequence[np.ndarray],
    *,
    seconds: float,
    random_state: int = 0,
    n_threads: int = 1,
) -> FitResult:
    """Fit ``config`` on rows ``train`` of ``task`` within ``seconds``; score each part.

    Parameters
    ----------
    config : LearnerConfig
    task : Task
    train : ndarray of int, shape (n_train,)
        Row positions to fit on.
    parts : sequence of ndarray of int
        Row positions of each validation part (scored separately, so a caller can pick
        on one part and report on another).
    seconds : float
        Time limit of the fit (see :func:`time_limit`).
    random_state : int
        Seeds the learner.
    n_threads : int
        BLAS/OpenMP threads.

    Raises
    ------
    FitTimeout
        When the fit runs past ``seconds``; any error of the learner propagates.
    """
    pipe = build_pipeline(config, task.numeric_columns, task.categorical_columns, random_state)
    y = task.y.to_numpy()
    with quiet(n_threads), peak_memory() as peak:  # the copy of the training rows counts
        t0 = time.perf_counter()
        pipe = fit_within(pipe, task.X.iloc[train], y[train], seconds, n_threads)
        t1 = time.perf_counter()
        made = [predictions(pipe, task.X.iloc[p]) for p in parts]
        scored = [score_predictions(y[p], m, task.kind) for p, m in zip(parts, made, strict=True)]
        t2 = time.perf_counter()
    rows = [np.asarray(p) for p in parts]
    return FitResult(scored, t1 - t0, t2 - t1, pipe, made, rows, peak.mb)


def cross_validate(
    config: LearnerConfig,
    task: Task,
    folds: int,
    *,
    seconds: float,
    random_state: int = 0,
    n_threads: int = 1,
) -> list[FitResult]:
    """Stratified ``folds``-fold cross-validation of ``config`` on ``task`` (regression:
    stratified by the target's quantile bins, as few as ``folds`` can fill).

    ``seconds`` bounds the whole cross-validation: each fold gets what the previous ones
    left. The folds are shuffled with ``random_state``, so every configuration sees the
    same folds. Returns one :class:`FitResult` per fold (one part each).
    """
    cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    deadline = time.perf_counter() + seconds
    results = []
    strata = stratification_labels(task.y.to_numpy(), task.kind, folds)
    for train, test in cv.split(task.X, strata):
        left = max(deadline - time.perf_counter(), 0.05)
        results.append(
            fit_and_score(
                config,
                task,
                train,
                [test],
                seconds=left,
                random_state=random_state,
                n_threads=n_threads,
            )
        )
    return results
