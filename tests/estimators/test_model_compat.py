"""Model files saved by an earlier release still load and predict the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import autometa
from tests.helpers import CORPUS, DEMO, FIXTURES


@pytest.mark.parametrize(
    ("name", "table", "target"),
    [
        ("penguins", DEMO / "penguins.csv", "species"),
        ("bupa", CORPUS / "pmlb" / "bupa.tsv.gz", "target"),
    ],
)
def test_model_of_release_0_1_0_loads_and_predicts_the_same(
    name: str, table: Path, target: str
) -> None:
    model = autometa.load_model(FIXTURES / f"{name}-0.1.0.skops")
    task = autometa.load_table(table, target=target)
    expected = pd.read_csv(FIXTURES / f"{name}-0.1.0.predictions.csv")["prediction"]
    predicted = model.predict(task.X)
    np.testing.assert_array_equal(predicted.astype(str), expected.to_numpy().astype(str))
