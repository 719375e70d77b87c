"""Evaluate selectors on data they have not seen: leave one family out (our meta-dataset:
a whole near-duplicate family at a time; ASlib: the family is the official CV fold).

Per test dataset and selector (normalised scores: 1 = best config, 0 = worst or failed):

- ``regret@k``: 1 - the best normalised score among the selector's top k (k = 1, 3, 5, 10);
- ``ndcg@5``: NDCG of the top five with the normalised scores as relevance;
- ``raw@1``: the raw metric value of the top-1 configuration (failed units: the dataset's
  worst value), used for the gap closed.

After racing (what the search does with a short list): ``raced@k`` is the *reported*
score of the configuration, among the selector's top k, with the best *pick* score, where
pick and report are two independent looks at the same configuration on the same dataset:

- a meta-dataset with two or more validation parts per point (ours: CV folds or holdout
  parts): pick by part 0, report the mean of the others;
- one value per point (ASlib): report the value, pick by the value plus Gaussian noise of
  a 20 % holdout's binomial standard error, ``sqrt(s (1 - s) / (0.2 n))`` with ``n`` the
  dataset's ``NumberOfInstances`` (1,000 when unknown), seeded.

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
from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import Selector
from autometa.selectors.baselines import SingleBest

__all__ = [
    "KS",
    "RACE_KS",
    "evaluate",
    "family_groups",
    "gap_closed",
    "race_scores",
    "raw_filled",
    "summarize",
]

logger = logging.getLogger(__name__)
KS = (1, 3, 5, 10)
RACE_KS = (1, 3, 5)
HOLDOUT_SHARE = 0.2  # the noise model's validation share (ASlib)
DEFAULT_INSTANCES = 1000


def evaluate(
    meta: MetaDataset,
    selectors: dict[str, Callable[[], Selector]],
    metric: str = "accuracy",
    progress: Callable[[int, int, str], None] | None = None,
    random_state: int = 0,
    folds: int | None = None,
) -> pd.DataFrame:
    """Leave-one-family-out evaluation (or, with ``folds``, that many folds of whole
    families).

    Parameters
    ----------
    meta : MetaDataset
    selectors : dict
        Name -> factory returning an unfitted selector (a fresh one per split).
    metric : str
    progress : callable, optional
        ``progress(done, total, family)`` after each held-out family.
    random_state : int
        Seeds the pick noise of a meta-dataset with one value per point (see
        :func:`race_scores`).
    folds : int, optional
        Hold out groups of whole families instead of one family at a time (families
        dealt to folds in a fixed, seeded order): a meta-dataset with hundreds of families
        costs that many trainings per selector otherwise.

    Returns
    -------
    DataFrame
        One row per (selector, test dataset): selector, dataset, family, top1 (the
        selector's first configuration), sbs (the fold's single best), regret@k...,
        ndcg@5, raw@1, sbs_raw, oracle_raw, raced@k, sbs_report, oracle_report.
    """
    families = meta.datasets.set_index("name")["family"]
    if families.nunique() < 2:
        raise BadInputError("Leave-one-family-out needs at least two families.")
    norm = meta.normalized_scores(metric)
    raw = raw_filled(meta, metric)
    sign = 1.0 if meta.maximize.get(metric, True) else -1.0
    pick, report = race_scores(meta, metric, random_state)
    rows = []
    groups = family_groups(list(dict.fromkeys(families.loc[meta.dataset_names])), folds)
    for done, group in enumerate(groups, start=1):
        test = [d for d in meta.dataset_names if families[d] in group]
        train = meta.subset([d for d in meta.dataset_names if families[d] not in group])
        sbs = SingleBest().fit(train, metric).rank(pd.Series(dtype=float)).index[0]
        for name, make in selectors.items():
            selector = make().fit(train, metric)
            for d in test:
                features = cast(pd.Series, meta.metafeatures.loc[d])
                order = list(selector.rank(features).index)
                row = {"selector": name, "dataset": d, "family": families[d], "top1": order[0],
                       "sbs": sbs}  # fmt: skip
                scores = norm.loc[d, order].to_numpy()
                for k in KS:
                    row[f"regret@{k}"] = 1.0 - scores[:k].max()
                row["ndcg@5"] = _ndcg(scores, norm.loc[d].to_numpy(), 5)
                row["raw@1"] = sign * raw.loc[d, order[0]]
                row["sbs_raw"] = sign * raw.loc[d, sbs]
                row["oracle_raw"] = sign * raw.loc[d].max()
                for k in RACE_KS:
                    head = order[:k]
                    chosen = pick.loc[d, head].fillna(-np.inf).to_numpy().argmax()
                    row[f"raced@{k}"] = sign * report.loc[d, head[chosen]]
                row["sbs_report"] = sign * report.loc[d, sbs]
                row["oracle_report"] = sign * report.loc[d].max()
                rows.append(row)
        if progress:
            progress(done, len(groups), ", ".join(group))
    return pd.DataFrame(rows)


def family_groups(families: list[str], folds: int | None) -> list[set[str]]:
    """One family per group, or the families dealt to ``folds`` groups (seeded shuffle)."""
    if folds is None or folds >= len(families):
        return [{f} for f in families]
    order = np.random.default_rng(0).permutation(len(families))
    return [{families[i] for i in order[k::folds]} for k in range(folds)]


def raw_filled(meta: MetaDataset, metric: str) -> pd.DataFrame:
    """Raw scores, sign-adjusted so larger is better, failed units at the dataset's worst
    (``MetaDataset.filled_scores`` at the largest common size)."""
    return meta.filled_scores(metric)


def race_scores(
    meta: MetaDataset, metric: str, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick and report scores, shape (n_datasets, n_configs) each, larger is better
    (failed units at the dataset's worst); see the module docstring."""
    perf = meta.performance[meta.performance["metric"] == metric]
    common = meta.common_rows()
    perf = perf[perf["rows"].to_numpy() == perf["dataset"].map(common).to_numpy()]
    sign = 1.0 if meta.maximize.get(metric, True) else -1.0
    if perf["part"].nunique() >= 2:
        first = perf[perf["part"] == perf["part"].min()]
        rest = perf[perf["part"] != perf["part"].min()]
        pick = first.pivot_table(index="dataset", columns="config_id", values="value")
        report = rest.pivot_table(index="dataset", columns="config_id", values="value")
        pick, report = (
            (sign * t).reindex(index=meta.dataset_names, columns=meta.config_ids)
            for t in (pick, report)
        )
        return _fill(pick), _fill(report)
    report = raw_filled(meta, metric)
    if "NumberOfInstances" in meta.metafeatures:
        instances = meta.metafeatures["NumberOfInstances"].reindex(report.index)
    else:
        instances = pd.Series(DEFAULT_INSTANCES, index=report.index, dtype=float)
    n = instances.fillna(DEFAULT_INSTANCES).clip(lower=10).to_numpy(dtype=float)
    s = np.clip(report.to_numpy(), 0.0, 1.0)
    sd = np.sqrt(s * (1 - s) / (HOLDOUT_SHARE * n.reshape(-1, 1)))
    rng = np.random.default_rng(random_state)
    pick = report + rng.normal(size=report.shape) * sd
    return pick, report


