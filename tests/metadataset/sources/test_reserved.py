"""The reserved list: by name (aliases, prefixes, sources) and by shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from autometa import BadInputError
from autometa.metadataset.sources.reserved import ReservedList

CSV = "task,name,n_rows,n_features,aliases\n" \
      "classification,yeast,1479,8,yeast;yeast1;yeast-*\n" \
      "classification,churn,5000,20,churn\n" \
      "regression,537_houses,20640,8,537_houses;houses\n"  # fmt: skip


@pytest.fixture
def reserved(tmp_path: Path) -> ReservedList:
    (tmp_path / "reserved.csv").write_text(CSV)
    return ReservedList.read(tmp_path / "reserved.csv")


def test_names_aliases_and_prefixes_from_any_source(reserved: ReservedList) -> None:
    assert "alias 'yeast1'" in reserved.match("keel.yeast1", "classification")
    assert "alias 'yeast-*'" in reserved.match("keel.yeast-1_vs_7", "classification")
    assert reserved.match("r.somepkg.Churn", "classification") is not None
    assert reserved.match("Yeast", "classification") is not None
    assert reserved.match("yeasty", "classification") is not None  # 'yeast-*': a prefix
    assert reserved.match("churny", "classification") is None  # 'churn' is a whole name
    assert reserved.match("xd6", "classification", 5000, 20) is None  # a known coincidence


def test_shapes_within_two_percent_or_a_one_hot_encoding(reserved: ReservedList) -> None:
    assert "within 2 %" in reserved.match("t", "classification", 1460, 8)
    assert reserved.match("t", "classification", 1400, 8) is None  # 5 % off
    assert reserved.match("t", "regression", 1479, 8) is None  # another task
    assert "one-hot" in reserved.match("t", "classification", 5000, 26, n_categorical=3)
    assert reserved.match("t", "classification", 5000, 26, n_categorical=0) is None


def test_unreadable_list_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("name\nyeast\n")
    with pytest.raises(BadInputError, match="is not readable"):
        ReservedList.read(tmp_path / "bad.csv")
