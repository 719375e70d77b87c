"""The builder on a real Dask cluster (2 local worker processes) equals the local build."""

from __future__ import annotations

from pathlib import Path

import pytest

from autometa.metadataset.builder import BuildSettings, build, read_jsonl
from autometa.metadataset.sources.csv_folder import csv_datasets
from autometa.space.learners import space

pytest.importorskip("dask.distributed")


def _comparable(out: Path) -> dict[tuple[str, str, int], list]:
    return {
        (r["dataset"], r["config_id"], r["rows"]): [r["status"], *r["parts"]]
        for r in read_jsonl(out / "runs.jsonl")
    }


@pytest.mark.slow
def test_dask_build_equals_local_build(csv_folder: Path, tmp_path: Path) -> None:
    from autometa.metadataset.distributed import dask_client

    refs = csv_datasets(csv_folder, "target")[:2]
    configs = space(["random_forest"])[:3] + space(["logistic_regression"])[:2]
    settings = BuildSettings(random_state=7)
    local = build(refs, configs, tmp_path / "local", settings, n_jobs=2)
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        remote = build(refs, configs, tmp_path / "dask", settings, n_jobs=-1, backend="dask")
    assert local["ok"] == remote["ok"] >= 10  # every base point, plus promotions
    assert _comparable(tmp_path / "local") == _comparable(tmp_path / "dask")
