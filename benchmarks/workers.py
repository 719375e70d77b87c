"""The search on worker processes: throughput, the scheduler's load, and the kill.

1. Throughput. On the first ``N_TABLES`` corpus families (``time_to_accuracy.datasets``'s
   order) with 2,000 to 20,000 rows after the builder's row cap (75 % training split), the
   search runs with ``max_configs=16`` and a budget it does not reach (300 s), without an
   ensemble, once with ``n_jobs=1`` (in this process) and once with ``n_jobs=2`` (two
   worker processes), and on a local Dask cluster of two single-thread worker processes.
   Reported: the search's seconds (all of it: worker start-up, race, refit) and the
   race's (from the start to the end of the last evaluation), evaluations per second of
   the race, whether all three evaluated the same configurations with the same scores and
   picked the same winner, and this process's CPU seconds per evaluation during the race
   with two workers (the scheduler's load: planning, recording, receiving the fold models
   and predictions; the refit, which runs in this process, excluded). The shipped
   knowledge ranks (these tables are in it: this measures speed, not accuracy). Then
   each table once more with ``n_jobs`` 1 and 2 under a 30 s budget and no
   ``max_configs`` (``BUDGET``), where the budget stops the race and a free worker always
   has a next bracket: evaluations per second of the race.
2. What each worker holds: the pickled size of each table's task, sent once per worker.
3. Start-up: seconds until ``n`` fresh workers hold a table.
4. The kill: a k-NN (``knn_00``) cross-validated on 60,000 rows x 40 columns with a 1 s
   limit predicts in one C call: wall seconds in this process (the alarm waits for the call)
   and on a worker (killed at the limit).

Writes results/workers.md. About 25 minutes on two cores; nothing else should run.

Run: python -m benchmarks.workers
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

import autometa
from autometa.estimators.base import search_inputs
from autometa.search import SearchEvent, SearchSettings, search
from autometa.search.jobs import InlineExecutor, Job
from autometa.search.workers import ProcessExecutor
from autometa.table.tabular import Task, task_from_xy
from benchmarks.time_to_accuracy import datasets, prepare

RESULTS = Path(__file__).resolve().parent / "results"
N_TABLES = 8
MAX_CONFIGS = 16
BUDGET = 30.0  # the budget-bound runs


def one_search(
    task: Task, n_jobs: int, client: Any = None, budget: float | None = None
) -> dict[str, Any]:
    """One search: ``max_configs=MAX_CONFIGS`` under a budget it does not reach, or with
    ``budget`` and no ``max_configs`` (the budget stops it)."""
    rec = autometa.recommend(task, random_state=0)
    proposals, costs, curves = search_inputs(rec)
    settings = SearchSettings(
        time_budget=budget or 300, max_configs=None if budget else MAX_CONFIGS,
        random_state=0, n_jobs=n_jobs, ensemble=False,
    )  # fmt: skip
    last: list[tuple[float, float]] = []  # (wall, CPU) when the last evaluation ended

    def seen(event: SearchEvent) -> None:
        last[:] = [(time.perf_counter(), time.process_time())]

    cpu, wall = time.process_time(), time.perf_counter()
    result = search(task, proposals, costs, settings, curves=curves, callback=seen, client=client)
    total = time.perf_counter() - wall
    race, race_cpu = last[0][0] - wall, last[0][1] - cpu
    board = result.leaderboard
    done = board[board["status"] != "skipped"]
    return {
        "seconds": total, "race": race, "evaluations": len(done),
        "per_second": len(done) / race, "cpu_per_evaluation": race_cpu / len(done),
        "best": result.best_config,
        "plan": sorted(zip(done["config_id"], done["rung"], done["score"].round(6), strict=True)),
    }  # fmt: skip


def throughput() -> pd.DataFrame:
    tables = []
    for ref in datasets():
        task, _ = prepare(ref.load())
        if 2000 <= len(task.y) <= 20000:
            tables.append((ref.name, task))
        if len(tables) == N_TABLES:
            break
    rows = []
    for name, task in tables:
        one, two = one_search(task, 1), one_search(task, 2)
        bound = [one_search(task, n, budget=BUDGET) for n in (1, 2)]
        rows.append({
            "table": name, "rows": len(task.y), "columns": task.X.shape[1],
            "evaluations": one["evaluations"],
            "seconds_1": one["seconds"], "seconds_2": two["seconds"],
            "race_1": one["race"], "race_2": two["race"],
            "per_second_1": one["per_second"], "per_second_2": two["per_second"],
            "speed-up": two["per_second"] / one["per_second"],
            "main_cpu_s_per_evaluation_2": two["cpu_per_evaluation"],
            "budget_evaluations_1": bound[0]["evaluations"],
            "budget_evaluations_2": bound[1]["evaluations"],
            "budget_speed-up": bound[1]["per_second"] / bound[0]["per_second"],
            "task_mb": len(pickle.dumps(task)) / 2**20,
            "plan": (one["plan"], one["best"]), "plan_2": (two["plan"], two["best"]),
        })  # fmt: skip
        print({k: v for k, v in rows[-1].items() if "plan" not in k}, flush=True)
    # The Dask runs last, with the cluster up only for them (its idle workers take CPU).
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    for row, (_, task) in zip(rows, tables, strict=True):
        dask = one_search(task, 1, client)
        row["race_dask"], row["per_second_dask"] = dask["race"], dask["per_second"]
        row["speed-up_dask"] = dask["per_second"] / row["per_second_1"]
        row["same plan and winner"] = row["plan"] == row["plan_2"] == (dask["plan"], dask["best"])
        print(row["table"], "dask", round(row["speed-up_dask"], 3), flush=True)
    client.close()
    cluster.close()
    return pd.DataFrame(rows).drop(columns=["plan", "plan_2"])


def start_up(task: Task) -> dict[str, float]:
    out = {}
    for n in (1, 2):
        t0 = time.perf_counter()
        executor = ProcessExecutor(task, n)
        executor.wait_started()
        out[f"{n} worker(s)"] = time.perf_counter() - t0
        executor.close()
    return out


def kill() -> dict[str, str]:
    """Where the k-NN ran -> its wall seconds and its outcome, as the report shows them."""
    X, y = make_classification(60000, 40, random_state=0)
    big = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    job = Job((0,), "knn_00", 0, np.arange(60000), 1.0, 3, 0)
    out = {}
    process = ProcessExecutor(big, 1)
    process.wait_started()
    for name, executor in (("this process", InlineExecutor(big)), ("a worker", process)):
        t0 = time.perf_counter()
        executor.submit(job)
        (outcome,) = executor.wait()
        out[name] = f"{time.perf_counter() - t0:.2f} s"
        out[f"{name}: outcome"] = str(outcome.error)
        executor.close()
    return out


def main() -> None:
    frame = throughput()
    first = prepare(datasets()[0].load())[0]
    started = start_up(first)
    killed = kill()
    ratio = frame["speed-up"]
    lines = [
        "# The search on worker processes",
        "",
        "From `python -m benchmarks.workers` (see its docstring): 2 cores, "
        f"`max_configs={MAX_CONFIGS}`, budget not reached, no ensemble; _1 is `n_jobs=1` (in "
        "this process), _2 is `n_jobs=2` (two worker processes), _dask a local Dask cluster of "
        "two worker processes of one thread (`search(client=...)`). seconds: the whole search; "
        "race: until the last evaluation ended; per_second: evaluations per second of the race.",
        "",
        frame.round(3).to_markdown(index=False),
        "",
        f"Evaluations per second, 2 workers over 1: mean {ratio.mean():.2f}x, min "
        f"{ratio.min():.2f}x, max {ratio.max():.2f}x over {len(frame)} tables (Dask: mean "
        f"{frame['speed-up_dask'].mean():.2f}x, min {frame['speed-up_dask'].min():.2f}x, max "
        f"{frame['speed-up_dask'].max():.2f}x); same plan and "
        f"winner on {int(frame['same plan and winner'].sum())} of {len(frame)}. This "
        f"process's CPU per evaluation during the race with 2 workers: median "
        f"{frame['main_cpu_s_per_evaluation_2'].median():.3f} s, max "
        f"{frame['main_cpu_s_per_evaluation_2'].max():.3f} s.",
        "",
        f"Budget-bound ({BUDGET:g} s, no `max_configs`: the budget stops the race), "
        "evaluations per second of the race, 2 workers over 1: mean "
        f"{frame['budget_speed-up'].mean():.2f}x, min {frame['budget_speed-up'].min():.2f}x, "
        f"max {frame['budget_speed-up'].max():.2f}x; evaluations in the budget, 1 worker "
        f"{frame['budget_evaluations_1'].sum()}, 2 workers {frame['budget_evaluations_2'].sum()}.",
        "",
        f"Start-up until the workers hold a table of {len(first.y)} rows: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in started.items())
        + ".",
        "",
        "The kill (k-NN on 60,000 x 40, 1 s limit): "
        + "; ".join(f"{k}: {v}" for k, v in killed.items())
        + ".",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
