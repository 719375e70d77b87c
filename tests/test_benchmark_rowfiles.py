"""The sharded benchmarks' rows files: each shard writes its own, every reader sees all."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.rowfiles import append_rows, parse_shard, read_rows, shard_file


def test_two_shards_write_their_own_files_and_are_read_together(tmp_path: Path) -> None:
    rows = tmp_path / "bench" / "rows.csv"
    assert read_rows(rows, ["table", "seed"]).columns.tolist() == ["table", "seed"]
    append_rows(rows, 0, [{"table": "a", "seed": 0}])
    append_rows(rows, 1, [{"table": "b", "seed": 0}, {"table": "b", "seed": 1}])
    append_rows(rows, 0, [{"table": "a", "seed": 1}])
    assert shard_file(rows, 1) == tmp_path / "bench" / "rows-1.csv"
    assert shard_file(rows, 0).read_text().count("table,seed") == 1  # one header per file
    got = read_rows(rows)
    assert sorted(zip(got["table"], got["seed"], strict=True)) == [
        ("a", 0), ("a", 1), ("b", 0), ("b", 1)
    ]  # fmt: skip
    # A rows file of an older, unsharded run is read with them.
    rows.write_text("table,seed\nc,0\n")
    assert len(read_rows(rows)) == 5


@pytest.mark.parametrize("text", ["2", "2/2", "-1/2", "a/b"])
def test_a_bad_shard_is_a_clear_error(text: str) -> None:
    with pytest.raises(SystemExit, match="--shard"):
        parse_shard(text)
    assert parse_shard("1/2") == (1, 2)
