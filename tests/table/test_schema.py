"""InputSchema: new rows are checked against, and prepared like, the training table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import autometa
from autometa.exceptions import BadInputError
from autometa.table.schema import InputSchema


@pytest.fixture()
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "num": rng.normal(size=40),
        "code": rng.integers(0, 3, size=40),  # integer codes -> categorical "0", "1", "2"
        "text": rng.choice(["a", "b"], size=40),
        "const": 1.0,
        "when": pd.date_range("2020-01-01", periods=40, freq="37D").astype(str),
        "y": rng.choice(["p", "q"], size=40),
    })  # fmt: skip


def test_transform_reproduces_the_training_columns(frame: pd.DataFrame) -> None:
    task = autometa.load_table(frame, "y", expand_dates=True)
    schema = InputSchema.from_task(task)
    assert schema.feature_columns == ["num", "code", "text", "const", "when"]
    assert "const" not in schema.required_columns
    again = schema.transform(frame)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), task.X, check_dtype=False)
    # A float column with missing values still maps 2.0 to the category "2".
    new = frame.drop(columns="y").astype({"code": float})
    new.loc[0, "code"] = np.nan
    out = schema.transform(new)
    assert out["code"].iloc[1] == task.X["code"].iloc[1]
    assert pd.isna(out["code"].iloc[0])
    # Through to_dict / from_dict nothing changes.
    assert InputSchema.from_dict(schema.to_dict()) == schema


def test_missing_extra_and_bad_columns_are_named(frame: pd.DataFrame) -> None:
    schema = InputSchema.from_task(autometa.load_table(frame, "y"))
    with pytest.raises(BadInputError, match="lacks column\\(s\\) the model needs: 'num'"):
        schema.transform(frame.drop(columns="num"))
    with pytest.raises(BadInputError, match="not fitted on: 'extra'"):
        schema.transform(frame.assign(extra=1))
    with pytest.raises(BadInputError, match="Column 'num' of the input must hold numbers"):
        schema.transform(frame.assign(num="x"))
    with pytest.raises(BadInputError, match="infinite values"):
        schema.transform(frame.assign(num=np.inf))
    with pytest.raises(BadInputError, match="has 2 columns; the model was fitted on 5"):
        schema.transform(np.zeros((3, 2)))
    # The constant column may be absent: the model does not use it.
    assert schema.transform(frame.drop(columns=["const", "y"])).shape == (40, 3)
