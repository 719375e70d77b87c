"""The quickstart's demo tables are in no shipped meta-dataset, by name or by shape."""

from __future__ import annotations

import pandas as pd
import pytest

import autometa
from tests.helpers import DEMO, ROOT

# demo file, target, its source table's name in a corpus, the meta-dataset of its kind
DEMOS = [
    ("swiss_labor.csv", "participation", "r.AER.SwissLabor", "metadataset"),
    ("salaries.csv", "salary", "r.carData.Salaries", "metadataset_regression"),
]


@pytest.mark.parametrize(("file", "target", "source", "folder"), DEMOS)
def test_a_demo_table_is_not_in_the_shipped_meta_dataset(
    file: str, target: str, source: str, folder: str
) -> None:
    task = autometa.load_table(DEMO / file, target=target)
    corpus = pd.read_csv(ROOT / "data" / folder / "corpus.csv")
    kept = corpus[corpus["kept"].astype(str) == "True"]
    # By name: its source table was left out (SwissLabor: "more than 3 tables of this R
    # package") or never considered (the regression corpus holds PMLB tables only).
    assert source not in set(kept["name"])
    # By shape, the reserved list's rule: the same number of features, rows within 2 %.
    rows, features = len(task.y), len(task.feature_columns)
    same = kept[(kept["n_features"] == features) & ((kept["n_rows"] - rows).abs() <= 0.02 * rows)]
    assert same.empty, same[["name", "n_rows", "n_features"]].to_string()
