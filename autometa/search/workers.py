"""Where evaluations run: in this process, or in worker processes that hold the data.

An evaluation (:class:`Job`) is the cross-validation of one configuration on the rows of
one rung within a time limit. An executor runs up to ``capacity`` of them at once and
hands back each one's :class:`Outcome` as it ends:

- :class:`InlineExecutor` (``n_jobs=1``): one at a time, in this process. Its time limit
  is ``fitting.fit_within``'s: an alarm that stops a fit at its next Python-level step;
  a prediction, or one long C call, runs to its end first.
- :class:`ProcessExecutor` (``n_jobs > 1``, or ``-1`` for one per core): ``n`` worker
  processes, each sent the task once when it starts and then only the job (a
  configuration id, row positions, a limit), each through its own pipe. Inside a worker the alarm stops a fit
  as in this process; a job still running ``KILL_GRACE`` seconds past its limit (a k-NN
  predicting a million rows in one C call) has its worker killed: the outcome is a
  timeout, and a fresh worker takes the slot. A worker that dies (killed by the operating
  system, a crash in a C extension) costs its job only: the outcome is "lost".

The fitted models and out-of-fold predictions come back to this process with the outcome:
the refit's fallback and the ensemble need them.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from autometa.exceptions import BadInputError
from autometa.space.fitting import FitResult, FitTimeout, cross_validate, may_start_processes
from autometa.space.learners import get_config
from autometa.table.tabular import Task

__all__ = [
    "KILL_GRACE",
    "Executor",
    "InlineExecutor",
    "Job",
    "Outcome",
    "ProcessExecutor",
    "WorkerLost",
    "make_executor",
    "run_job",
]

# A job's worker is killed this long after its limit: long enough for the alarm inside the
# worker to end a fit cleanly (a FitTimeout comes back), short enough to keep the budget.
KILL_GRACE = 0.25
# A job gets at least this long; one handed to its worker with less left is not run.
MIN_JOB_SECONDS = 0.05
POLL_SECONDS = 0.05  # how often a job waiting for its worker to start looks again


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
        t0 = time.perf_counter()
        try:
            results: list[FitResult] | None = run_job(self.task, job)
            error: BaseException | None = None
        except Exception as exc:  # the search records it and goes on
            results, error = None, exc
        return [Outcome(job, results, error, time.perf_counter() - t0)]

    def close(self) -> None:
        self._job = None


def _serve(conn: Any) -> None:
    """A worker process's life: receive the task once, say so, then answer each job with
    ("ok", fold results) or ("error", the exception) until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the search's to handle
    task = conn.recv()
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the search has ended
            return
        try:
            answer: tuple[str, Any] = ("ok", run_job(task, job))
        except Exception as exc:
            answer = ("error", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception that does not pickle: its text
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


@dataclass
class _Worker:
    """One worker process and this process's end of its pipe (the only other end is the
    worker's: when it dies, reading gives EOFError instead of waiting for ever)."""

    process: Any
    conn: Any

    def kill(self) -> None:
        """End it at once (SIGKILL), even inside a C call."""
        if self.process.is_alive():
            try:  # loky's processes have no kill(): the signal itself
                os.kill(self.process.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
            except OSError:  # already gone
                pass
        self.process.join(timeout=5)
        self.conn.close()


def _spawn(task: Task) -> _Worker:
    """A worker process that has started and holds ``task`` (a fresh interpreter imports
    the learners and unpickles the task: benchmarks/workers.py times it). loky's process
    context, so that a user's script without ``if __name__ == "__main__"`` is not run again
    in the worker."""
    from joblib.externals.loky.backend.context import get_context

    context = get_context("loky")
    mine, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True)
    process.start()
    theirs.close()
    worker = _Worker(process, mine)
    try:
        mine.send(task)
        mine.recv()  # ("ready", None)
    except BaseException:
        worker.kill()
        raise
    return worker


@dataclass
class _Slot:
    """One worker and its job."""

    ready: concurrent.futures.Future[_Worker]  # the worker, once started with the task
    job: Job | None = None
    handed: bool = False  # the job was sent to the worker
    deadline: float = math.nan  # the job's end: its limit counted from its submission
    started: float = math.nan  # when the worker had the job
    failed: BaseException | None = None  # why the job could not be sent or run

    def worker(self) -> _Worker | None:
        """The worker once started (None while it starts, or when it failed to start)."""
        ready = self.ready
        if not ready.done() or ready.cancelled() or ready.exception() is not None:
            return None
        return ready.result()

    def kill_at(self) -> float:
        """When the running job is past its limit and the grace."""
        if self.job is None or not self.handed:
            return math.inf
        return self.deadline + KILL_GRACE


class ProcessExecutor:
    """``n_workers`` worker processes, each holding the task; see the module docstring.

    Workers start in the background (together at first, and after a kill), so that the
    search goes on meanwhile; a job given to a worker that is still starting waits for it,
    and has what is left of its limit once the worker has it (the budget is the user's).
    Each worker has its own pipe: a job goes down, its answer comes back.
    """

    def __init__(self, task: Task, n_workers: int) -> None:
        if not may_start_processes():
            raise BadInputError(
                "n_jobs > 1 starts worker processes, which this (daemonic) process may not "
                "do; use n_jobs=1 here."
            )
        self.task = task
        self.capacity = int(n_workers)
        self._starter = concurrent.futures.ThreadPoolExecutor(self.capacity)
        self._slots = [_Slot(self._starter.submit(_spawn, task)) for _ in range(self.capacity)]

    def wait_started(self) -> None:
        """Block until every worker has started (or failed to)."""
        concurrent.futures.wait([s.ready for s in self._slots])

    def submit(self, job: Job) -> None:
        free = [s for s in self._slots if s.job is None]
        slot = next((s for s in free if s.ready.done()), free[0])  # a started worker first
        slot.job, slot.deadline = job, time.perf_counter() + job.seconds
        self._hand_over()

    def _hand_over(self) -> None:
        """Send each started worker the job waiting for it."""
        for slot in self._slots:
            if slot.job is None or slot.handed or slot.failed is not None:
                continue
            if slot.ready.done() and slot.worker() is None:  # it could not start
                slot.failed = WorkerLost(
                    f"worker process did not start: {slot.ready.exception()}"[:300]
                )
                continue
            worker = slot.worker()
            if worker is None:
                continue
            slot.started = time.perf_counter()
            left = slot.deadline - slot.started
            if left < MIN_JOB_SECONDS:  # its worker started too late for it: not run
                slot.failed = FitTimeout(
                    f"no time left of its {slot.job.seconds:.3g} s limit once a worker had started"
                )
                continue
            try:
                worker.conn.send(dataclasses.replace(slot.job, seconds=left))
                slot.handed = True
            except OSError as exc:  # its worker died while idle
                slot.failed = WorkerLost(f"worker process lost: {exc}"[:300])

    def running(self) -> int:
        return sum(s.job is not None for s in self._slots)

    def wait(self) -> list[Outcome]:
        from multiprocessing.connection import wait

        busy = [s for s in self._slots if s.job is not None]
        while busy:
            self._hand_over()
            ended = [s for s in busy if s.failed is not None]
            if ended:
                return [self._collect(s) for s in ended]
            talking = {s.worker().conn: s for s in busy if s.handed}  # type: ignore[union-attr]
            kill_at = min(s.kill_at() for s in busy)
            # A worker still starting is looked at again every POLL_SECONDS.
            timeout = POLL_SECONDS if len(talking) < len(busy) else None
            if not math.isinf(kill_at):
                timeout = min(timeout or math.inf, max(kill_at - time.perf_counter(), 0.0))
            answered = wait(list(talking), timeout=timeout)
            now = time.perf_counter()
            ended = [talking[c] for c in answered] + [
                s
                for s in busy
                if s.handed and now > s.kill_at() and s.worker().conn not in answered  # type: ignore[union-attr]
            ]
            if ended:
                return [self._collect(s) for s in ended]
        return []

    def _collect(self, slot: _Slot) -> Outcome:
        """The slot's outcome; the slot is free again (with a fresh worker starting when
        it had to be killed, died, or could not start)."""
        job, worker = slot.job, slot.worker()
        assert job is not None
        seconds = time.perf_counter() - slot.started if slot.handed else 0.0
        results: list[FitResult] | None = None
        error: BaseException | None = slot.failed
        fresh = isinstance(error, WorkerLost)
        if error is None and worker is not None:
            if worker.conn.poll():
                try:
                    kind, value = worker.conn.recv()
                    results, error = (value, None) if kind == "ok" else (None, value)
                except (EOFError, OSError) as exc:  # it died, during its answer too
                    error, fresh = WorkerLost(f"worker process lost: {exc!r}"[:300]), True
            else:  # past its limit inside a call the alarm cannot stop
                error = FitTimeout(
                    f"evaluation exceeded the {job.seconds:.3g} s limit; worker stopped"
                )
                fresh = True
        if fresh:
            if worker is not None:
                worker.kill()
            slot.ready = self._starter.submit(_spawn, self.task)
        slot.job, slot.handed, slot.failed = None, False, None
        return Outcome(job, results, error, seconds)

    def close(self) -> None:
        """Kill every worker; one still starting is killed as soon as it has started
        (without waiting for it here: the budget is the user's)."""
        self._starter.shutdown(wait=False, cancel_futures=True)
        for slot in self._slots:
            slot.ready.add_done_callback(_kill_started)
            slot.job, slot.handed, slot.failed = None, False, None


def _kill_started(ready: concurrent.futures.Future[_Worker]) -> None:
    if not ready.cancelled() and ready.exception() is None:
        ready.result().kill()


@contextmanager
def make_executor(task: Task, workers: int) -> Iterator[Executor]:
    """The executor for ``workers`` (see the module docstring), closed on the way out:
    no worker process outlives the search, also after an error or a Ctrl-C."""
    executor: Executor = InlineExecutor(task) if workers == 1 else ProcessExecutor(task, workers)
    try:
        yield executor
    finally:
        executor.close()
