"""The search on a Dask cluster: the same plan as in one process, a limit that holds (the
worker is restarted), a worker lost mid-search, an unreachable scheduler."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import autometa
from autometa.exceptions import BadInputError
from autometa.search import SearchEvent, SearchSettings
from autometa.search import cluster as cluster_module
from autometa.search.cluster import DaskExecutor, connect, exit_now
from autometa.search.jobs import Job
from autometa.space.fitting import FitTimeout
from autometa.table.tabular import task_from_xy
from tests.helpers import race

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def client(cluster: Any) -> Any:
    """The cluster with both workers up (a test before may have had one restarted)."""
    cluster.wait_for_workers(2, timeout=60)
    return cluster


@pytest.fixture(scope="module")
def task() -> autometa.Task:
    X, y = make_classification(3000, 20, n_informative=8, random_state=0)
    return task_from_xy(pd.DataFrame(X).add_prefix("f"), y)


def _plan(result: Any) -> tuple[str, list[tuple[str, int, float]]]:
    board = result.leaderboard
    done = board[board["status"] == "ok"]
    return result.best_config, sorted(
        zip(done["config_id"], done["rung"], done["score"], strict=True)
    )


def test_a_dask_cluster_evaluates_what_one_process_does(task: autometa.Task, client: Any) -> None:
    rec = autometa.recommend(task)
    settings = SearchSettings(time_budget=120, max_configs=8, random_state=0, ensemble=False)
    here = race(task, rec, settings)
    there = race(task, rec, settings, client=client)
    assert _plan(here) == _plan(there)
    assert (there.leaderboard["status"] == "ok").all()


def test_a_job_past_its_limit_on_dask_stops_its_worker(client: Any) -> None:
    # A k-NN of 40 columns predicts by brute force in one C call, seconds long here.
    X, y = make_classification(60000, 40, random_state=0)
    big = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    executor = DaskExecutor(big, client)
    try:
        executor.submit(Job((0,), "knn_00", 0, np.arange(60000), 1.0, 3, 0))
        t0 = time.perf_counter()
        (outcome,) = executor.wait()
        assert time.perf_counter() - t0 < 1.0 + 1.0
        assert isinstance(outcome.error, FitTimeout) and "stopped" in str(outcome.error)
        executor.submit(Job((1,), "lda_00", 0, np.arange(600), 60.0, 3, 0))
        (outcome,) = executor.wait()
        assert outcome.error is None and outcome.results is not None
    finally:
        executor.close()


def test_a_dask_worker_lost_mid_search_still_gives_a_model(
    task: autometa.Task, client: Any
) -> None:
    rec = autometa.recommend(task)
    killed: list[bool] = []

    def kill_one(event: SearchEvent) -> None:
        if not killed:
            killed.append(True)
            worker = sorted(client.scheduler_info()["workers"])[0]
            # The nanny restarts it; the scheduler runs its job again elsewhere.
            client.run(exit_now, workers=[worker], wait=False)

    settings = SearchSettings(time_budget=90, max_configs=8, random_state=0)
    result = race(task, rec, settings, client=client, callback=kill_one)
    assert killed
    board = result.leaderboard
    assert set(board["status"]) <= {"ok", "lost"}, board[
        ["config_id", "status", "message"]
    ].to_string()
    assert (board["status"] == "ok").sum() >= 6
    assert result.pipeline.predict(task.X.head(3)).shape == (3,)


def test_an_unreachable_scheduler_is_a_clear_error_before_any_work(
    task: autometa.Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(BadInputError, match="Could not reach the Dask scheduler"):
        connect("tcp://127.0.0.1:9", timeout=2)
    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 2.0)
    calls: list[str] = []
    monkeypatch.setattr(
        "autometa.estimators.base.recommend", lambda *a, **k: calls.append("recommend")
    )
    clf = autometa.AutoMetaClassifier(time_budget=10, scheduler="tcp://127.0.0.1:9")
    with pytest.raises(BadInputError, match="Could not reach"):
        clf.fit(task.X.head(200), task.y.head(200))
    assert not calls  # nothing was computed before the error
    with pytest.raises(BadInputError, match="scheduler must be"):
        SearchSettings(time_budget=10, scheduler=8786)  # type: ignore[arg-type]
