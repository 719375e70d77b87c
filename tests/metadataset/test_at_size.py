"""Learning curves at size: the plan from a shipped build, its cost, the build and the merge."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from autometa import BadInputError
from autometa.metadataset.at_size import build_at_size, estimate, extend, size_plan
from autometa.metadataset.builder import BuildSettings, assemble, build
from autometa.metadataset.curves import plan, pool_rows
from autometa.metadataset.sources.csv_folder import csv_datasets
from autometa.space.learners import get_config, space


def test_a_build_at_size_climbs_past_the_shipped_top_and_merges(
    csv_folder: Path, tmp_path: Path
) -> None:
    cancer = [r for r in csv_datasets(csv_folder, "target") if r.name == "cancer"]  # 569 rows
    configs = [*space(["lda", "gaussian_nb"]), get_config("svc_00")]
    small = BuildSettings(ladder=(100, 250), base_max=100, promote_top=3, reach=1.0)
    build(cancer, configs, tmp_path / "shipped", small)
    shipped = assemble(tmp_path / "shipped", cancer, configs)
    top = shipped.units[shipped.units["rows"] == 250]
    assert len(top) >= 3

    plan = size_plan(shipped, min_rows=500)
    reached = set(top.loc[top["status"] == "ok", "config_id"])
    assert "svc_00" in reached  # promoted as its family's best (reach 1.0), so the rule acts
    assert set(plan["cancer"]) == reached - {"svc_00"}  # kernel SVMs stay at the shipped top
    assert size_plan(shipped, min_rows=600) == {}  # the rule's threshold is the table's rows

    at = BuildSettings(ladder=(250, 1000), base_max=250, promote_top=1, reach=0.0,
                       time_limit=30, max_rows=10_000)  # fmt: skip
    cost = estimate(shipped, plan, at)  # cancer's 3-fold pool: 379 rows, above 250
    assert list(cost["rows"]) == [250, 379] and cost["configs"].iloc[1] == 1
    assert (cost["cpu_seconds"] > 0).all() and np.isfinite(cost["cpu_seconds"]).all()

    counts = build_at_size(cancer, plan, tmp_path / "at", at)
    assert counts["ok"] == len(plan["cancer"]) + 1  # all at 250, the promoted one at 379
    again = build_at_size(cancer, plan, tmp_path / "at", at)
    assert again["units"] == 0  # resumed: nothing left to run
    with pytest.raises(BadInputError, match="lack tables"):
        build_at_size([], plan, tmp_path / "at", at)

    merged = extend(shipped, tmp_path / "at")
    new = merged.units[merged.units["rows"] == 379]
    assert len(new) == 1 and len(merged.units) == len(shipped.units) + 1
    assert merged.scores(rows="largest").loc["cancer"].notna().sum() >= len(plan["cancer"])
    assert merged.info["at_size"]["ladder"] == [250, 1000]
    assert merged.datasets["rungs"].tolist() == ["100 250 379"]
    again = extend(merged, tmp_path / "at")  # an extended meta-dataset extended again
    assert len(again.units) == len(merged.units) and len(again.performance) == len(
        merged.performance
    )
    assert size_plan(merged, 500, at) == plan  # the plan reads the rungs up to base_max only
    if sys.platform.startswith("linux"):  # peak memory measured with every new unit
        assert not math.isnan(new["peak_mb"].iloc[0]) and new["peak_mb"].iloc[0] >= 0
    assert shipped.units["peak_mb"].notna().any()


@pytest.mark.parametrize("n", [569, 1499, 1500, 30_000])
def test_the_estimated_pool_is_the_plans(n: int) -> None:
    y = np.arange(n) % 3
    assert pool_rows(n) == min(len(pool) for pool, _ in plan(y).splits)
