"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine


@pytest.fixture(scope="module")
def csv_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("csvs")
    for name, loader in (("iris", load_iris), ("wine", load_wine), ("cancer", load_breast_cancer)):
        frame = loader(as_frame=True).frame
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
