"""The builder on a real Dask cluster (2 local worker processes) equals the local build."""

from __future__ import annotations

from pathlib import Path

import pytest

from autometa.builder import BuildSettings, build, read_jsonl
from autometa.learners import space
from autometa.sources.csv_folder import csv_datasets

pytest.importorskip("dask.distributed")

TIMINGS = ("fit_seconds", "predict_seconds")


def _comparable(out: Path) -> dict[tuple[str, str], list[dict]]:
    rows = {}
    for r in read_jsonl(out / "runs.jsonl"):
        folds = [{k: v for k, v in f.items() if k not in TIMINGS} for f in r["folds"]]
        rows[(r["dataset"], r["config_id"])] = [r["status"], *folds]
    return rows


def test_dask_build_equals_local_build(csv_folder: Path, tmp_path: Path) -> None:
    from autometa.distributed import dask_client

    refs = csv_datasets(csv_folder, "target")[:2]
    configs = space(["random_forest"])[:3] + space(["logistic_regression"])[:2]
    settings = BuildSettings(folds=3, random_state=7)
    local = build(refs, configs, tmp_path / "local", settings, n_jobs=2)
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        remote = build(refs, configs, tmp_path / "dask", settings, n_jobs=-1, backend="dask")
    assert local["ok"] == remote["ok"] == 10
    assert _comparable(tmp_path / "local") == _comparable(tmp_path / "dask")
