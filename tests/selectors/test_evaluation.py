"""Leave-one-family-out evaluation: no leak of held-out datasets, family bootstrap, and the
ASlib reader's checks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from autometa import BadInputError, MetaDataset
from autometa.paths import shared_dir
from autometa.selectors import SingleBest
from autometa.selectors.evaluation import evaluate, summarize
from tests.selectors.test_selectors import synthetic

ASLIB = shared_dir() / "benchmarks" / "aslib" / "OPENML-WEKA-2017"


class Spy(SingleBest):
    """Records the datasets every fit sees."""

    seen: ClassVar[list[list[str]]] = []

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> Spy:
        Spy.seen.append(list(meta.dataset_names))
        super().fit(meta, metric)
        return self


def test_held_out_family_never_reaches_fit() -> None:
    meta = synthetic(n=20)  # families fam0..fam9 of two datasets each
    Spy.seen = []
    results = evaluate(meta, {"spy": Spy})
    families = meta.datasets.set_index("name")["family"]
    assert len(Spy.seen) == 10
    for seen, (family, tested) in zip(Spy.seen, results.groupby("family", sort=False), strict=True):
        assert set(tested["dataset"]).isdisjoint(seen)
        assert sorted(seen) == sorted(families.index[families != family])


def test_bootstrap_resamples_families_not_datasets() -> None:
    # Ten families of ten identical datasets each: resampling datasets would pretend there
    # are 100 independent values; resampling families sees ten.
    rng = np.random.default_rng(0)
    values = np.repeat(rng.normal(size=10), 10)
    results = pd.DataFrame({
        "selector": "s", "dataset": [f"d{i}" for i in range(100)],
        "family": np.repeat([f"f{i}" for i in range(10)], 10), "regret@1": values,
        "regret@3": 0.0, "regret@5": 0.0, "regret@10": 0.0, "ndcg@5": 1.0,
        "raw@1": 0.8, "sbs_raw": 0.7, "oracle_raw": 0.9,
    })  # fmt: skip
    summary = summarize(results).loc["s"]
    width = summary["regret@1 hi"] - summary["regret@1 lo"]
    # The family-level standard error is that of 10 values (about std / sqrt(10)).
    expected = 2 * 1.96 * values.std() / np.sqrt(10)
    assert width == pytest.approx(expected, rel=0.35)
    assert summary["gap closed"] == pytest.approx(0.5)


@pytest.mark.skipif(not ASLIB.is_dir(), reason="the ASlib scenario is beside the project")
def test_aslib_reads_the_direction_and_requires_every_fold(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    shutil.copytree(ASLIB, scenario)
    description = (scenario / "description.txt").read_text()
    (scenario / "description.txt").write_text(
        description.replace("maximize:\n- true", "maximize:\n- false")
    )
    assert MetaDataset.from_aslib(scenario).maximize == {"predictive_accuracy": False}
    cv = (scenario / "cv.arff").read_text().splitlines()
    (scenario / "cv.arff").write_text("\n".join(cv[:-1]) + "\n")  # one instance loses its fold
    with pytest.raises(BadInputError, match="has no fold for 1 instance"):
        MetaDataset.from_aslib(scenario)
    (scenario / "description.txt").unlink()
    with pytest.raises(BadInputError, match=r"missing description\.txt"):
        MetaDataset.from_aslib(scenario)


def test_racing_picks_on_one_part_and_reports_on_the_others() -> None:
    from autometa.selectors.evaluation import race_scores

    perf = pd.DataFrame(
        [("d1", "a", 100, 0, "accuracy", 0.9), ("d1", "a", 100, 1, "accuracy", 0.5),
         ("d1", "a", 100, 2, "accuracy", 0.7), ("d1", "b", 100, 0, "accuracy", 0.8),
         ("d1", "b", 100, 1, "accuracy", 0.8), ("d1", "b", 100, 2, "accuracy", 0.8)],
        columns=["dataset", "config_id", "rows", "part", "metric", "value"],
    )  # fmt: skip
    meta = MetaDataset(
        pd.DataFrame({"f": [1.0]}, index=["d1"]), perf,
        pd.DataFrame({"config_id": ["a", "b"], "family": ["x", "y"], "params": "{}"}),
        pd.DataFrame({"name": ["d1"], "family": ["d1"], "source": "t"}),
    )  # fmt: skip
    pick, report = race_scores(meta, "accuracy")
    assert pick.loc["d1"].tolist() == [0.9, 0.8]  # a looks better on part 0...
    assert report.loc["d1"].tolist() == pytest.approx([0.6, 0.8])  # ...and is worse after


def test_racing_noise_on_one_value_per_point_is_a_holdout_error() -> None:
    from autometa.selectors.evaluation import race_scores

    meta = synthetic(n=20)
    meta.metafeatures["NumberOfInstances"] = 500.0
    pick, report = race_scores(meta, "accuracy", random_state=3)
    noise = (pick - report).to_numpy().ravel()
    s = report.to_numpy().ravel()
    expected = np.sqrt(np.clip(s, 0, 1) * (1 - np.clip(s, 0, 1)) / (0.2 * 500))
    inside = expected > 0  # a score of 0 or 1 has no binomial noise
    assert np.std(noise[inside] / expected[inside]) == pytest.approx(1.0, abs=0.15)
    again, _ = race_scores(meta, "accuracy", random_state=3)
    pd.testing.assert_frame_equal(pick, again)
