"""Successive halving over brackets of the proposed configurations.

The first bracket holds the top ``top_k`` proposed configurations plus ``n_portfolio``
from the dataset-independent portfolio (a safety net when the proposed order is wrong); each
later bracket holds the next ``top_k + n_portfolio`` configurations of the ranking. Within
a bracket, every configuration is cross-validated on a stratified subsample; the best
``1 / eta`` move on to a sample ``eta`` times larger, up to all rows (``racing`` runs them).

With ``SearchSettings.curve_halving``, the promotion is informed by learning curves: each
configuration's score on the rung is corrected by the predicted change (``inputs.CurvePredictor``) from
the rung's size to all rows (:func:`promotion_scores`), so that a kernel SVM or an MLP
that lags on a small sample but is predicted to overtake at full size can still move on,
and one that leads only on small samples does not take its place.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from autometa.search.inputs import Proposals
from autometa.table.sampling import stratified_subsample

__all__ = ["MAX_FIRST_ROWS", "brackets", "promotion_scores", "rungs"]

#: The largest first rung, or None: at most three rungs (the default). A number gives a
#: table of more than ``eta**2`` times it more rungs below, until the first has at most
#: that many rows. 10,000 was tried as the default and lost by the rule of
#: ``benchmarks/big_tables.py`` (results/big_tables.md: 9 of 12 runs within budget + 10 %
#: against 11 without it); that benchmark keeps it as an ablation.
MAX_FIRST_ROWS: int | None = None


def rungs(
    strata: np.ndarray, eta: int, min_rows: int, cv: int, random_state: int
) -> list[np.ndarray]:
    """Row positions of each rung, each ``eta`` times the last, ending with all rows: three
    (tables of at most ``eta * min_rows`` rows have one, of at most ``eta**2 * min_rows``
    two); with ``MAX_FIRST_ROWS`` set, a big table gets as many more below as it takes to
    bring the first down to it (a 750,000-row table with 10,000: 9,259 rows up to all rows
    in five rungs, where three begin at 83,333 rows). Samples are stratified by ``strata``
    (``Task.strata``: the classes, or bins of a regression target)."""
    n = len(strata)
    sizes = [n]
    first = math.inf if MAX_FIRST_ROWS is None else MAX_FIRST_ROWS
    while sizes[0] / eta >= min_rows and (len(sizes) < 3 or sizes[0] > first):
        sizes.insert(0, int(sizes[0] / eta))
    return [
        np.arange(n) if s == n else stratified_subsample(strata, s, random_state, cv) for s in sizes
    ]


def brackets(proposals: Proposals, top_k: int, n_portfolio: int) -> list[list[str]]:
    """The ranking cut into brackets; the first also takes the portfolio's head."""
    ranking = list(proposals.ranking)
    first = ranking[:top_k]
    first += [c for c in proposals.portfolio if c not in first][:n_portfolio]
    rest = [c for c in ranking if c not in first]
    size = top_k + n_portfolio
    return [first] + [rest[i : i + size] for i in range(0, len(rest), size)]


def promotion_scores(
    observed: dict[str, float], at_rung: pd.Series, at_full: pd.Series
) -> dict[str, float]:
    """The scores to promote by: each observed score plus the predicted change of the
    configuration's score from the rung's size to all rows.

    Parameters
    ----------
    observed : dict
        config_id -> its CV score on the rung (larger is better).
    at_rung, at_full : Series
        config_id -> the predicted score at the rung's size and at all rows
        (``inputs.CurvePredictor.scores_at``). They are standardised across configurations (a
        dataset's mean 0, spread 1), so the predicted change is scaled by the spread of
        the observed scores; with fewer than two scores, or no spread, the observed ones
        are returned.

    Returns
    -------
    dict
        config_id -> corrected score (a configuration the model does not know keeps its own).
    """
    values = np.array(list(observed.values()), dtype=float)
    spread = float(values.std()) if len(values) > 1 else 0.0
    if spread <= 0.0:
        return dict(observed)
    out = {}
    for config, score in observed.items():
        change = float(at_full.get(config, np.nan) - at_rung.get(config, np.nan))
        out[config] = score + spread * change if np.isfinite(change) else score
    return out
