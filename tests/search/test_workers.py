"""The search on worker processes: the same plan for any number of workers, a limit that
holds inside one long C call, a worker lost costing its evaluation only."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import autometa
from autometa.exceptions import BadInputError
from autometa.search import SearchEvent, SearchSettings
from autometa.search.jobs import InlineExecutor, Job
from autometa.search.workers import ProcessExecutor
from autometa.space.fitting import FitTimeout, discard_worker
from autometa.table.tabular import task_from_xy
from tests.helpers import race, worker_processes


@pytest.fixture(scope="module")
def task() -> autometa.Task:
    X, y = make_classification(3000, 20, n_informative=8, random_state=0)
    return task_from_xy(pd.DataFrame(X).add_prefix("f"), y)


def test_two_workers_evaluate_what_one_does_and_pick_the_same_winner(
    task: autometa.Task,
) -> None:
    rec = autometa.recommend(task)
    boards = {}
    for n_jobs in (1, 2):
        settings = SearchSettings(
            time_budget=120, max_configs=10, random_state=0, n_jobs=n_jobs, ensemble=False
        )
        result = race(task, rec, settings)
        board = result.leaderboard
        assert (board["status"] == "ok").all()
        assert set(board["n_rows"]) == {1000, 3000}  # two rungs: brackets overlap on 2
        boards[n_jobs] = (
            result.best_config,
            sorted(zip(board["config_id"], board["rung"], board["score"], strict=True)),
            list(board["config_id"]),
        )
    assert boards[1] == boards[2]
    assert not worker_processes()  # none outlives its search


def test_a_prediction_past_its_limit_is_stopped_by_killing_its_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autometa.search import workers

    # Without the inline start, a job given before any worker has started waits for one.
    monkeypatch.setattr(workers, "INLINE_WHILE_STARTING", False)
    # A k-NN of 40 columns predicts by brute force in one C call (seconds here) that no
    # alarm can stop: in this process the evaluation runs far past its 1 s limit.
    X, y = make_classification(60000, 40, random_state=0)
    big = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    executor = ProcessExecutor(big, 1)
    try:
        # Given before its worker has started (about 2 s), a job of 0.5 s is not run.
        executor.submit(Job((0,), "lda_00", 0, np.arange(600), 0.5, 3, 0))
        (outcome,) = executor.wait()
        assert isinstance(outcome.error, FitTimeout) and "no time left" in str(outcome.error)
        executor.wait_started()
        executor.submit(Job((0,), "knn_00", 0, np.arange(60000), 1.0, 3, 0))
        (outcome,) = executor.wait()
        assert isinstance(outcome.error, FitTimeout) and "worker stopped" in str(outcome.error)
        assert outcome.seconds < 1.0 + 1.0
        # A fresh worker took the slot: the next job runs.
        executor.submit(Job((1,), "lda_00", 0, np.arange(600), 30.0, 3, 0))
        (outcome,) = executor.wait()
        assert outcome.error is None and outcome.results is not None
    finally:
        executor.close()
    assert not worker_processes()


def test_with_inline_start_a_job_runs_here_while_the_workers_start(
    task: autometa.Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autometa.search import workers

    monkeypatch.setattr(workers, "INLINE_WHILE_STARTING", True)
    executor = ProcessExecutor(task, 1)
    try:
        # Given before its worker has started (about 2 s): without the inline start this
        # job of 0.5 s is not run at all (the test above).
        executor.submit(Job((0,), "lda_00", 0, np.arange(600), 0.5, 3, 0))
        (outcome,) = executor.wait()
        assert outcome.error is None and len(outcome.results or []) == 3
        assert not executor._slots[0].ready.done()  # no worker had started: it ran here
        executor.wait_started()  # once a worker has started, jobs run there
        monkeypatch.setattr(executor, "_run_here", lambda slot: pytest.fail("ran here"))
        executor.submit(Job((1,), "lda_00", 0, np.arange(600), 30.0, 3, 0))
        (outcome,) = executor.wait()
        assert outcome.error is None and len(outcome.results or []) == 3
    finally:
        executor.close()
    assert not worker_processes()


def _workers_gone(seconds: float = 10.0) -> bool:
    """Whether the worker processes have ended within ``seconds``: one killed at its
    deadline is not waited for (the search has no time for it)."""
    end = time.perf_counter() + seconds
    while worker_processes() and time.perf_counter() < end:
        time.sleep(0.05)
    return not worker_processes()


def test_a_kernel_svm_run_here_is_stopped_at_its_limit_in_a_killed_process() -> None:
    # A libsvm solve is one C call: in this process the alarm would ring only after it
    # ends, far past the limit (a large C and a small gamma make it long).
    X, y = make_classification(12000, 20, random_state=0)
    big = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    slow = "svc_00[C=1000000,gamma=0.001]"
    inline = InlineExecutor(big)
    inline.submit(Job((0,), "svc_00", 0, np.arange(600), 30.0, 3, 0))
    (outcome,) = inline.wait()  # a small job runs here: no process to start
    assert outcome.error is None and not worker_processes()
    inline.submit(Job((1,), slow, 0, np.arange(12000), 3.0, 3, 0))
    (outcome,) = inline.wait()
    assert isinstance(outcome.error, FitTimeout), outcome.error
    assert outcome.seconds < 3.0 + 2.0  # the worker's start counts in the limit
    # A quick one of as many rows runs in the same worker and comes back whole.
    inline.submit(Job((2,), "svc_09", 0, np.arange(12000), 60.0, 3, 0))
    (outcome,) = inline.wait()
    assert outcome.error is None and len(outcome.results or []) == 3
    assert outcome.results[0].model.predict(big.X.head(2)).shape == (2,)  # type: ignore[index]
    discard_worker(wait=True)
    assert _workers_gone()


def test_a_knn_predicting_here_past_its_limit_is_stopped_in_a_killed_process() -> None:
    # A k-NN of 40 columns predicts by brute force in one C call (seconds here).
    X, y = make_classification(60000, 40, random_state=0)
    inline = InlineExecutor(task_from_xy(pd.DataFrame(X).add_prefix("f"), y))
    inline.submit(Job((0,), "knn_00", 0, np.arange(60000), 1.0, 3, 0))
    (outcome,) = inline.wait()
    assert isinstance(outcome.error, FitTimeout), outcome.error
    assert outcome.seconds < 1.0 + 3.0  # the worker's start and the rows sent count too
    discard_worker(wait=True)
    assert _workers_gone()


def test_an_error_on_a_worker_comes_back_as_that_jobs_error(task: autometa.Task) -> None:
    executor = ProcessExecutor(task, 1)
    try:
        executor.submit(Job((0,), "no_such_config", 0, np.arange(300), 30.0, 3, 0))
        (outcome,) = executor.wait()
        assert isinstance(outcome.error, BadInputError) and outcome.results is None
    finally:
        executor.close()
    inline = InlineExecutor(task)
    inline.submit(Job((0,), "no_such_config", 0, np.arange(300), 30.0, 3, 0))
    assert isinstance(inline.wait()[0].error, BadInputError)


def test_a_worker_lost_mid_search_costs_that_evaluation_only(task: autometa.Task) -> None:
    rec = autometa.recommend(task)
    killed: list[int] = []

    def kill_one(event: SearchEvent) -> None:
        # After the first evaluation ends, the other worker is mid-evaluation (or about to
        # take the next job): kill it.
        if killed:
            return
        busy = worker_processes()
        if busy:
            killed.append(busy[-1].pid)
            os.kill(busy[-1].pid, signal.SIGKILL)

    settings = SearchSettings(time_budget=60, max_configs=8, random_state=0, n_jobs=2)
    result = race(task, rec, settings, callback=kill_one)
    board = result.leaderboard
    assert killed
    lost = board[board["status"] == "lost"]
    assert len(lost) == 1 and lost["message"].iloc[0].startswith("worker process")
    assert (board["status"] == "ok").sum() >= 6  # the others were evaluated
    assert result.pipeline.predict(task.X.head(3)).shape == (3,)
    assert not worker_processes()


def test_n_jobs_is_checked() -> None:
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(BadInputError, match="n_jobs"):
            SearchSettings(time_budget=10, n_jobs=bad)  # type: ignore[arg-type]
    assert SearchSettings(time_budget=10, n_jobs=-1).workers == (os.cpu_count() or 1)


def test_workers_are_not_started_where_a_process_may_not_have_children(
    task: autometa.Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    with pytest.raises(BadInputError, match="n_jobs=1"):
        ProcessExecutor(task, 2)


@pytest.mark.skipif(not hasattr(__import__("resource"), "prlimit"), reason="Linux prlimit")
def test_a_memory_error_on_a_worker_is_that_jobs_error_and_the_worker_goes_on(
    task: autometa.Task,
) -> None:
    import resource

    executor = ProcessExecutor(task, 1)
    try:
        executor.wait_started()
        (worker,) = worker_processes()
        # Hardly any more address space than the worker has: 300 trees cannot be grown.
        room = worker.memory_info().vms + 2**20
        soft, hard = resource.prlimit(worker.pid, resource.RLIMIT_AS)
        resource.prlimit(worker.pid, resource.RLIMIT_AS, (room, hard))  # the soft limit only
        executor.submit(Job((0,), "rf_07", 0, np.arange(3000), 60.0, 3, 0))
        (outcome,) = executor.wait()
        assert isinstance(outcome.error, MemoryError) and outcome.results is None
        # Memory is back (as when the system frees it): the same worker takes the next job.
        resource.prlimit(worker.pid, resource.RLIMIT_AS, (soft, hard))
        executor.submit(Job((1,), "lr_00", 0, np.arange(300), 60.0, 3, 0))
        (outcome,) = executor.wait()
        assert outcome.error is None and len(outcome.results or []) == 3
        assert worker_processes() == [worker]  # the same worker, still there
    finally:
        executor.close()
