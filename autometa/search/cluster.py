"""Evaluations on a Dask cluster: the executor of ``SearchSettings.scheduler`` (or a
``distributed.Client`` handed to ``search``).

The task is scattered once to every worker (``broadcast``), then each job travels alone
(a configuration id, row positions, a limit) and its fold results come back, as with
worker processes (``workers.ProcessExecutor``). Capacity is the cluster's threads.

Limits. A Dask worker runs a job in one of its threads, where no alarm can stop a fit; a
job still running ``KILL_GRACE`` past its limit is cancelled and the worker process that
runs it killed (its nanny starts a fresh one, which fetches the task from the others),
and the task is scattered again to the others: the outcome is a timeout. A worker that
dies on its own is Dask's to handle: the scheduler runs its job again elsewhere, and
after ``allowed-failures`` deaths the job's outcome is "lost" (``KilledWorker``).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autometa.exceptions import BadInputError
from autometa.search.jobs import KILL_GRACE, Job, Outcome, WorkerLost, run_job
from autometa.space.fitting import FitResult, FitTimeout
from autometa.table.tabular import Task

__all__ = ["CONNECT_SECONDS", "DaskExecutor", "connect", "dask_executor", "exit_now"]

CONNECT_SECONDS = 10.0  # an unreachable scheduler is an error after this long


def connect(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address`` ("tcp://host:8786"), or a
    clear error: distributed not installed, the scheduler unreachable (within ``timeout``
    seconds, default ``CONNECT_SECONDS``), no workers."""
    timeout = CONNECT_SECONDS if timeout is None else timeout
    try:
        from distributed import Client
    except ImportError:
        raise BadInputError(
            "A Dask scheduler needs the distributed package: pip install 'dask[distributed]'."
        ) from None
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BadInputError(
            f"Could not reach the Dask scheduler at {address!r} within {timeout:g} s "
            f"({type(exc).__name__}: {exc}). Is it running, and is the address right?"
        ) from None
    if not client.scheduler_info().get("workers"):
        client.close()
        raise BadInputError(f"The Dask scheduler at {address!r} has no workers.")
    return client


class DaskExecutor:
    """Jobs on the workers of ``client``'s cluster; see the module docstring."""

    def __init__(self, task: Task, client: Any) -> None:
        workers = client.scheduler_info().get("workers", {})
        if not workers:
            raise BadInputError("The Dask cluster has no workers.")
        self.client = client
        self.task = task
        self.capacity = int(sum(w.get("nthreads", 1) for w in workers.values()))
        self._data = client.scatter(task, broadcast=True, hash=False)
        # job key -> (its future, the job, its deadline)
        self._running: dict[tuple[int, ...], tuple[Any, Job, float]] = {}

    def submit(self, job: Job) -> None:
        future = self.client.submit(run_job, self._data, job, pure=False)
        self._running[job.key] = (future, job, time.perf_counter() + job.seconds)

    def running(self) -> int:
        return len(self._running)

    def wait(self) -> list[Outcome]:
        from distributed import wait

        while self._running:
            kill_at = min(deadline for _, _, deadline in self._running.values()) + KILL_GRACE
            futures = [future for future, _, _ in self._running.values()]
            try:
                wait(futures, timeout=max(kill_at - time.perf_counter(), 0.01),
                     return_when="FIRST_COMPLETED")  # fmt: skip
            except Exception:  # the timeout, or a cancelled future (a lost worker): see below
                pass
            now = time.perf_counter()
            ended = [
                key for key, (future, _, deadline) in self._running.items()
                if future.done() or now > deadline + KILL_GRACE
            ]  # fmt: skip
            if ended:
                return [self._collect(key, now) for key in ended]
        return []

    def _collect(self, key: tuple[int, ...], now: float) -> Outcome:
        future, job, deadline = self._running.pop(key)
        started = deadline - job.seconds
        results: list[FitResult] | None = None
        error: BaseException | None = None
        if not future.done():
            error = FitTimeout(f"evaluation exceeded the {job.seconds:.3g} s limit; worker stopped")
            self._stop(future)
        elif future.status == "finished":
            results = future.result()
        else:
            exc = future.exception() if future.status == "error" else None
            if exc is None or type(exc).__name__ == "KilledWorker":
                error = WorkerLost(f"worker lost: {exc or future.status}"[:300])
            else:
                error = exc
        return Outcome(job, results, error, now - started)

    def _stop(self, future: Any) -> None:
        """Cancel a job past its limit and kill the worker process that runs it; its nanny
        starts a fresh one, which fetches the task from the others when it needs it."""
        where = [w for w, keys in self.client.processing().items() if future.key in keys]
        future.cancel()
        if where:  # run in the worker's event loop, which a C call in a task leaves free
            self.client.run(exit_now, workers=where, wait=False)
            # Jobs from now on depend on a copy the killed worker never held: on the others
            # (the fresh worker fetches it from them when it needs it).
            others = [w for w in self.client.scheduler_info()["workers"] if w not in where]
            if others:
                self._data = self.client.scatter(
                    self.task, workers=others, broadcast=True, hash=False
                )

    def close(self) -> None:
        for future, _, _ in self._running.values():
            future.cancel()
        self._running.clear()


async def exit_now() -> None:
    """End this process at once (sent to a Dask worker, whose nanny restarts it; a
    coroutine, so that ``Client.run`` need not wait for an answer that never comes)."""
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


@contextmanager
def dask_executor(task: Task, cluster: Any) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` on ``cluster``: a ``distributed.Client``, or a scheduler's
    address (then connected here, and closed on the way out)."""
    client = connect(cluster) if isinstance(cluster, str) else cluster
    executor = DaskExecutor(task, client)
    try:
        yield executor
    finally:
        executor.close()
        if client is not cluster:
            client.close()
