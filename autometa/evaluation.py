"""Evaluate selectors on data they have not seen: leave one family out (our meta-dataset:
a whole near-duplicate family at a time; ASlib: the family is the official CV fold).

Per test dataset and selector (normalised scores: 1 = best config, 0 = worst or failed):

- ``regret@k``: 1 - the best normalised score among the selector's top k (k = 1, 3, 5, 10);
- ``ndcg@5``: NDCG of the top five with the normalised scores as relevance;
- ``raw@1``: the raw metric value of the top-1 configuration (failed units: the dataset's
  worst value), used for the gap closed.

Aggregated: means with 95 % bootstrap confidence intervals that resample *families* (a
family's datasets are near-duplicates, so resampling datasets makes intervals too
narrow), and the gap closed between the single best (chosen on each training split) and the oracle:
``(mean raw@1 - mean SBS) / (mean oracle - mean SBS)`` for a maximised metric
(1 = oracle, 0 = single best, negative = worse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadata import MetaDataset
from autometa.selectors.base import Selector
from autometa.selectors.baselines import SingleBest

__all__ = ["KS", "evaluate", "raw_filled", "summarize"]

logger = logging.getLogger(__name__)
KS = (1, 3, 5, 10)


def evaluate(
    meta: MetaDataset,
    selectors: dict[str, Callable[[], Selector]],
    metric: str = "accuracy",
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """Leave-one-family-out evaluation.

    Parameters
    ----------
    meta : MetaDataset
    selectors : dict
        Name -> factory returning an unfitted selector (a fresh one per split).
    metric : str
    progress : callable, optional
        ``progress(done, total, family)`` after each held-out family.

    Returns
    -------
    DataFrame
        One row per (selector, test dataset): selector, dataset, family, regret@k...,
        ndcg@5, raw@1, sbs_raw, oracle_raw.
    """
    families = meta.datasets.set_index("name")["family"]
    if families.nunique() < 2:
        raise BadInputError("Leave-one-family-out needs at least two families.")
    norm = meta.normalized_scores(metric)
    raw = raw_filled(meta, metric)
    sign = 1.0 if meta.maximize.get(metric, True) else -1.0
    rows = []
    groups = list(dict.fromkeys(families.loc[meta.dataset_names]))
    for done, family in enumerate(groups, start=1):
        test = [d for d in meta.dataset_names if families[d] == family]
        train = meta.subset([d for d in meta.dataset_names if families[d] != family])
        sbs = SingleBest().fit(train, metric).rank(pd.Series(dtype=float)).index[0]
        for name, make in selectors.items():
            selector = make().fit(train, metric)
            for d in test:
                features = cast(pd.Series, meta.metafeatures.loc[d])
                order = list(selector.rank(features).index)
                row = {"selector": name, "dataset": d, "family": family}
                scores = norm.loc[d, order].to_numpy()
                for k in KS:
                    row[f"regret@{k}"] = 1.0 - scores[:k].max()
                row["ndcg@5"] = _ndcg(scores, norm.loc[d].to_numpy(), 5)
                row["raw@1"] = sign * raw.loc[d, order[0]]
                row["sbs_raw"] = sign * raw.loc[d, sbs]
                row["oracle_raw"] = sign * raw.loc[d].max()
                rows.append(row)
        if progress:
            progress(done, len(groups), family)
    return pd.DataFrame(rows)


def raw_filled(meta: MetaDataset, metric: str) -> pd.DataFrame:
    """Raw scores, sign-adjusted so larger is better, failed units at the dataset's worst."""
    raw = meta.scores(metric)
    if not meta.maximize.get(metric, True):
        raw = -raw
    return raw.apply(lambda row: row.fillna(row.min()), axis=1)


def _ndcg(ranked: np.ndarray, all_scores: np.ndarray, k: int) -> float:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = (np.sort(all_scores)[::-1][:k] * discounts[: min(k, len(all_scores))]).sum()
    dcg = (ranked[:k] * discounts[: min(k, len(ranked))]).sum()
    return float(dcg / ideal) if ideal > 0 else 1.0


def summarize(results: pd.DataFrame, n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """Per selector: mean of each metric with a 95 % family-bootstrap interval, and gap closed.

    Each bootstrap sample draws families with replacement and takes all their datasets.

    Returns
    -------
    DataFrame
        Index: selector; columns ``<metric>``, ``<metric> lo``, ``<metric> hi`` for
        regret@k and ndcg@5, plus ``gap closed`` (with its interval) and ``raw@1``.
    """
    rng = np.random.default_rng(random_state)
    columns = [f"regret@{k}" for k in KS] + ["ndcg@5", "raw@1", "sbs_raw", "oracle_raw"]
    out = {}
    for name, group in results.groupby("selector", sort=False):
        # Per family: sums of each column and the number of datasets.
        sums = group.groupby("family", sort=False)[columns].sum()
        counts = group.groupby("family", sort=False).size().to_numpy()
        draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
        boot_n = counts[draws].sum(axis=1)
        boot = {c: sums[c].to_numpy()[draws].sum(axis=1) / boot_n for c in columns}
        row: dict[str, float] = {}
        for col in columns[:-2]:
            row[col] = float(group[col].mean())
            row[f"{col} lo"], row[f"{col} hi"] = np.quantile(boot[col], [0.025, 0.975]).tolist()
        sel, sbs, orc = (group[c].mean() for c in ("raw@1", "sbs_raw", "oracle_raw"))
        row["gap closed"] = _gap(sel, sbs, orc)
        gaps = [
            _gap(a, b, c)
            for a, b, c in zip(boot["raw@1"], boot["sbs_raw"], boot["oracle_raw"], strict=True)
        ]
        row["gap closed lo"], row["gap closed hi"] = np.nanquantile(gaps, [0.025, 0.975]).tolist()
        out[name] = row
    return pd.DataFrame(out).T


def _gap(selected: float, sbs: float, oracle: float) -> float:
    return float((selected - sbs) / (oracle - sbs)) if oracle > sbs else float("nan")
