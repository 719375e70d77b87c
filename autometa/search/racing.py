"""The race: the brackets of successive halving kept running on every worker.

A bracket's configurations are evaluated on its first rung; when the last of them has
ended, the best ``1 / eta`` (``halving.promotion_scores`` with curve halving) move on to
the next rung. A free worker never waits for a rung to fill: it takes the next job, in this
order of priority:

1. the next promotion of the earliest open bracket (its rung has ended);
2. the next configuration of the earliest open bracket's current rung;
3. the first configuration of a new bracket (while ``max_configs`` allows): the
   ranking's next, or with an optimizer (``SearchSettings.optimizer``, ``optimizer.py``)
   from the third bracket on every other bracket is the optimizer's proposals, and all of
   them once the ranking is raced. The optimizer sees the records of the brackets up to two
   before the new one, and a free worker waits until those have ended (one worker never
   waits), so what it proposes does not depend on timing.

With one worker this is successive halving bracket after bracket. With ``n`` workers the
later brackets start while an earlier one waits for its rung's last evaluation; as in
asynchronous successive halving (Li et al., MLSys 2020) nobody idles, but unlike it a
promotion waits for its whole rung, so the promoted configurations, and with
``max_configs`` the whole set of evaluations and the winner, are the same for any number of
workers (``Record.key`` gives each evaluation its place in the plan: bracket, rung,
position). Without ``max_configs`` the budget decides where the race stops, and what was
evaluated by then depends on timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autometa.search.halving import brackets, promotion_scores
from autometa.search.local import local_search
from autometa.search.optimizer import Proposer, make_proposer
from autometa.search.records import Record, Status
from autometa.search.state import MIN_SECONDS, State, finish, plan
from autometa.space.learners import get_config

__all__ = ["race"]


@dataclass
class _Bracket:
    """One bracket's progress: the configurations still to start on its current rung, the
    evaluations of that rung still running, and the scores of those that ended ok."""

    index: int
    queue: list[str]
    members: tuple[str, ...] = ()  # the configurations it opened with
    rung: int = 0
    position: int = 0  # of the next job on the rung
    running: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    done: bool = False


@dataclass
class _Plan:
    """The brackets still to open: the ranking's, and the optimizer's (None: none)."""

    ranking: list[list[str]]
    proposer: Proposer | None
    size: int  # configurations of an optimizer's bracket
    used: int = 0  # ranking brackets opened


def race(state: State, samples: list[np.ndarray]) -> None:
    """The brackets of the ranking and of the optimizer, then (with the "local" optimizer)
    the local search, until the budget (or ``max_configs``) is spent."""
    s = state.settings
    executor = state.executor
    assert executor is not None
    limit = s.max_configs if s.max_configs is not None else math.inf
    proposer = make_proposer(s.optimizer) if s.local_search else None
    planned = _Plan(
        brackets(state.proposals, s.top_k, s.n_portfolio), proposer, s.top_k + s.n_portfolio
    )
    open_: list[_Bracket] = []
    started = 0  # configurations started on a first rung (skips do not count)
    running: dict[tuple[int, ...], tuple[Record, _Bracket]] = {}
    while True:
        while executor.running() < executor.capacity:
            picked = _next(state, open_, samples)
            if picked is None and started < limit:
                picked = _open(state, open_, planned, samples, limit - started)
            if picked is None:
                break
            bracket, config = picked
            key = (0, bracket.index, bracket.rung, bracket.position)
            bracket.position += 1
            record, job = plan(state, config, bracket.rung, samples[bracket.rung], key)
            if job is None:
                continue
            started += bracket.rung == 0
            bracket.running += 1
            running[key] = (record, bracket)
            executor.submit(job)
        if not executor.running():
            break
        for outcome in executor.wait():
            record, bracket = running.pop(outcome.job.key)
            finish(state, record, outcome)
            bracket.running -= 1
            if record.status == Status.OK:
                bracket.scores[record.config_id] = record.score
    # Only once the ranking is exhausted: a trial that gave local search as much time as
    # each bracket took spent it around an early, slow incumbent (Hill_Valley: random
    # forests) instead of reaching the cheap linear models further down the ranking.
    if proposer is None:
        local_search(state, samples, (limit if s.local_search else 0) - started)


def _stopped(state: State) -> bool:
    """No time is left for another evaluation (once something was tried)."""
    return state.spare() < MIN_SECONDS and bool(state.records)


def _next(
    state: State, open_: list[_Bracket], samples: list[np.ndarray]
) -> tuple[_Bracket, str] | None:
    """The next job of the open brackets, earliest first (see the module docstring)."""
    if _stopped(state):
        return None
    for bracket in open_:
        if bracket.done:
            continue
        if not bracket.queue and not bracket.running:
            _promote(state, bracket, samples)
        if bracket.queue:
            return bracket, bracket.queue.pop(0)
    return None


def _open(
    state: State,
    open_: list[_Bracket],
    planned: _Plan,
    samples: list[np.ndarray],
    room: float,
) -> tuple[_Bracket, str] | None:
    """Open the next bracket (at most ``room`` of its configurations) and take its first;
    none when no time is left (even before anything was tried: a spent budget goes to the
    fallback), when nothing is left to open, or while the optimizer waits for the brackets
    it may see."""
    if state.spare() < MIN_SECONDS:
        return None
    index, cap = len(open_), None if math.isinf(room) else int(room)
    ranking_left = planned.used < len(planned.ranking)
    configs: list[str] = []
    if planned.proposer is not None and index >= 2 and (index % 2 == 0 or not ranking_left):
        seen = index - 2  # the brackets it sees: up to this one, all ended
        if not all(b.done for b in open_[: seen + 1]):
            return None
        # In the plan's order: the order they ended in depends on timing.
        visible = sorted(
            (r for r in state.records if r.key[0] == 0 and r.key[1] <= seen), key=lambda r: r.key
        )
        seed = int(np.random.default_rng([state.settings.random_state, index]).integers(2**31))
        # Nor a point an open bracket holds already (by family and params, as it sees them).
        opened = [get_config(c) for b in open_ for c in b.members]
        taken = {(c.family, c.params_json) for c in opened}
        n = min(planned.size, cap or planned.size)
        for p in planned.proposer.propose(visible, n, seed, taken):
            if p.config.config_id != p.parent:
                state.cost.parents[p.config.config_id] = (p.parent, p.cost)
            configs.append(p.config.config_id)
    if not configs:
        if not ranking_left:
            return None
        configs = planned.ranking[planned.used][:cap]
        planned.used += 1
    if not state.any_ok():
        # Nothing fitted yet: what is predicted to fit first (in ranking order), then the
        # rest from the cheapest, so that the one forced evaluation is cheap.
        n, rows = len(state.task.y), len(samples[0])
        cost = {c: state.cost.eval_seconds(c, rows) + state.cost.fit_seconds(c, n) for c in configs}
        fits = [c for c in configs if cost[c] <= state.left()]
        configs = fits + sorted((c for c in configs if c not in fits), key=cost.__getitem__)
    bracket = _Bracket(len(open_), configs, tuple(configs))
    open_.append(bracket)
    return _next(state, open_, samples)


def _promote(state: State, bracket: _Bracket, samples: list[np.ndarray]) -> None:
    """The bracket's rung has ended: queue the best ``1 / eta`` on the next rung, or close
    the bracket (last rung, or nothing ended ok)."""
    scores = bracket.scores
    if not scores or bracket.rung == len(samples) - 1:
        bracket.done = True
        return
    keep = max(1, math.ceil(len(scores) / state.settings.eta))
    if state.settings.curve_halving:
        at_rung = state.predicted_scores(len(samples[bracket.rung]))
        at_full = state.predicted_scores(len(samples[-1]))
        if at_rung is not None and at_full is not None:
            scores = promotion_scores(scores, at_rung, at_full)
    bracket.queue = sorted(scores, key=lambda c: -scores[c])[:keep]
    bracket.rung += 1
    bracket.position = 0
    bracket.scores = {}
