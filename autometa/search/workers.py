"""Worker processes that hold the data: the executor of ``n_jobs > 1``.

:class:`ProcessExecutor` (``n_jobs > 1``, or ``-1`` for one per core) runs ``n`` worker
processes, each sent the task once when it starts and then only the job (a configuration
id, row positions, a limit; ``jobs.py``), each through its own pipe. Inside a worker the
alarm stops a fit as in this process; a job still running ``KILL_GRACE`` seconds past its
limit (a k-NN predicting a million rows in one C call) has its worker killed: the outcome
is a timeout, and a fresh worker takes the slot. A worker that dies (killed by the
operating system, a crash in a C extension) costs its job only: the outcome is "lost".

Starting the workers takes about 2 s (a fresh interpreter imports the learners). With
``INLINE_WHILE_STARTING``, while no worker has started yet, this process runs the waiting
jobs itself, as :class:`~autometa.search.jobs.InlineExecutor` does (its alarm, no kill),
one at a time (but a one-call job, ``learners.one_call``, waits for a worker); a worker
that starts meanwhile takes the next job.

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
from dataclasses import dataclass
from typing import Any

from autometa.exceptions import BadInputError
from autometa.search.jobs import (
    KILL_GRACE,
    MIN_JOB_SECONDS,
    Executor,
    InlineExecutor,
    Job,
    Outcome,
    WorkerLost,
    one_call_job,
    run_here,
    run_job,
)
from autometa.space.fitting import FitResult, FitTimeout, may_start_processes
from autometa.table.tabular import Task

__all__ = ["KILL_GRACE", "ProcessExecutor", "make_executor"]

POLL_SECONDS = 0.05  # how often a job waiting for its worker to start looks again
#: Run jobs in this process while no worker has started. On by the rule of
#: benchmarks/time_to_accuracy.py's "default 2 workers inline start": at 10 s on 76 tables,
#: the same mean accuracy (0.8377) and 10.65 evaluations per second against 4.86.
INLINE_WHILE_STARTING = True


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
            # Not a one-call job (learners.one_call): here no alarm would stop it.
            here = [s for s in busy if not one_call_job(s.job)]  # type: ignore[arg-type]
            if INLINE_WHILE_STARTING and here and all(s.worker() is None for s in self._slots):
                return [self._run_here(here[0])]
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

    def _run_here(self, slot: _Slot) -> Outcome:
        """Run the slot's job in this process with what is left of its limit (no worker
        has started); the slot is free again."""
        job = slot.job
        assert job is not None and not slot.handed
        slot.job, slot.failed = None, None
        left = slot.deadline - time.perf_counter()
        if left < MIN_JOB_SECONDS:
            return Outcome(job, None, FitTimeout("no time left of its limit"), 0.0)
        return run_here(self.task, dataclasses.replace(job, seconds=left))

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
