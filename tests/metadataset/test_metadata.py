"""MetaDataset: normalised scores, save/load round trips, ASlib reading, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import IncompatibleArtifactError, MetaDataset
from autometa.paths import shared_dir

ASLIB = shared_dir() / "benchmarks" / "aslib" / "OPENML-WEKA-2017"


def tiny() -> MetaDataset:
    perf = pd.DataFrame(
        [("d1", "a", 100, 0, "accuracy", 0.9), ("d1", "b", 100, 0, "accuracy", 0.7),
         ("d1", "c", 100, 0, "accuracy", np.nan), ("d2", "a", 100, 0, "accuracy", 0.5),
         ("d2", "b", 100, 0, "accuracy", 0.5), ("d2", "c", 100, 0, "accuracy", 0.5),
         ("d1", "a", 100, 1, "accuracy", 0.8), ("d1", "a", 100, 0, "log_loss", 0.3),
         ("d1", "b", 100, 0, "log_loss", 0.6),
         # a larger rung reached by one configuration only: not the common rung
         ("d1", "a", 400, 0, "accuracy", 0.95)],
        columns=["dataset", "config_id", "rows", "part", "metric", "value"],
    )  # fmt: skip
    return MetaDataset(
        pd.DataFrame({"f1": [1.0, 2.0], "f2": [np.nan, 3.0]}, index=["d1", "d2"]),
        perf,
        pd.DataFrame({"config_id": ["a", "b", "c"], "family": ["x", "x", "y"], "params": "{}"}),
        pd.DataFrame({"name": ["d1", "d2"], "family": ["f", "g"], "source": "test"}),
    )


def test_scores_and_normalised_scores() -> None:
    meta = tiny()
    scores = meta.scores("accuracy")
    assert scores.loc["d1", "a"] == pytest.approx(0.85)  # mean over two folds
    norm = meta.normalized_scores("accuracy")
    assert norm.loc["d1"].tolist() == [1.0, 0.0, 0.0]  # failed unit c scores 0
    assert norm.loc["d2"].tolist() == [1.0, 1.0, 1.0]  # all equal: all best
    loss = meta.normalized_scores("log_loss")
    assert loss.loc["d1", "a"] == 1.0 and loss.loc["d1", "b"] == 0.0  # lower is better


def test_scores_along_the_curve() -> None:
    meta = tiny()
    assert meta.common_rows().to_dict() == {"d1": 100, "d2": 100}
    assert meta.scores(rows=300).loc["d1", "a"] == pytest.approx(0.95)  # nearest on a log scale
    assert meta.scores(rows=150).loc["d1", "a"] == pytest.approx(0.85)
    largest = meta.scores(rows="largest")
    assert largest.loc["d1", "a"] == pytest.approx(0.95) and largest.loc["d1", "b"] == 0.7
    assert meta.curve("d1", "a").to_dict() == pytest.approx({100: 0.85, 400: 0.95})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_save_load_round_trip(tmp_path: Path, fmt: str) -> None:
    meta = tiny()
    meta.save(tmp_path, format=fmt)
    loaded = MetaDataset.load(tmp_path)
    pd.testing.assert_frame_equal(loaded.scores(), meta.scores())
    pd.testing.assert_frame_equal(loaded.metafeatures, meta.metafeatures, check_names=False)
    assert loaded.dataset_names == ["d1", "d2"] and loaded.config_ids == ["a", "b", "c"]


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(
        IncompatibleArtifactError, match=r"is not an autometa meta-dataset \(no manifest.json\)"
    ):
        MetaDataset.load(tmp_path)
    tiny().save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["schema_version"] = 999
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IncompatibleArtifactError, match="schema version 999"):
        MetaDataset.load(tmp_path)


@pytest.mark.skipif(not ASLIB.is_dir(), reason="the ASlib scenario is beside the project")
def test_from_aslib_reads_the_openml_weka_scenario() -> None:
    meta = MetaDataset.from_aslib(ASLIB)
    assert len(meta.dataset_names) == 105
    assert len(meta.config_ids) == 30
    assert meta.metafeatures.shape == (105, 103)
    scores = meta.scores("predictive_accuracy")
    # Single best solver over all tasks, as the scenario's README describes (about 0.856).
    assert scores.mean().max() == pytest.approx(0.856, abs=0.01)
    assert scores.max(axis=1).mean() == pytest.approx(0.876, abs=0.01)  # virtual best
    assert sorted(meta.datasets["cv_fold"].unique()) == list(range(1, 11))


def test_shipped_meta_datasets_say_their_task_kind() -> None:
    from autometa.paths import metadataset_dir

    regression = MetaDataset.load(metadataset_dir("regression"))
    assert regression.task_kind == "regression"
    assert set(regression.metrics) >= {"r2", "rmse", "mae"}
    assert MetaDataset.load(metadataset_dir()).task_kind == "classification"
