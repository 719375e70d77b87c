"""The learner space: size, stable ids, and a working pipeline for every family."""

from __future__ import annotations

import json
import warnings

import pytest

from autometa import BadInputError, load_table
from autometa.space.learners import (
    FAMILIES,
    config_table,
    get_config,
    neighbours,
    space,
)
from autometa.space.pipelines import build_pipeline
from tests.helpers import DEMO


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


CLASSIFIERS = [name for name, f in FAMILIES.items() if f.task == "classification"]
REGRESSORS = [name for name, f in FAMILIES.items() if f.task == "regression"]


def test_regression_space_size_ids_and_params() -> None:
    configs = space(task="regression")
    assert 90 <= len(configs) <= 120 and len(REGRESSORS) >= 10
    ids = [c.config_id for c in configs] + [c.config_id for c in space()]
    assert len(set(ids)) == len(ids)  # unique across both spaces
    assert all(FAMILIES[c.family].task == "regression" for c in configs)
    assert get_config("svr_04").params == {"C": 10.0, "gamma": 0.01}
    assert get_config("hgbr_12").params == {"transform_target": "power"}


@pytest.mark.parametrize("config_id", [c.config_id for c in space(task="regression")])
def test_every_regression_configuration_fits_mixed_columns(config_id: str) -> None:
    task = load_table(DEMO / "penguins.csv", target="body_mass_g", task="regression")
    config = get_config(config_id)
    pipe = build_pipeline(config, task.numeric_columns, task.categorical_columns, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings
        pipe.fit(task.X, task.y)
    pred = pipe.predict(task.X)
    r2 = 1 - ((pred - task.y) ** 2).sum() / ((task.y - task.y.mean()) ** 2).sum()
    if config.family == "mean_baseline":
        assert abs(r2) < 1e-9
    else:  # species, sex and flipper length explain most of the mass: a broken one fails
        assert r2 > 0.3, (config_id, r2)


@pytest.mark.parametrize("family", CLASSIFIERS)
def test_default_of_each_family_fits_mixed_columns_with_missing_values(family: str) -> None:
    task = load_table(DEMO / "penguins.csv", target="species")
    config = space([family])[0]
    pipe = build_pipeline(config, task.numeric_columns, task.categorical_columns, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the defaults
        pipe.fit(task.X, task.y)
    accuracy = (pipe.predict(task.X) == task.y).mean()
    assert accuracy > 0.6, (family, accuracy)  # majority class is 0.44: a broken pipeline fails


def test_neighbours_step_off_the_grid_and_read_back() -> None:
    lr = get_config("lr_05")  # C=100
    steps = {c.config_id: (c.params, cost) for c, cost in neighbours(lr)}
    assert steps == {"lr_05[C=316]": ({"C": 316.0}, 1.0), "lr_05[C=31.6]": ({"C": 31.6}, 1.0)}
    # Up then down is the grid point again; neighbouring grid points meet half-way.
    up = neighbours(lr)[0][0]
    assert neighbours(up)[1][0] == lr
    assert neighbours(get_config("lr_04"))[0][0].params == neighbours(lr)[1][0].params
    hgb = get_config("hgb_00")
    by_id = {c.config_id: (c, cost) for c, cost in neighbours(hgb)}
    more, cost = by_id["hgb_00[max_iter=316]"]
    assert more.params == {"max_iter": 316} and isinstance(more.params["max_iter"], int)
    assert cost == 3.16  # iterations cost time; the timing of a neighbour scales with it
    # Back to the estimator's default is the grid configuration itself, params and id.
    assert get_config("hgb_00") in [c for c, _ in neighbours(more)]
    for config, _ in neighbours(more) + neighbours(get_config("rf_01")):
        assert get_config(config.config_id) == config
    # Parameters that are not positive numbers stay put (max_depth=None, max_features="sqrt").
    assert not any("max_depth" in c.config_id for c, _ in neighbours(get_config("rf_00")))
    assert not any("max_features" in c.config_id for c, _ in neighbours(get_config("rf_00")))
    # Ranges clip: n_neighbors=1 has only an upward step.
    assert [c.config_id for c, _ in neighbours(get_config("knn_01"))] == ["knn_01[n_neighbors=3]"]
    for bad in ("lr_05[gamma=1]", "lr_05[C=abc]", "lr_05[C=3", "lr_05[", "lr_05[]"):
        with pytest.raises(BadInputError, match="Unknown configuration id"):
            get_config(bad)
