"""Fitting under a time limit: in the main thread (an alarm) and in worker threads (a
worker process killed at the deadline), with the same results."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.svm import SVC

from autometa.space.fitting import FitTimeout, alarm_available, fit_and_score, fit_within
from autometa.space.learners import get_config
from autometa.table.tabular import Task, task_from_xy


@pytest.fixture(scope="module")
def task() -> Task:
    X, y = make_classification(3000, 20, random_state=0)
    return task_from_xy(pd.DataFrame(X).add_prefix("f"), y)


def _in_thread(fn: Any) -> Any:
    out: dict[str, Any] = {}

    def run() -> None:
        assert not alarm_available()  # a worker thread: no alarm possible
        try:
            out["value"] = fn()
        except Exception as exc:
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out


def test_a_slow_fit_is_stopped_in_a_worker_thread_too(task: Task) -> None:
    rows = np.arange(3000)
    start = time.perf_counter()
    out = _in_thread(
        lambda: fit_and_score(get_config("rf_07"), task, rows[:2000], [rows[2000:]], seconds=0.5)
    )
    assert isinstance(out.get("error"), FitTimeout)
    assert "0.5 s limit" in str(out["error"])
    # The worker process is started before the deadline runs and killed at it.
    assert time.perf_counter() - start < 15


def test_same_result_in_a_worker_thread_and_in_the_main_thread(task: Task) -> None:
    rows = np.arange(3000)
    main = fit_and_score(get_config("lr_00"), task, rows[:2000], [rows[2000:]], seconds=30)
    out = _in_thread(
        lambda: fit_and_score(get_config("lr_00"), task, rows[:2000], [rows[2000:]], seconds=30)
    )
    assert out["value"].parts == main.parts
    np.testing.assert_array_equal(
        out["value"].model.predict(task.X.head(50)), main.model.predict(task.X.head(50))
    )


def test_a_fit_in_one_c_call_is_killed_at_its_limit() -> None:
    # A kernel SVM's solve is one C call: the alarm would ring only after it ends.
    # A large C and a small gamma make the solve far longer than the limit.
    X, y = make_classification(1500, 20, flip_y=0.3, random_state=0)
    svm = SVC(C=1e6, gamma=0.001)
    assert alarm_available()
    start = time.perf_counter()
    with pytest.raises(FitTimeout, match="3 s limit"):
        fit_within(svm, X, y, 3.0, kill=True)  # the worker's start counts in the 3 s
    assert time.perf_counter() - start < 3.0 + 2.0  # not the solve's end, far later
