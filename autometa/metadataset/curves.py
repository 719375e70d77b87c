"""Where a learning curve is measured: the validation rows and the training sizes of a table.

The ladder of training sizes is 250, 1,000, 4,000 and 16,000 rows (``LADDER``). For a
table of ``n`` rows (after the row cap, see :func:`plan`):

- ``n >= CV_BELOW`` (1,500): **holdout**. A stratified quarter of the table, at most
  5,000 rows, is held out once, the same rows for every configuration, and split into
  three stratified *parts* scored separately (a selector can pick on one part and report
  on the others). The rest is the training pool; each rung trains on a stratified sample
  of the pool of the rung's size.
- ``n < CV_BELOW``: **cross-validation**. Three stratified folds; each fold's training
  rows are the pool, its test rows the one part; each rung trains on a stratified sample
  of the pool.

Rungs are the ladder sizes below 90 % of the (smallest) pool, then the pool itself
capped at the ladder's top (a table with a 3,000-row pool has rungs 250, 1,000, 3,000),
so every table has its full-size point. Training samples keep at least two rows of each
class. Everything is seeded by ``random_state``: the same table gives the same rows.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold

from autometa.table.sampling import stratified_subsample

__all__ = [
    "CV_BELOW", "LADDER", "MAX_HOLDOUT", "Plan", "plan", "pool_rows", "rungs_for",
    "validation_rows",
]  # fmt: skip

LADDER: tuple[int, ...] = (250, 1000, 4000, 16000)
CV_BELOW = 1500
FOLDS = 3
HOLDOUT_SHARE = 0.25
MAX_HOLDOUT = 5000
PARTS = 3
MIN_TRAIN_PER_CLASS = 2


@dataclass(frozen=True)
class Plan:
    """The validation design of one table.

    Attributes
    ----------
    validation : str
        "holdout" or "cv".
    splits : list of (pool, parts)
        One entry per holdout (one) or per fold (three): the training pool's row positions
        and the validation parts' row positions.
    rungs : tuple of int
        Training sizes, increasing.
    """

    validation: str
    splits: list[tuple[np.ndarray, list[np.ndarray]]]
    rungs: tuple[int, ...]
    random_state: int
    y: np.ndarray = field(repr=False)

    def train_rows(self, split: int, rung: int) -> np.ndarray:
        """Row positions of the training sample of ``rung`` rows in split ``split``."""
        pool, _ = self.splits[split]
        if rung >= len(pool):
            return pool
        seed = self.random_state * 1_000_003 + rung * 10 + split  # one sample per (rung, split)
        return pool[stratified_subsample(self.y[pool], rung, seed, MIN_TRAIN_PER_CLASS)]


def pool_rows(n: int) -> int:
    """The training pool of a table of ``n`` rows, as :func:`plan` makes it (for a
    cross-validated table, the smallest fold's training rows)."""
    if n < CV_BELOW:
        return n - math.ceil(n / FOLDS)
    return n - min(round(HOLDOUT_SHARE * n), MAX_HOLDOUT)


def validation_rows(n: int) -> int:
    """Rows one curve point of a table of ``n`` rows predicts (its ``predict_seconds``): the
    whole holdout, or for a cross-validated table one fold's test rows (the mean over folds
    is recorded)."""
    if n < CV_BELOW:
        return math.ceil(n / FOLDS)
    return min(round(HOLDOUT_SHARE * n), MAX_HOLDOUT)


def rungs_for(pool: int, ladder: tuple[int, ...] = LADDER) -> tuple[int, ...]:
    """Training sizes for a pool of ``pool`` rows (see the module docstring)."""
    top = min(pool, ladder[-1])
    sizes = [s for s in ladder if s < 0.9 * top]
    return (*sizes, top)


def plan(y: np.ndarray, random_state: int = 0, ladder: tuple[int, ...] = LADDER) -> Plan:
    """The validation rows and rungs of a table with labels ``y`` (shape (n_rows,)).

    Every class must have at least ``FOLDS`` rows (the builder drops rarer classes first).
    """
    y = np.asarray(y)
    n = len(y)
    splits: list[tuple[np.ndarray, list[np.ndarray]]] = []
    if n < CV_BELOW:
        cv = StratifiedKFold(FOLDS, shuffle=True, random_state=random_state)
        for train, test in cv.split(np.zeros(n), y):
            splits.append((train, [test]))
        validation = "cv"
    else:
        size = min(round(HOLDOUT_SHARE * n), MAX_HOLDOUT)
        held = stratified_subsample(y, size, random_state + 1, 1)
        pool = np.setdiff1d(np.arange(n), held)
        # Three stratified parts of the holdout: a fold split of the held rows (a class with
        # fewer held rows than parts is missing from some parts; scikit-learn warns).
        cv = StratifiedKFold(PARTS, shuffle=True, random_state=random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parts = [held[test] for _, test in cv.split(np.zeros(len(held)), y[held])]
        splits.append((pool, parts))
        validation = "holdout"
    smallest = min(len(pool) for pool, _ in splits)
    return Plan(validation, splits, rungs_for(smallest, ladder), random_state, y)
