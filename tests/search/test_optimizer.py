"""The optimizer past the grid: proposals from the records, ids that read back, and the
same proposals for any number of workers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import autometa
from autometa.exceptions import BadInputError
from autometa.search import SearchSettings
from autometa.search.optimizer import FIRST_STEP, TPE, Flow2
from autometa.search.records import Record, Status
from autometa.space.learners import get_config, space
from autometa.space.pipelines import build_pipeline
from autometa.table.tabular import task_from_xy
from tests.helpers import race


def _records(family: str, score: dict[str, float]) -> list[Record]:
    """One successful record on rung 0 per grid configuration of ``family`` that
    ``score`` names."""
    configs = {c.config_id: c for c in space([family])}
    return [
        Record(i, c, family, configs[c].params_json, i + 1, 0, 300, score=s, key=(0, 0, 0, i))
        for i, (c, s) in enumerate(score.items())
    ]


def _lr_rising() -> list[Record]:
    """Logistic regression whose score rises with log C (lr_01, 02, 03, 05: C = 1e-3, 1e-2,
    0.1, 100)."""
    return _records("logistic_regression", {f"lr_0{i}": 0.5 + 0.05 * i for i in (1, 2, 3, 5)})


def test_tpe_proposes_where_the_told_scores_are_high() -> None:
    proposals = TPE().propose(_lr_rising(), 8, seed=0)
    assert len(proposals) == 8
    values = [p.config.params["C"] for p in proposals]
    # Told that the score rises with C up to the grid's 100, it proposes mostly above 10
    # (told the opposite sign, it would go to the low end of 1e-4..1e6).
    assert sum(v > 10 for v in values) >= 6, values
    assert all(1e-4 <= v <= 1e6 for v in values)
    for p in proposals:
        assert get_config(p.config.config_id) == p.config  # the id reads back
        assert p.parent == "lr_05" and p.cost == 1.0  # C does not scale the cost


def test_flow2_steps_both_ways_around_the_best_and_halves_a_step_that_found_nothing() -> None:
    flow = Flow2()
    records = _lr_rising()
    first = flow.propose(records, 2, seed=0)
    log_c = sorted(math.log10(p.config.params["C"]) for p in first)
    # One direction in one dimension: C = 100 times and over 10 ** (step * 10 decades).
    step = FIRST_STEP * 10
    assert log_c == pytest.approx([2 - step, 2 + step], abs=0.01)
    second = flow.propose(records, 2, seed=0)  # the best is still lr_05: half the step
    assert flow.steps["logistic_regression"] == pytest.approx(FIRST_STEP / 2)
    assert sorted(math.log10(p.config.params["C"]) for p in second) == pytest.approx(
        [2 - step / 2, 2 + step / 2], abs=0.01
    )


def test_integer_parameters_stay_integers_and_fit() -> None:
    records = _records("decision_tree", {"dt_00": 0.7, "dt_03": 0.8, "dt_05": 0.75})
    X, y = make_classification(200, 5, random_state=0)
    frame = pd.DataFrame(X).add_prefix("f")
    for proposer in (TPE(), Flow2()):
        for p in proposer.propose(records, 4, seed=1):
            back = get_config(p.config.config_id)
            assert back == p.config
            for name in ("max_depth", "min_samples_leaf"):
                if name in back.params:
                    assert type(back.params[name]) is int
            build_pipeline(back, list(frame.columns), [], 0).fit(frame, y)


def test_nothing_succeeded_nothing_proposed() -> None:
    failed = _lr_rising()
    for r in failed:
        r.status, r.score = Status.ERROR, float("nan")
    assert TPE().propose(failed, 4, seed=0) == []
    assert Flow2().propose(failed, 4, seed=0) == []


def test_an_unknown_optimizer_is_a_clear_error() -> None:
    with pytest.raises(BadInputError, match="optimizer must be one of local, tpe, flow2"):
        SearchSettings(time_budget=10, optimizer="bayes")


@pytest.mark.parametrize("optimizer", ["tpe", "flow2"])
def test_the_optimizers_brackets_are_the_same_for_one_and_two_workers(optimizer: str) -> None:
    X, y = make_classification(400, 8, n_informative=4, random_state=0)
    task = task_from_xy(pd.DataFrame(X).add_prefix("f"), y)
    rec = autometa.recommend(task, random_state=0)
    boards = []
    for n_jobs in (1, 2):
        settings = SearchSettings(
            time_budget=120, top_k=3, n_portfolio=0, max_configs=12, random_state=0,
            optimizer=optimizer, n_jobs=n_jobs, ensemble=False,
        )  # fmt: skip
        boards.append(race(task, rec, settings).leaderboard)
    one, two = (b.sort_values(["config_id", "rung"]).reset_index(drop=True) for b in boards)
    pd.testing.assert_frame_equal(
        one[["config_id", "rung", "score", "status"]], two[["config_id", "rung", "score", "status"]]
    )
    off = one[one["config_id"].str.contains(r"\[")]
    # Brackets 0 and 1 from the ranking (3 each), bracket 2 the optimizer's (3 more, up
    # to max_configs = 12 configurations): some of them past the grid.
    assert len(off) >= 1 and (off["rank"] == -1).all()
    assert one["config_id"].nunique() == 12
    assert np.isfinite(one.loc[one["status"] == "ok", "score"]).all()


def test_tpe_without_optuna_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "optuna" else real(name, *a)
    )
    with pytest.raises(BadInputError, match=r"optimizer='tpe' needs Optuna: pip install optuna"):
        SearchSettings(time_budget=10, optimizer="tpe")
