"""What the search knows: one typed record per evaluation, the order that decides the
incumbent and the leaderboard, and the trajectory (the incumbent after each record)."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import asdict, dataclass, fields

import pandas as pd

from autometa.exceptions import AutometaError

__all__ = [
    "Record",
    "SearchError",
    "Status",
    "best_so_far",
    "incumbent",
    "latest",
    "leaderboard",
    "ranked",
    "trajectory",
]


class SearchError(AutometaError):
    """No configuration could be fitted on the data."""


class Status(str, enum.Enum):
    """What became of one record. A ``str`` enum: leaderboards and JSON hold the value."""

    OK = "ok"  # evaluated; its score counts
    TIMEOUT = "timeout"  # stopped at the time left
    ERROR = "error"  # the learner raised
    LOST = "lost"  # its worker process died (killed by the system, a crash): this one only
    SKIPPED = "skipped"  # predicted not to fit the time left; not run
    REFIT_ERROR = "refit_error"  # a final fit (or an ensemble member's) that failed
    FALLBACK = "fallback"  # nothing evaluated in time: this model fitted without validation
    FALLBACK_ERROR = "fallback_error"  # a fallback fit that failed

    def __str__(self) -> str:
        return self.value


@dataclass
class Record:
    """One evaluation (or skip) of one configuration on one rung.

    Attributes
    ----------
    order : int
        Position in the search (0 = first added): the trajectory's order. With several
        workers, records are added as evaluations end, which depends on timing.
    score : float
        Mean CV value of the metric, larger is better (a loss is negated); NaN unless ok.
    status : Status
        OK, TIMEOUT, ERROR, LOST or SKIPPED for evaluations; REFIT_ERROR for a final fit that
        failed; FALLBACK (and FALLBACK_ERROR) for the unvalidated fit made when nothing
        could be evaluated within the budget.
    started, finished : float
        Seconds from the search's start to the start and the end of the record.
    incumbent, incumbent_score : str, float
        The incumbent once this record was added (:func:`best_so_far`; "" and NaN before
        any success), set by the search as it adds the record: the trajectory.
    key : tuple of int
        The evaluation's place in the search's plan, the same for any number of workers
        (``racing``: bracket, rung, position; then the local search's steps): breaks ties
        deterministically. One worker evaluates in this order.
    """

    order: int
    config_id: str
    family: str
    params: str
    rank: int
    rung: int
    n_rows: int
    score: float = float("nan")
    score_std: float = float("nan")
    fit_seconds: float = float("nan")
    seconds: float = 0.0
    status: Status = Status.OK
    message: str = ""
    finished: float = float("nan")
    started: float = float("nan")
    incumbent: str = ""
    incumbent_score: float = float("nan")
    key: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # its text is accepted too ("ok")


#: The leaderboard's columns: a record's fields but its position and its trajectory fields.
BOARD_COLUMNS = [
    f.name
    for f in fields(Record)
    if f.name not in ("order", "started", "incumbent", "incumbent_score", "key")
]


def latest(records: list[Record]) -> dict[str, Record]:
    """Each configuration that still has a claim: its successful record on the largest rung
    it tried. A configuration whose largest attempt failed or timed out has none (its
    smaller-sample score is not evidence at the size it could not handle)."""
    tried: dict[str, Record] = {}
    for r in records:
        if r.status != Status.SKIPPED and (
            r.config_id not in tried or r.rung > tried[r.config_id].rung
        ):
            tried[r.config_id] = r
    return {c: r for c, r in tried.items() if r.status == Status.OK}


def ranked(records: list[Record]) -> list[Record]:
    """Each configuration's claim (see :func:`latest`), in leaderboard order.

    Decisions on equal footing: configurations are compared on the same rows. The rows are
    those of the *common rung*, the largest rung on which at least two configurations with
    a claim were evaluated: those configurations come first, by their score there; the
    others follow by the largest rung they reached, then by score, so a score on a smaller
    sample (noisier, often inflated by the luck of the draw) never outranks one on more
    rows. A configuration alone on a larger rung is ranked by its score on the common rung:
    a cheap model that a later bracket carried to all rows while the better ones ran out of
    time there does not win by being alone (a linear model over a forest that beat it on
    the rung below). Ties go to the one that reached the larger rung, then to the record
    first in the search's plan (``Record.key``; on a promoted rung: the one that did better
    on the smaller sample). Deterministic under a seed, unlike fit times, for any number of
    workers.
    """
    claims = latest(records)
    ok = {
        (r.config_id, r.rung): r for r in records if r.status == Status.OK and r.config_id in claims
    }
    per_rung = Counter(rung for _, rung in ok)
    common = max((rung for rung, n in per_rung.items() if n >= 2), default=0)

    def key(claim: Record) -> tuple[int, float, float, tuple[int, ...], int]:
        there = ok.get((claim.config_id, common))
        if there is not None:
            return (0, -there.score, -claim.rung, there.key, there.order)
        return (1, -claim.rung, -claim.score, claim.key, claim.order)

    return sorted(claims.values(), key=key)


def best_so_far(records: list[Record]) -> Record | None:
    """The current incumbent (see :func:`incumbent`), or None before any success."""
    best = ranked(records)
    return best[0] if best else None


def incumbent(records: list[Record]) -> Record:
    """The first of :func:`ranked`; no successful record is a :class:`SearchError` naming
    the first failures."""
    best = best_so_far(records)
    if best is None:
        reasons = "; ".join(f"{r.config_id}: {r.message}" for r in records[:5])
        raise SearchError(f"No configuration could be fitted within the budget ({reasons}).")
    return best


def leaderboard(records: list[Record]) -> pd.DataFrame:
    """Each configuration's final record in incumbent order (``final``), then the earlier
    rungs and the failures (best first, failures last). Columns: ``BOARD_COLUMNS``, then
    final; status as its text."""
    final = ranked(records)
    final_orders = {r.order for r in final}

    def frame(chosen: list[Record]) -> pd.DataFrame:
        rows = [{**asdict(r), "status": r.status.value} for r in chosen]
        return pd.DataFrame(rows, columns=[*BOARD_COLUMNS, "order"])

    # In the plan's order before sorting by score: ties stay where they were planned, for
    # any number of workers.
    rest = frame(sorted((r for r in records if r.order not in final_orders), key=_planned))
    if not rest.empty:
        rest = rest.sort_values(["score", "rung"], ascending=False, kind="stable")
    head = frame(final)
    parts = [f.assign(final=flag) for f, flag in ((head, True), (rest, False)) if not f.empty]
    board = pd.concat(parts) if parts else head.assign(final=True)
    return board.drop(columns="order").reset_index(drop=True)


def _planned(record: Record) -> tuple[tuple[int, ...], int]:
    return record.key, record.order


def trajectory(records: list[Record]) -> pd.DataFrame:
    """The search as it went: one row per record, in order, with the incumbent after it.

    Returns
    -------
    DataFrame, shape (n_records, 10)
        order, config_id, rung, n_rows, score, status (text), started, finished (seconds
        from the search's start), incumbent (config_id, or "" before any success) and
        incumbent_score (NaN before any success).
    """
    columns = ["order", "config_id", "rung", "n_rows", "score", "status", "started",
               "finished", "incumbent", "incumbent_score"]  # fmt: skip
    rows = [{**asdict(r), "status": r.status.value} for r in records]
    return pd.DataFrame(rows, columns=columns)
