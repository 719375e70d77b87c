"""Successive halving over brackets of the recommended configurations.

The first bracket holds the top ``top_k`` recommended configurations plus ``n_portfolio``
from the dataset-independent portfolio (a safety net when the meta-model is wrong); each
later bracket holds the next ``top_k + n_portfolio`` configurations of the ranking. Within
a bracket, every configuration is cross-validated on a stratified subsample; the best
``1 / eta`` move on to a sample ``eta`` times larger, up to all rows.
"""

from __future__ import annotations

import math

import numpy as np

from autometa.recommend import Recommendation
from autometa.search.state import MIN_SECONDS, State, evaluate
from autometa.tabular import stratified_subsample

__all__ = ["brackets", "run_bracket", "rungs"]


def rungs(
    strata: np.ndarray, eta: int, min_rows: int, cv: int, random_state: int
) -> list[np.ndarray]:
    """Row positions of each rung: up to three, each ``eta`` times the last, ending with
    all rows; tables of at most ``eta * min_rows`` rows have one rung. Samples are
    stratified by ``strata`` (``Task.strata``: the classes, or bins of a regression target)."""
    y = strata
    n = len(y)
    sizes = [n]
    while len(sizes) < 3 and sizes[0] / eta >= min_rows:
        sizes.insert(0, int(sizes[0] / eta))
    return [np.arange(n) if s == n else stratified_subsample(y, s, random_state, cv) for s in sizes]


def brackets(rec: Recommendation, top_k: int, n_portfolio: int) -> list[list[str]]:
    """The ranking cut into brackets; the first also takes the portfolio's head."""
    ranking = list(rec.ranking["config_id"])
    portfolio = rec.knowledge.portfolio if rec.knowledge is not None else []
    first = ranking[:top_k]
    first += [c for c in portfolio if c not in first][:n_portfolio]
    rest = [c for c in ranking if c not in first]
    size = top_k + n_portfolio
    return [first] + [rest[i : i + size] for i in range(0, len(rest), size)]


def run_bracket(state: State, bracket: list[str], samples: list[np.ndarray]) -> int:
    """Successive halving over the rungs; returns how many configurations were evaluated."""
    eta = state.settings.eta
    alive = list(bracket)
    evaluated = 0
    for rung, rows in enumerate(samples):
        scores: dict[str, float] = {}
        if not state.any_ok():
            # Nothing fitted yet: what is predicted to fit first (in ranking order), then
            # the rest from the cheapest, so that the one forced evaluation is cheap.
            n = len(state.task.y)
            cost = {
                c: state.cost.eval_seconds(c, len(rows)) + state.cost.fit_seconds(c, n)
                for c in alive
            }
            fits = [c for c in alive if cost[c] <= state.left()]
            alive = fits + sorted((c for c in alive if c not in fits), key=cost.__getitem__)
        for config in alive:
            if state.spare() < MIN_SECONDS and state.records:
                break
            record = evaluate(state, config, rung, rows)
            evaluated += rung == 0 and record.status != "skipped"
            if record.status == "ok":
                scores[config] = record.score
        if not scores or rung == len(samples) - 1:
            break
        keep = max(1, math.ceil(len(scores) / eta))
        alive = sorted(scores, key=lambda c: -scores[c])[:keep]
    return evaluated