def _fill(table: pd.DataFrame) -> pd.DataFrame:
    return table.apply(lambda row: row.fillna(row.min()), axis=1)


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
        regret@k, ndcg@5 and raced@k, plus ``gap closed`` and ``gap closed raced@k``
        (after racing k: raced@k against the single best's and the oracle's report
        scores), each with its interval, and ``raw@1``.
    """
    rng = np.random.default_rng(random_state)
    raced = [f"raced@{k}" for k in RACE_KS if f"raced@{k}" in results]
    extra = ["sbs_report", "oracle_report"] if raced else []
    columns = [f"regret@{k}" for k in KS] + ["ndcg@5", *raced, "raw@1", *extra, "sbs_raw",
                                             "oracle_raw"]  # fmt: skip
    out = {}
    for name, group in results.groupby("selector", sort=False):
        # Per family: sums of each column and the number of datasets.
        sums = group.groupby("family", sort=False)[columns].sum()
        counts = group.groupby("family", sort=False).size().to_numpy()
        draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
        boot_n = counts[draws].sum(axis=1)
        boot = {c: sums[c].to_numpy()[draws].sum(axis=1) / boot_n for c in columns}
        row: dict[str, float] = {}
        for col in [c for c in columns if c not in ("sbs_raw", "oracle_raw", *extra)]:
            row[col] = float(group[col].mean())
            row[f"{col} lo"], row[f"{col} hi"] = np.quantile(boot[col], [0.025, 0.975]).tolist()
        gaps_of = {"gap closed": ("raw@1", "sbs_raw", "oracle_raw")}
        gaps_of |= {f"gap closed {c}": (c, "sbs_report", "oracle_report") for c in raced}
        for label, (sel_col, sbs_col, orc_col) in gaps_of.items():
            row[label] = gap_closed(*(float(group[c].mean()) for c in (sel_col, sbs_col, orc_col)))
            gaps = [gap_closed(a, b, c) for a, b, c in
                    zip(boot[sel_col], boot[sbs_col], boot[orc_col], strict=True)]  # fmt: skip
            row[f"{label} lo"], row[f"{label} hi"] = np.nanquantile(gaps, [0.025, 0.975]).tolist()
        out[name] = row
    return pd.DataFrame(out).T


def gap_closed(selected: float, sbs: float, oracle: float) -> float:
    """Share of the single best's gap to the oracle that ``selected`` closes (mean scores;
    NaN when the single best is the oracle)."""
    return float((selected - sbs) / (oracle - sbs)) if oracle > sbs else float("nan")
