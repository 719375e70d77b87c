"""load_table: column kinds, and a clear AutometaError for every kind of bad input."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from autometa import AutometaError, AutometaWarning, BadInputError, load_table
from autometa.table.sampling import stratified_subsample
from autometa.table.tabular import task_from_xy
from tests.helpers import DEMO


def write(tmp_path: Path, text: str | bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# ------------------------------------------------------------------ good input
def test_penguins_kinds_and_missing_values() -> None:
    task = load_table(DEMO / "penguins.csv", target="species")
    assert task.X.shape == (344, 7)
    assert task.n_classes == 3
    assert task.categorical_columns == ["island", "sex", "year"]  # year: 3 integer values
    assert task.numeric_columns == [
        "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g",
    ]  # fmt: skip
    assert task.X["sex"].isna().sum() == 11
    assert task.name == "penguins"


def test_sniffs_tab_and_semicolon_and_reads_gzip_zip(tmp_path: Path) -> None:
    rows = ["a;b;class", *[f"{i}.5;{i % 3};{'xy'[i % 2]}" for i in range(30)]]
    semi = write(tmp_path, "\n".join(rows))
    tsv = "\n".join(r.replace(";", "\t") for r in rows).encode()
    gz = write(tmp_path, gzip.compress(tsv), "t.tsv.gz")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("inner.csv", "\n".join(r.replace(";", ",") for r in rows))
    zipped = write(tmp_path, buf.getvalue(), "t.zip")
    for path in (semi, gz, zipped):
        task = load_table(path, target="class")
        assert task.X.shape == (30, 2), path
        assert task.kinds == {"a": "numeric", "b": "categorical"}


def test_column_rules(tmp_path: Path) -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "row_id": np.arange(1, n + 1),  # consecutive unique integers
            "name": [f"person {i}" for i in range(n)],  # a distinct text value per row
            "const": 7,
            "empty": np.nan,
            "flag": [True, False] * (n // 2),
            "small_int": np.arange(n) % 4,
            "big_int": (np.arange(n) * 37) % 101,
            "when": pd.date_range("2020-01-01", periods=n, freq="37D"),
            "num_text": [str(i * 1.5) for i in range(n)],
            "y": ["a", "b"] * (n // 2),
        }
    )
    task = load_table(frame, target="y")
    assert task.kinds == {
        "flag": "categorical", "small_int": "categorical", "big_int": "numeric",
        "num_text": "numeric",
    }  # fmt: skip
    assert task.dropped["row_id"].startswith("identifier-like")
    assert task.dropped["name"].startswith("identifier-like")
    assert task.dropped["const"] == "constant"
    assert task.dropped["empty"] == "all values missing"
    assert task.dropped["when"].startswith("datetime")
    expanded = load_table(frame, target="y", expand_dates=True)
    assert {"when_year", "when_month", "when_day", "when_weekday"} <= set(expanded.kinds)


def test_missing_target_rows_are_dropped_with_a_warning() -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5, 4.5, 5.5], "y": ["u", "v", None, "u", "v"]})
    with pytest.warns(AutometaWarning, match="Dropped 1 rows"):
        task = load_table(frame, target="y")
    assert len(task.y) == 4


def test_high_cardinality_is_capped(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"c": [f"v{v}" for v in rng.integers(0, 3000, 5000)], "y": [0, 1] * 2500})
    with pytest.warns(AutometaWarning, match="kept the 999 most frequent"):
        task = load_table(frame, target="y")
    assert task.X["c"].nunique() == 1000
    assert (task.X["c"] == "__other__").sum() > 0


def test_inf_as_missing() -> None:
    frame = pd.DataFrame({"a": [1.5, np.inf, 2.5, 3.5], "y": [0, 1, 0, 1]})
    with pytest.raises(BadInputError, match=r"Column 'a' of the DataFrame holds infinite values"):
        load_table(frame, target="y")
    task = load_table(frame, target="y", inf_as_missing=True)
    assert task.X["a"].isna().sum() == 1


def test_task_from_xy_numpy() -> None:
    X = np.arange(20, dtype=float).reshape(10, 2) + 0.5
    task = task_from_xy(X, np.array([0, 1] * 5))
    assert list(task.X.columns) == ["x0", "x1"]
    with pytest.raises(BadInputError, match="one label per row"):
        task_from_xy(X, np.array([0, 1]))


def test_stratified_subsample_keeps_class_shares() -> None:
    y = np.array([0] * 900 + [1] * 100)
    idx = stratified_subsample(y, 100, random_state=0, min_per_class=3)
    assert len(idx) == 100 and (np.bincount(y[idx]) == [90, 10]).all()
    assert (idx == stratified_subsample(y, 100, random_state=0, min_per_class=3)).all()


# ------------------------------------------------------------------ the bad-input catalogue
BAD_FILES = [
    ("empty.csv", b"", r"is empty"),
    ("blank.csv", b"\n\n  \n", r"is empty"),
    ("header_only.csv", b"a,b,class\n", r"has a header but no data rows"),
    ("one_class.csv", b"a,b,class\n1.5,2,x\n3.5,4,x\n5.5,6,x\n", r"single class \('x'\)"),
    ("one_number_class.csv", b"a,class\n1.5,2\n3.5,2\n5.5,2\n", r"single class \(2\);"),
    ("single_row.csv", b"a,b,class\n1.5,2,x\n3.5,4,x\n5.5,6,y\n7.5,8,x\n", r"Class 'y' .* single row"),
    ("dup.csv", b"a,a,class\n1,2,x\n3,4,y\n", r"duplicated column names: 'a'"),
    ("inf.csv", b"a,b,class\n1.5,2,x\n3.5,inf,y\n5.5,6,x\n7.5,8,y\n", r"Column 'b' .* infinite"),
    ("mixed.csv", b"a,b,class\n" + b"".join(b"%d.5,%d,%s\n" % (i, i, b"xy"[i % 2 : i % 2 + 1]) for i in range(12)).replace(b"3,y", b"abc,y"), r"Column 'b' .* mixes numbers and text \(e.g. 'abc'"),
    ("regression.csv", b"a,class\n1,0.5\n2,1.7\n3,2.2\n4,0.1\n", r"looks continuous .* task='regression'"),
    ("all_nan.csv", b"a,b,class\n,,x\n,,y\n,,x\n,,y\n", r"Every feature column .* \('a': all values missing"),
    ("constant.csv", b"a,class\n5,x\n5,y\n5,x\n5,y\n", r"Every feature column .* \('a': constant"),
    ("binary.csv", b"\x00\x01\x02\xff", r"NUL bytes"),
    ("broken.gz", b"\x1f\x8b\x08\x00garbage", r"looks compressed but is damaged"),
    ("ragged.csv", b"a,b,class\n1,2,x\n3,4,y,9,9\n5,6,x\n", r"could not be parsed"),
    ("only_target.csv", b"class\nx\ny\nx\ny\n", r"only the target column 'class'"),
    ("table.xlsx", b"PK\x03\x04\x14\x00", r"looks like an Excel file; autometa reads CSV"),
    ("table.json", b'{"a": 1, "class": "x"}', r"looks like a JSON file"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_give_a_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = write(tmp_path, content, name)
    with pytest.raises(BadInputError, match=message) as info:
        load_table(path, target="class", task="classification")
    if name not in ("dup.csv",):
        assert name in str(info.value)  # the message names the file


def _rows(values: list[str], feature: str = "") -> bytes:
    """A two-column table (a, y): ``a`` counts 1.5, 2.5, ... unless given."""
    return ("a,y\n" + "".join(
        f"{feature or i + 1.5},{v}\n" for i, v in enumerate(values)
    )).encode()  # fmt: skip


# The regression cases of the bad-input catalogue: (name, content, task, message).
BAD_REGRESSION = [
    ("constant.csv", _rows(["5"] * 30), "regression", r"'y' .* is constant \(5\)"),
    ("all_missing.csv", _rows([""] * 30), "regression", r"'y' .* has no values"),
    ("inf.csv", _rows([str(i) + ".5" for i in range(29)] + ["inf"]), "auto", r"'y' .* infinite"),
    ("two_numbers.csv", _rows(["0.5", "1.5"] * 15), "auto", r"2 distinct non-integer numbers \(0.5, 1.5\): classes or a quantity"),
    ("text.csv", _rows(["low", "high"] * 15), "regression", r"holds text .* cannot be a regression target"),
    ("dates.csv", _rows(["2020-01-0" + str(i % 9 + 1) for i in range(30)]), "regression", r"holds dates, not numbers"),
    ("id_only.csv", b"id,y\n" + b"".join(b"%d,%d.5\n" % (i, i * 7 % 13) for i in range(1, 31)), "auto", r"Every feature column .* identifier-like"),
    ("one_row_class.csv", _rows(["a"] * 29 + ["b"]), "classification", r"Class 'b' .* single row"),
    ("floats_as_classes.csv", _rows([str(i / 7) for i in range(30)]), "classification", r"looks continuous"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "task", "message"), BAD_REGRESSION,
                         ids=[b[0] for b in BAD_REGRESSION])  # fmt: skip
def test_bad_regression_targets_give_a_clear_error(
    tmp_path: Path, name: str, content: bytes, task: str, message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        load_table(write(tmp_path, content, name), target="y", task=task)


def test_task_kind_rules() -> None:
    rng = np.random.default_rng(0)

    def kind(y: object, **kw: object) -> str:
        frame = pd.DataFrame({"a": rng.normal(size=len(y)), "y": y})  # type: ignore[arg-type]
        return load_table(frame, "y", **kw).kind  # type: ignore[arg-type]

    assert kind(rng.normal(size=200)) == "regression"
    assert kind(rng.integers(0, 2, 200)) == "classification"  # 0/1
    assert kind(np.arange(2000) % 26) == "classification"  # 26 codes in 2,000 rows (1.3 %)
    assert kind(np.arange(400) % 26) == "regression"  # the same in 400 rows (6.5 %)
    assert kind(np.arange(400) % 26, task="classification") == "classification"
    assert kind(rng.integers(0, 300, 1000)) == "regression"  # more than 100 levels
    assert kind(rng.integers(0, 40, 200)) == "regression"  # 40 levels, 20 % of the rows
    assert kind(["x", "y"] * 100) == "classification"
    assert kind(rng.normal(size=200), task="regression") == "regression"
    assert kind(rng.integers(0, 2, 200), task="regression") == "regression"  # forced
    task = load_table(pd.DataFrame({"a": np.arange(50.0) % 7, "y": rng.normal(size=50)}), "y")
    assert task.n_classes == 0 and task.y.dtype == np.float64
    assert len(np.unique(task.strata)) == 10  # quantile bins for splits
    with pytest.warns(AutometaWarning, match=r"Dropped 3 rows .* target 'y' is missing"):
        y = list(rng.normal(size=47)) + [np.nan] * 3
        assert len(load_table(pd.DataFrame({"a": np.arange(50.0) % 7, "y": y}), "y").y) == 47
    with pytest.raises(BadInputError, match="task must be"):
        load_table(pd.DataFrame({"a": [1.0, 2.0], "y": [1.0, 2.0]}), "y", task="ranking")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"File '.*nope.csv' does not exist"):
        load_table(tmp_path / "nope.csv", target="y")
    with pytest.raises(BadInputError, match="is a folder"):
        load_table(tmp_path, target="y")


def test_target_not_found_suggests_the_closest_name() -> None:
    with pytest.raises(
        BadInputError, match=r"Target column 'specie' not found .* Did you mean 'species'\?"
    ):
        load_table(DEMO / "penguins.csv", target="specie")


def test_latin1_fallback_warns_and_reads(tmp_path: Path) -> None:
    path = write(
        tmp_path, "caf\xe9,b,class\n1.5,x,u\n2.5,y,v\n3.5,x,u\n4.5,y,v\n".encode("latin-1")
    )
    with pytest.warns(AutometaWarning, match=r"not valid UTF-8 \(byte 0xe9 at offset 3\)"):
        task = load_table(path, target="class")
    assert "café" in task.kinds


def test_duplicated_names_in_a_dataframe() -> None:
    frame = pd.DataFrame([[1, 2, 0], [3, 4, 1]], columns=["a", "a", "y"])
    with pytest.raises(BadInputError, match="duplicated column names: 'a'"):
        load_table(frame, target="y")


def test_mixed_python_objects_in_a_dataframe() -> None:
    frame = pd.DataFrame({"a": [1, "x", 2, "y", 3, "z"], "y": [0, 1] * 3})
    with pytest.raises(BadInputError, match="mixes numbers and text"):
        load_table(frame, target="y")


# ------------------------------------------------------------------ fuzzing
@pytest.mark.filterwarnings("ignore::autometa.exceptions.AutometaWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_give_a_task_or_an_autometa_error(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(b"a,b,class\n" + raw if raw[:1] != b"\x1f" else raw)
    try:
        load_table(path, target="class")
    except AutometaError:
        pass


cells = st.one_of(
    st.none(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4), st.booleans(),
)  # fmt: skip


@pytest.mark.filterwarnings("ignore::autometa.exceptions.AutometaWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_frames(
        [column("a", elements=cells), column("b", elements=cells), column("y", elements=cells)],
        index=range_indexes(max_size=12),
    )
)
def test_random_frames_give_a_task_or_an_autometa_error(frame: pd.DataFrame) -> None:
    try:
        task = load_table(frame, target="y")
    except AutometaError:
        return
    if task.kind == "classification":
        assert task.n_classes >= 2
    else:  # a finite, non-constant numeric target
        assert np.isfinite(task.y.to_numpy(dtype=float)).all() and task.y.nunique() >= 2
    assert len(task.kinds) >= 1 and task.X.shape[0] == len(task.y)
