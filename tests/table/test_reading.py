"""Reading big tables: pyarrow's reader, the memory check, samples drawn while reading,
compact columns, and the line of a bad row. The size threshold is lowered so that small
files take the big-file path."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import autometa
from autometa.exceptions import BadInputError
from autometa.table import reading
from autometa.table.reading import read_file


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is big."""
    monkeypatch.setattr(reading, "BIG_FILE_MB", 0)


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=n).round(3),
        "id_like": 16_777_216.0 + np.arange(n) % 2,  # 2**24 and 2**24 + 1: one in float32
        "colour": rng.choice(["red", "green", "blue"], n),
        "y": rng.integers(0, 2, n),
    })  # fmt: skip


def test_a_big_file_reads_as_pandas_reads_it_compact(big: None, tmp_path: Path) -> None:
    frame = _table()
    path = tmp_path / "t.csv"
    frame.to_csv(path, sep=";", index=False)
    got = read_file(path)
    assert list(got.columns) == list(frame.columns) and len(got) == len(frame)
    assert got["x"].dtype == np.float32  # three decimals: float32 keeps them apart
    assert got["id_like"].dtype == np.float64  # float32 would merge its two values
    np.testing.assert_allclose(got["x"], frame["x"], rtol=1e-6)
    assert list(got["colour"].astype(str)) == list(frame["colour"])
    task = autometa.load_table(path, target="y")
    assert task.X["x"].dtype == np.float32 and task.kinds["colour"] == "categorical"


def test_gzip_and_a_sample_drawn_while_reading(big: None, tmp_path: Path) -> None:
    frame = _table(5000)
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as handle:
        frame.to_csv(handle, index=False)
    a = read_file(path, max_rows=700, random_state=1)
    b = read_file(path, max_rows=700, random_state=1)
    assert len(a) == 700 and a.equals(b)
    assert not a.equals(read_file(path, max_rows=700, random_state=2))
    # Every sampled row is a row of the file (x, colour and y together).
    keys = set(zip(frame["x"].round(3), frame["colour"], frame["y"], strict=True))
    assert set(zip(a["x"].astype(float).round(3), a["colour"].astype(str), a["y"],
                   strict=True)) <= keys  # fmt: skip
    task = autometa.load_table(path, target="y", max_rows=500)
    assert len(task.y) == 500


def test_a_table_larger_than_the_free_memory_is_a_clear_error(
    big: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    _table().to_csv(path, index=False)
    monkeypatch.setattr(reading, "available_mb", lambda: 0.01)
    with pytest.raises(BadInputError, match=r"GiB of memory to read.*max_rows=N.*--max-rows"):
        read_file(path)
    assert len(read_file(path, max_rows=100)) == 100  # the way out the message names


def test_a_malformed_row_deep_in_the_file_is_named_by_its_line(big: None, tmp_path: Path) -> None:
    lines = _table(4000).to_csv(index=False).splitlines()
    lines[3500] += ",7"
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError, match=r"line 3501 has 5 fields, the header has 4"):
        read_file(path)


def test_a_column_of_numbers_then_text_names_the_column_and_line(
    big: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _table(20_000)
    text = frame.astype({"x": object})
    text.loc[19_000, "x"] = "oops"
    path = tmp_path / "t.csv"
    text.to_csv(path, index=False)
    # Read whole: pyarrow sees the column as text; the validation names column and row.
    with pytest.raises(BadInputError, match=r"Column 'x' .* mixes numbers and text .*'oops'"):
        autometa.load_table(path, target="y")
    # Sampled: the first block decides the column's type; the bad value's line is found.
    monkeypatch.setattr(reading, "BLOCK_BYTES", 1 << 14)
    with pytest.raises(BadInputError, match=r"Column 'x' .* then 'oops' on line 19002"):
        read_file(path, max_rows=100)


def test_parquet_sampled_and_checked_for_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.parquet"
    _table(4000).to_parquet(path)
    assert len(read_file(path, max_rows=300)) == 300
    assert len(read_file(path)) == 4000
    monkeypatch.setattr(reading, "available_mb", lambda: 0.001)
    with pytest.raises(BadInputError, match="4,000 rows"):
        read_file(path)


def test_max_rows_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _table(50).to_csv(path, index=False)
    with pytest.raises(BadInputError, match="max_rows must be a positive"):
        read_file(path, max_rows=0)
