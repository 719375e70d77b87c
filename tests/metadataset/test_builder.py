"""The resumable curve builder: units, failures, censoring, promotion, resume, and a real
SIGKILL mid-build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import BadInputError, MetaDataset, load_table
from autometa.metadataset.builder import (
    BuildSettings,
    assemble,
    build,
    payload,
    prepare_task,
    promoted,
    read_jsonl,
    run_unit,
)
from autometa.metadataset.curves import plan
from autometa.metadataset.sources import DatasetRef
from autometa.metadataset.sources.csv_folder import csv_datasets
from autometa.metadataset.units import Prepared
from autometa.space.learners import LearnerConfig, get_config, space
from autometa.space.metrics import metric_names
from tests.helpers import ROOT


def _unit(task, config, settings=None):  # type: ignore[no-untyped-def]
    settings = settings or BuildSettings()
    design = plan(task.y.to_numpy(), settings.random_state)
    prepared = Prepared(DatasetRef(task.name, task.name, "test", lambda: task), task, design)
    return run_unit(*payload(prepared, list(design.rungs)), config, settings)


def test_run_unit_records_every_metric_per_part_and_rung(csv_folder: Path) -> None:
    task = load_table(csv_folder / "cancer.csv", target="target")  # 569 rows: 3-fold CV
    records = _unit(task, get_config("lr_00"))
    assert [r["rows"] for r in records] == [250, 379]  # the ladder below the pool, the pool
    assert all(r["status"] == "ok" for r in records)
    assert len(records[0]["parts"]) == 3  # one per fold
    assert set(records[0]["parts"][0]) == set(metric_names("classification"))
    assert np.mean([p["accuracy"] for p in records[-1]["parts"]]) > 0.93
    again = _unit(task, get_config("lr_00"))
    assert [r["parts"] for r in again] == [r["parts"] for r in records]  # seeded


def test_failures_and_censoring_are_recorded_not_raised(csv_folder: Path) -> None:
    task = load_table(csv_folder / "cancer.csv", target="target")
    broken = LearnerConfig("knn_bad", "knn", {"n_neighbors": -3})
    records = _unit(task, broken)
    assert len(records) == 1 and records[0]["status"] == "error"  # the climb stops
    assert "n_neighbors" in records[0]["message"]
    slow = _unit(task, get_config("rf_07"), BuildSettings(time_limit=0.05))
    assert slow[0]["status"] == "censored" and slow[0]["limit"] == 0.05
    assert "0.05 s limit" in slow[0]["message"] and slow[0]["parts"] == []


def test_holdout_plan_is_stratified_fixed_and_split_in_three_parts() -> None:
    y = np.array(["a"] * 3000 + ["b"] * 1000)
    design = plan(y, random_state=0)
    assert design.validation == "holdout" and design.rungs == (250, 1000, 3000)
    pool, parts = design.splits[0]
    held = np.concatenate(parts)
    assert len(held) == 1000 and len(np.intersect1d(pool, held)) == 0
    assert [round(float(np.mean(y[p] == "b")), 2) for p in parts] == [0.25, 0.25, 0.25]
    train = design.train_rows(0, 250)
    assert len(train) == 250 and set(train) <= set(pool)
    assert np.array_equal(train, plan(y, random_state=0).train_rows(0, 250))


def test_promotion_keeps_the_top_and_each_family_within_reach() -> None:
    configs = [get_config(c) for c in ("lr_00", "lr_01", "rf_00", "rf_01", "knn_00", "dt_00")]
    scores = {"lr_00": 0.90, "lr_01": 0.89, "rf_00": 0.80, "rf_01": 0.86, "knn_00": 0.70}
    chosen = promoted(scores, configs, BuildSettings(promote_top=2, reach=0.05))
    # top two (lr_00, lr_01), rf_01 as the best forest within 0.05; knn too far; dt_00 failed
    assert [c.config_id for c in chosen] == ["lr_00", "lr_01", "rf_01"]


def test_row_cap_is_stratified_and_drops_rare_classes() -> None:
    frame = pd.DataFrame(
        {"a": np.arange(1000) * 0.5, "y": ["big"] * 900 + ["small"] * 96 + ["rare"] * 4}
    )
    task = load_table(frame, target="y")
    capped, info = prepare_task(task, BuildSettings(max_rows=100))
    assert info == {"n_rows": 1000, "n_rows_used": 100, "rare_classes_dropped": ["rare"]}
    assert capped.y.value_counts().to_dict() == {"big": 90, "small": 10}


def test_build_resumes_and_assembles_curves(csv_folder: Path, tmp_path: Path) -> None:
    refs = csv_datasets(csv_folder, "target")  # cancer (569 rows), iris, wine
    configs = space(["gaussian_nb", "lda"])
    settings = BuildSettings(base_max=250, promote_top=1, reach=0.0)
    counts = build(refs[:1], configs, tmp_path, settings)
    # cancer: 8 configurations at 250 rows, then the 1 promoted to its 379-row pool
    assert counts["units"] == 9 and counts["records"] == 9 and counts["ok"] == 9
    counts = build(refs, configs, tmp_path, settings)
    assert counts["skipped_units"] == 9 and counts["units"] == 16  # iris and wine: one rung
    with pytest.raises(BadInputError, match="was built with settings"):
        build(refs, configs, tmp_path, BuildSettings(base_max=250, time_limit=5))
    meta = assemble(tmp_path, refs, configs)
    loaded = MetaDataset.load(tmp_path)
    assert loaded.scores().shape == (3, 8)
    assert loaded.common_rows()["cancer"] == 250
    assert loaded.scores(rows="largest").loc["cancer"].notna().sum() == 8
    assert len(loaded.curve("cancer", loaded.scores(rows=379).loc["cancer"].idxmax())) == 2
    pd.testing.assert_frame_equal(loaded.scores(), meta.scores())
    assert set(loaded.datasets["family"]) == {"cancer", "iris", "wine"}


def test_a_table_that_cannot_be_used_is_reported_not_fatal(tmp_path: Path) -> None:
    def broken() -> None:
        raise BadInputError("Target column 'y' has a single class.")

    refs = [DatasetRef("bad", "bad", "test", broken)]  # type: ignore[arg-type]
    counts = build(refs, space(["lda"]), tmp_path)
    assert counts["dataset_errors"] == 1 and counts["units"] == 0
    assert read_jsonl(tmp_path / "skipped.jsonl") == [
        {"name": "bad", "source": "test", "reason": "Target column 'y' has a single class."}
    ]


@pytest.mark.slow
def test_sigkill_mid_build_loses_only_units_in_flight(csv_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    command = [
        sys.executable, "-m", "cli.main", "build-metadata", str(csv_folder), "--out", str(out),
        "--configs", "random_forest,extra_trees", "--n-jobs", "2",
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    runs = out / "runs.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not runs.exists() or len(runs.read_bytes().splitlines()) < 8):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, mid-way
    proc.wait()
    before = read_jsonl(runs)
    assert 8 <= len(before) < 3 * 19
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    after = read_jsonl(runs)
    keys = [(r["dataset"], r["config_id"], r["rows"]) for r in after]
    assert len(keys) == len(set(keys))  # every point once: none redone
    assert after[: len(before)] == before  # finished units were kept as they were
    base = {(d, c) for d, c, rows in keys if rows == 250 or d != "cancer"}
    assert len(base) == 3 * 19  # every configuration's base rung: none lost
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n_datasets"] == 3 and manifest["n_configs"] == 19


def test_trivial_and_small_tables_are_flagged() -> None:
    from autometa.metadataset.builder import flag_tables

    perf = pd.DataFrame(
        [("d1", "a", 100, 0, "accuracy", 0.900), ("d1", "b", 100, 0, "accuracy", 0.903),
         ("d2", "a", 100, 0, "accuracy", 0.70), ("d2", "b", 100, 0, "accuracy", 0.90)],
        columns=["dataset", "config_id", "rows", "part", "metric", "value"],
    )  # fmt: skip
    meta = MetaDataset(
        pd.DataFrame({"f": [1.0, 2.0]}, index=["d1", "d2"]), perf,
        pd.DataFrame({"config_id": ["a", "b"], "family": ["x", "y"], "params": "{}"}),
        pd.DataFrame({"name": ["d1", "d2"], "family": ["d1", "d2"], "source": "t",
                      "n_rows_used": [99, 100]}),
    )  # fmt: skip
    flag_tables(meta)
    assert meta.datasets["trivial"].tolist() == [True, False]  # 0.3 % apart vs 20 %
    assert meta.datasets["small"].tolist() == [True, False]


def test_regression_build_measures_r2_rmse_mae_and_regression_metafeatures(
    tmp_path: Path,
) -> None:
    from autometa.metadataset.sources.pmlb import pmlb_datasets
    from autometa.metafeatures import feature_names

    folder = ROOT.parent / "shared" / "corpus" / "pmlb_regression"
    if not folder.is_dir():
        pytest.skip("the regression corpus is beside the project")
    refs = pmlb_datasets(folder, ["192_vineyard", "1027_ESL"], task="regression")
    assert {r.task for r in refs} == {"regression"} and refs[0].source == "pmlb_regression"
    configs = [get_config(c) for c in ("ridge_00", "rfr_00", "mean_00")]
    counts = build(refs, configs, tmp_path, BuildSettings(time_limit=30))
    assert counts["error"] == 0 and counts["ok"] == counts["records"] > 0
    meta = assemble(tmp_path, refs, configs)
    assert set(meta.performance["metric"]) == set(metric_names("regression"))
    assert list(meta.metafeatures.columns) == feature_names(task="regression")
    r2 = meta.scores("r2")
    assert (r2["ridge_00"] > r2["mean_00"]).all() and (r2["mean_00"] < 0.01).all()
    assert meta.datasets["task"].eq("regression").all()
    with pytest.raises(BadInputError, match="mix classification and regression"):
        build(refs, [get_config("lr_00")], tmp_path / "mixed")
