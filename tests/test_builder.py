"""The resumable builder: units, failures, timeouts, resume, and a real SIGKILL mid-build."""

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
from autometa.builder import BuildSettings, assemble, build, prepare_task, read_jsonl, run_unit
from autometa.learners import LearnerConfig, get_config, space
from autometa.sources.csv_folder import csv_datasets

ROOT = Path(__file__).resolve().parent.parent


def test_run_unit_records_metrics_per_fold(csv_folder: Path) -> None:
    task = load_table(csv_folder / "iris.csv", target="target")
    settings = BuildSettings(folds=3)
    record = run_unit(task, get_config("lr_00"), settings)
    assert record["status"] == "ok"
    assert len(record["folds"]) == 3
    assert set(record["folds"][0]) == {
        "accuracy", "balanced_accuracy", "log_loss", "roc_auc", "fit_seconds", "predict_seconds",
    }  # fmt: skip
    assert np.mean([f["accuracy"] for f in record["folds"]]) > 0.9
    again = run_unit(task, get_config("lr_00"), settings)
    assert [f["accuracy"] for f in again["folds"]] == [f["accuracy"] for f in record["folds"]]


def test_failures_and_timeouts_are_recorded_not_raised(csv_folder: Path) -> None:
    task = load_table(csv_folder / "cancer.csv", target="target")
    broken = LearnerConfig("knn_bad", "knn", {"n_neighbors": -3})
    record = run_unit(task, broken, BuildSettings())
    assert record["status"] == "error"
    assert "n_neighbors" in record["message"]
    slow = run_unit(task, get_config("rf_07"), BuildSettings(time_limit=0.05))
    assert slow["status"] == "timeout"
    assert "0.05 s limit" in slow["message"]


def test_row_cap_is_stratified_and_drops_rare_classes() -> None:
    frame = pd.DataFrame(
        {"a": np.arange(1000) * 0.5, "y": ["big"] * 900 + ["small"] * 98 + ["rare"] * 2}
    )
    task = load_table(frame, target="y")
    capped, info = prepare_task(task, BuildSettings(folds=3, max_rows=100))
    assert info == {"n_rows": 1000, "n_rows_used": 100, "rare_classes_dropped": ["rare"]}
    assert capped.y.value_counts().to_dict() == {"big": 90, "small": 10}


def test_build_resumes_and_assembles(csv_folder: Path, tmp_path: Path) -> None:
    refs = csv_datasets(csv_folder, "target")
    configs = space(["gaussian_nb", "lda"])
    counts = build(refs[:2], configs, tmp_path, BuildSettings(folds=3))
    assert counts["ran"] == 16 and counts["ok"] == 16
    counts = build(refs, configs, tmp_path, BuildSettings(folds=3))
    assert counts["skipped"] == 16 and counts["ran"] == 8
    with pytest.raises(BadInputError, match="was built with settings"):
        build(refs, configs, tmp_path, BuildSettings(folds=5))
    meta = assemble(tmp_path, refs, configs)
    loaded = MetaDataset.load(tmp_path)
    assert loaded.scores().shape == (3, 8)
    assert loaded.metafeatures.shape == meta.metafeatures.shape
    pd.testing.assert_frame_equal(loaded.scores(), meta.scores())
    assert set(loaded.datasets["family"]) == {"cancer", "iris", "wine"}


def test_sigkill_mid_build_loses_only_units_in_flight(csv_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    command = [
        sys.executable, "-m", "cli.main", "build-metadata", str(csv_folder), "--out", str(out),
        "--configs", "random_forest,extra_trees", "--n-jobs", "2", "--folds", "3",
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
    total = 3 * 19
    assert 8 <= len(before) < total
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    after = read_jsonl(runs)
    keys = [(r["dataset"], r["config_id"]) for r in after]
    assert len(keys) == len(set(keys)) == total  # every unit once: none lost, none redone
    assert after[: len(before)] == before  # finished units were kept as they were
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n_datasets"] == 3 and manifest["n_configs"] == 19
