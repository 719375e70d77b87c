"""Would a cap on an evaluation's time have helped the big-tables runs? A replay of their
leaderboards, not a run.

Today an evaluation may run for all the time left (``search.state.plan``): on
make_classification_1M_50 (seeds 0 and 4, 60 s) one AdaBoost evaluation took 46 s. The
idea tested here: stop an evaluation at ``K`` times its predicted seconds (at least
``FLOOR`` seconds). ``K = 3`` is about the 95th percentile of how far a fit at size runs
past its upper prediction (``results/cost_models.md``: 2.83x).

For every autometa run of the full 60 s column that kept its leaderboard (``board``, from
the 11th table on), in the order the evaluations finished, each evaluation that ended
("ok" or "timeout") gets its prediction as the search would make it: the cost models of
the meta-dataset without the table's family (``big_tables.held_out``), times a machine
factor. The factor is approximated from the leaderboard: the geometric mean of measured /
predicted seconds of the evaluations that ended well before it (the search takes it from
fold fit times, which the leaderboard does not keep; the number of classes is taken as 2).
An evaluation is "stopped" when it took more than the cap. Reported per ``K``: how many
were stopped, how many of them were the configuration the run kept in the end, and the
seconds the cap would have freed. The verdict's rule (a cap is worth a benchmark run of its
own only if it stops none of the kept configurations) was written after a first replay at
3x had been seen (2026-12-07), not before.

Writes results/eval_cap_replay.md. Run: python -m benchmarks.eval_cap_replay
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from autometa.search.cost import CostModel
from autometa.search.inputs import Costs
from autometa.selectors.recommend import cost_models
from benchmarks.big_tables import RESULTS, RUNS, held_out
from benchmarks.big_tables_report import read_runs

CAPS = (3.0, 5.0)
FLOOR = 3.0  # seconds: 5 % of the 60 s budget; shorter evaluations are timer noise here


def replay(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per ended evaluation: table, seed, config, rung, seconds, the factored
    prediction, whether the run kept the configuration."""
    out: list[dict[str, Any]] = []
    for (family, kind), group in runs.groupby(["family", "kind"]):
        costs = Costs(*cost_models(held_out(str(family), str(kind))))
        for r in group.itertuples():
            model = CostModel(costs, n_features=int(r.n_features), n_classes=2, cv=3)
            ended = sorted((e for e in r.board if e[3] in ("ok", "timeout")), key=lambda e: e[6])
            logs: list[float] = []
            for config, rung, rows, status, _, seconds, _, _ in ended:
                predicted = model.eval_seconds(config, rows)
                factor = math.exp(float(np.mean(logs))) if logs else 1.0
                out.append({"table": r.table, "seed": r.seed, "config": config, "rung": rung,
                            "status": status, "seconds": seconds,
                            "predicted": factor * predicted, "kept": config == r.best})  # fmt: skip
                if status == "ok":
                    logs.append(math.log(max(seconds, 1e-3) / predicted))
    return pd.DataFrame(out)


def main() -> None:
    runs = read_runs(RUNS)
    runs = runs[(runs["method"] == "autometa") & (runs["budget"] == 60)]
    runs = runs[runs["board"].apply(lambda b: isinstance(b, list) and len(b) > 0)]
    evals = replay(runs)
    lines = [
        "# An evaluation's time cap, replayed on the big-tables leaderboards",
        "",
        f"From `python -m benchmarks.eval_cap_replay` (approximations in its docstring): "
        f"{len(runs)} autometa runs at 60 s on {runs['table'].nunique()} tables, "
        f"{len(evals)} evaluations that ended; the prediction (with the approximated machine "
        f"factor) over the measured seconds: median "
        f"{np.median(evals['predicted'] / evals['seconds'].clip(lower=1e-3)):.2f}. "
        f"A cap that stops the configuration a run kept in the end costs that run its "
        f"model: a cap is worth a run of its own only if it stops none of them.",
        "",
        "| cap | evaluations stopped | of them the run's final choice | seconds freed |",
        "|---|---|---|---|",
    ]
    stopped_rows = []
    for k in CAPS:
        cap = np.maximum(k * evals["predicted"], FLOOR)
        stopped = evals[evals["seconds"] > cap]
        freed = float((stopped["seconds"] - cap[stopped.index]).sum())
        kept = int(stopped["kept"].sum())
        lines.append(f"| {k:g}x prediction, at least {FLOOR:g} s | {len(stopped)} | "
                     f"{kept} ({'worth a run' if kept == 0 else 'not worth a run'}) | "
                     f"{freed:.0f} |")  # fmt: skip
        stopped_rows.append(stopped.assign(cap=k))
    shown = pd.concat(stopped_rows)
    shown = shown[shown["cap"] == CAPS[0]].round({"seconds": 1, "predicted": 1})
    lines += [
        "",
        f"Stopped at {CAPS[0]:g}x:",
        "",
        shown.drop(columns="cap").to_markdown(index=False),
    ]
    (RESULTS / "eval_cap_replay.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
