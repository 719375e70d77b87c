"""The rows files of the benchmarks that run in shards (CSV: optimizer, maml_tabular,
maml_grouped; JSON lines: big_tables): each shard appends to a file of its own beside the
benchmark's rows file (``rows.csv`` -> ``rows-0.csv``, ``rows-1.csv``), so two shards
running side by side never write one file (nor both write its header), and whatever reads
the rows (the resume of each shard, the report) reads them all.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> (i, n): every n-th unit of work from the i-th (0 <= i < n)."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise SystemExit(f"--shard takes i/n, for example 0/2; got {text!r}") from None
    if not 0 <= i < n:
        raise SystemExit(f"--shard i/n needs 0 <= i < n; got {text!r}")
    return i, n


def shard_file(rows: Path, i: int) -> Path:
    """The file shard ``i`` appends its rows to, beside ``rows``."""
    return rows.with_name(f"{rows.stem}-{i}{rows.suffix}")


def shard_paths(rows: Path) -> list[Path]:
    """The files that exist of ``rows`` and of its shards, in name order."""
    shards = sorted(rows.parent.glob(f"{rows.stem}-*{rows.suffix}"))
    return ([rows] if rows.exists() else []) + [
        p for p in shards if p.stem[len(rows.stem) + 1 :].isdigit()
    ]


def read_rows(rows: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every row recorded: ``rows`` itself and every shard's file beside it, in name order.

    With no file yet, an empty frame of ``columns``.
    """
    frames = [pd.read_csv(p) for p in shard_paths(rows) if p.stat().st_size > 0]
    if not frames:
        return pd.DataFrame(columns=columns or [])
    return pd.concat(frames, ignore_index=True)


def append_rows(rows: Path, i: int, new: list[dict]) -> None:
    """Append ``new`` (one dict per row) to shard ``i``'s file, with a header if new."""
    out = shard_file(rows, i)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(new).to_csv(out, mode="a", header=not out.exists(), index=False)
