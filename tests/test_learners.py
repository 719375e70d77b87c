"""The learner space: size, stable ids, and a working pipeline for every family."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from autometa import BadInputError, load_table
from autometa.learners import FAMILIES, build_pipeline, config_table, get_config, space

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def test_space_size_ids_and_params() -> None:
    configs = space()
    assert 100 <= len(configs) <= 200
    assert len(FAMILIES) >= 10
    ids = [c.config_id for c in configs]
    assert len(set(ids)) == len(ids)
    # Ids are part of shipped meta-datasets: these must never change meaning.
    assert get_config("rf_00").params == {} and get_config("rf_00").family == "random_forest"
    assert get_config("svc_04").params == {"C": 1.0, "gamma": 0.01}
    table = config_table()
    assert list(table.columns) == ["config_id", "family", "params"]
    assert all(isinstance(json.loads(p), dict) for p in table["params"])


def test_unknown_family_and_id() -> None:
    with pytest.raises(BadInputError, match="Unknown learner families: boosting"):
        space(["boosting"])
    with pytest.raises(BadInputError, match="Unknown configuration id 'rf_99'"):
        get_config("rf_99")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_default_of_each_family_fits_mixed_columns_with_missing_values(family: str) -> None:
    task = load_table(DEMO / "penguins.csv", target="species")
    config = space([family])[0]
    pipe = build_pipeline(config, task.numeric_columns, task.categorical_columns, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the defaults
        pipe.fit(task.X, task.y)
    accuracy = (pipe.predict(task.X) == task.y).mean()
    assert accuracy > 0.6, (family, accuracy)  # majority class is 0.44: a broken pipeline fails
