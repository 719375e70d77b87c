"""What an evaluation is, and how it runs in this process.

A :class:`Job` is the cross-validation of one configuration on the rows of one rung within
a time limit; its :class:`Outcome` is the fold results or the error that ended it. An
:class:`Executor` runs up to ``capacity`` jobs at once: :class:`InlineExecutor` (``n_jobs=1``)
one at a time in this process, with ``fitting.fit_within``'s alarm that stops a fit at its
next Python-level step (a prediction runs to its end first), except a configuration whose
fit or prediction is one long C call (``learners.one_call``: a kernel SVM, a tree, a k-NN),
which no alarm stops: its jobs of ``KILLED_FROM_ROWS`` rows or more run in a worker
process killed ``KILL_GRACE`` past their limit (``fitting.call_within``). The worker
processes of ``n_jobs > 1`` are ``workers.py``'s, a Dask cluster ``cluster.py``'s.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from autometa.exceptions import BadInputError
from autometa.space.fitting import (
    FitResult,
    FitTimeout,
    call_within,
    cross_validate,
    may_start_processes,
)
from autometa.space.learners import get_config, one_call
from autometa.table.tabular import Task

__all__ = [
    "KILLED_FROM_ROWS",
    "KILL_GRACE",
    "MIN_JOB_SECONDS",
    "Executor",
    "InlineExecutor",
    "Job",
    "Outcome",
    "WorkerLost",
    "killed",
    "one_call_job",
    "run_here",
    "run_job",
    "run_killable",
]

# A job gets at least this long; one handed to its worker with less left is not run.
MIN_JOB_SECONDS = 0.05
# A job's worker is killed this long after its limit: long enough for the alarm inside the
# worker to end a fit cleanly (a FitTimeout comes back), short enough to keep the budget.
KILL_GRACE = 0.25
#: One-call fits (``learners.one_call``) of fewer rows run in this process: in the shipped
#: meta-dataset (data/metadataset/units.csv) the slowest of them, with its prediction,
#: takes seconds at 4,000 rows and tens of seconds at 16,000; the worker process costs a
#: start (a fresh interpreter) and sending the rows, which small tables need not pay.
KILLED_FROM_ROWS = 10_000


class WorkerLost(Exception):
    """The worker process running a job died before it answered."""


@dataclass(frozen=True)
class Job:
    """One evaluation to run.

    Attributes
    ----------
    key : tuple of int
        Its place in the search's deterministic order (``records.Record.key``).
    config : str
        Configuration id.
    rung : int
    rows : ndarray of int, shape (n_rows,)
        Row positions of the task to cross-validate on.
    seconds : float
        Time limit of the whole evaluation.
    folds, random_state, n_threads : int
        Cross-validation folds (at most), seed of folds and learner, BLAS/OpenMP threads.
    """

    key: tuple[int, ...]
    config: str
    rung: int
    rows: np.ndarray = field(repr=False)
    seconds: float
    folds: int
    random_state: int
    n_threads: int = 1


@dataclass
class Outcome:
    """A job's end: its fold results, or the error that ended it (``FitTimeout``,
    ``WorkerLost``, or the learner's own); ``seconds`` of wall time from its start."""

    job: Job
    results: list[FitResult] | None
    error: BaseException | None
    seconds: float


def run_job(task: Task, job: Job) -> list[FitResult]:
    """Cross-validate ``job.config`` on ``job.rows`` of ``task`` within ``job.seconds``.

    Classification uses no more folds than the rarest class has rows (regression: its bins
    adapt to the folds, see ``fitting.cross_validate``).
    """
    sub = task.subset(job.rows)
    rows = sub.y.value_counts().min() if sub.kind == "classification" else len(sub.y)
    folds = int(min(job.folds, rows))
    return cross_validate(
        get_config(job.config), sub, folds,
        seconds=job.seconds, random_state=job.random_state, n_threads=job.n_threads,
    )  # fmt: skip


def run_here(task: Task, job: Job) -> Outcome:
    """Run ``job`` in this process: its outcome, with the error that ended it, if any."""
    t0 = time.perf_counter()
    try:
        results: list[FitResult] | None = run_job(task, job)
        error: BaseException | None = None
    except Exception as exc:  # the search records it and goes on
        results, error = None, exc
    return Outcome(job, results, error, time.perf_counter() - t0)


def killed(config: str, rows: int) -> bool:
    """Whether a fit of ``config`` on ``rows`` rows runs in a worker process killed at its
    limit: its fit or prediction is one long C call (``learners.one_call``) and the rows
    are at least ``KILLED_FROM_ROWS``. An unknown id is not: running it reports that."""
    try:
        return rows >= KILLED_FROM_ROWS and one_call(config)
    except BadInputError:
        return False


def one_call_job(job: Job) -> bool:
    """Whether ``job`` runs in the killed worker process (:func:`killed`)."""
    return killed(job.config, len(job.rows))


def run_killable(task: Task, job: Job) -> Outcome:
    """Run ``job`` in this thread's worker process (``fitting.call_within``), killed
    ``KILL_GRACE`` past its limit; only the job's rows are sent."""
    t0 = time.perf_counter()
    local = dataclasses.replace(job, rows=np.arange(len(job.rows)))
    try:
        done = call_within(run_here, (task.subset(job.rows), local), job.seconds + KILL_GRACE)
    except FitTimeout as exc:
        return Outcome(job, None, exc, time.perf_counter() - t0)
    return Outcome(job, done.results, done.error, time.perf_counter() - t0)


class Executor(Protocol):
    """Runs jobs, up to ``capacity`` at once."""

    capacity: int

    def submit(self, job: Job) -> None:
        """Start ``job`` (only when fewer than ``capacity`` run)."""

    def running(self) -> int:
        """How many jobs run now."""

    def wait(self) -> list[Outcome]:
        """Block until at least one running job ends; its outcome and any other that ended."""

    def close(self) -> None:
        """Stop every job and worker (after an interrupt too)."""


class InlineExecutor:
    """One job at a time, run in this process when it is waited for."""

    capacity = 1

    def __init__(self, task: Task) -> None:
        self.task = task
        self._job: Job | None = None

    def submit(self, job: Job) -> None:
        self._job = job

    def running(self) -> int:
        return int(self._job is not None)

    def wait(self) -> list[Outcome]:
        job, self._job = self._job, None
        if job is None:
            return []
        if one_call_job(job) and may_start_processes():
            return [run_killable(self.task, job)]
        return [run_here(self.task, job)]

    def close(self) -> None:
        self._job = None
