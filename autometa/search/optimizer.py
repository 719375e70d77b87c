"""The optimizer past the grid: new points in the continuous spaces of the best families.

The meta-dataset's grid is a set of points (C in powers of ten, a few boosting settings);
where the best model needs C = 1e5 or 300 boosting iterations, the grid cannot reach it.
Once the ranking's head is raced, ``racing`` fills every other bracket with an optimizer's
proposals instead of the ranking's next configurations, and the brackets run and promote
them like any others. A proposal is a configuration of one of the ``N_FAMILIES`` best
families so far (``records.ranked``), made from that family's best configuration (its
grid root keeps the parameters that are not numbers, e.g. ``class_weight``) with new
values of the family's tunable parameters (``space.ranges.TUNABLE``, on a log scale); its
id names the root and the moved values (``learners.off_grid``: ``lr_05[C=3.16e+04]``), so
``get_config`` reads it back and a model file keeps it.

The proposers see only the records the race passes them (those of the brackets that had
ended two brackets earlier), so with ``max_configs`` and a seed they propose the same
points for any number of workers. Two proposers (``SearchSettings.optimizer``):

- ``"tpe"``: Optuna's tree-structured Parzen estimator (Bergstra et al., NeurIPS 2011)
  through its ask-and-tell interface; every evaluation so far of the searched families is
  told to it first (on the largest rung with ``MIN_OBSERVED`` successes, as BOHB does), so
  the ranking's evaluations are its prior. autometa keeps the budget, the rungs and the
  time limits; Optuna only proposes.
- ``"flow2"``: the randomized local search of FLAML's CFO (FLOW2, Wu et al., AAAI 2021):
  around each searched family's best configuration, a random unit direction ``u`` in the
  space scaled to [0, 1] per parameter (log scale), the points ``x + step u`` and
  ``x - step u``; a centre that did not improve since the last optimizer bracket halves
  its step (down to ``MIN_STEP``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autometa.search.records import Record, Status, ranked
from autometa.space.learners import (
    FAMILIES,
    TUNABLE,
    LearnerConfig,
    get_config,
    off_grid,
    root_id,
)
from autometa.space.ranges import COST_PARAMS, integer

__all__ = ["MIN_OBSERVED", "N_FAMILIES", "OPTIMIZERS", "Proposal", "Proposer", "make_proposer"]

OPTIMIZERS = ("local", "tpe", "flow2")  # "local": the neighbour steps of ``local.py``
N_FAMILIES = 3  # the best families searched past the grid
MIN_OBSERVED = 6  # successes a rung needs for the TPE to learn from it
FIRST_STEP = 0.1  # FLOW2's initial step, times the square root of the dimension
MIN_STEP = 0.01


@dataclass(frozen=True)
class Proposal:
    """A new configuration, the configuration its cost is predicted from, and the ratio
    of its cost to that one's (the ratio of the parameters in ``COST_PARAMS``)."""

    config: LearnerConfig
    parent: str
    cost: float


@dataclass(frozen=True)
class _Space:
    """One family's searched space: the root its proposals keep, and per tunable
    parameter (low, high, integer)."""

    family: str
    root: LearnerConfig
    ranges: dict[str, tuple[float, float, bool]]


def _spaces(records: Sequence[Record]) -> list[tuple[_Space, Record]]:
    """The ``N_FAMILIES`` best families with a tunable parameter, each with its best
    record (the claims of ``records.ranked``, best first)."""
    out: list[tuple[_Space, Record]] = []
    for claim in ranked(list(records)):
        if len(out) == N_FAMILIES:
            break
        if claim.status != Status.OK or any(s.family == claim.family for s, _ in out):
            continue
        tunable = TUNABLE.get(claim.family, {})
        if not tunable:
            continue
        ranges = {
            name: (low, high, integer(claim.family, name)) for name, (low, high) in tunable.items()
        }
        root = get_config(root_id(claim.config_id))
        out.append((_Space(claim.family, root, ranges), claim))
    return out


def _numbers(config: LearnerConfig, space: _Space) -> dict[str, float]:
    """The configuration's values of the space's parameters that are numbers (0, e.g.
    HistGradientBoosting's l2_regularization, read as the range's low), clipped to the
    ranges; the others (None, "sqrt") are left out."""
    defaults = FAMILIES[config.family].estimator().get_params()
    out = {}
    for name, (low, high, _) in space.ranges.items():
        value = config.params.get(name, defaults[name])
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            continue
        out[name] = float(min(max(value, low), high))
    return out


def _proposal(space: _Space, values: dict[str, float]) -> Proposal:
    """The configuration of ``space``'s root with ``values`` (integers rounded)."""
    params = dict(space.root.params)
    old = _numbers(space.root, space)
    ratio = 1.0
    for name, value in values.items():
        integer = space.ranges[name][2]
        params[name] = round(value) if integer else float(value)
        if name in COST_PARAMS and name in old:
            ratio *= value / old[name]
    return Proposal(off_grid(space.root, params), space.root.config_id, float(ratio))


class Proposer:
    """Proposes configurations past the grid from the records it is shown."""

    def propose(
        self,
        records: Sequence[Record],
        n: int,
        seed: int,
        taken: Set[tuple[str, str]] = frozenset(),
    ) -> list[Proposal]:
        """At most ``n`` configurations neither in ``records`` nor ``taken`` (points as
        (family, params JSON)); none when nothing has succeeded."""
        raise NotImplementedError


def _tried(records: Sequence[Record], taken: Set[tuple[str, str]]) -> set[tuple[str, str]]:
    # By family and params: lr_04[C=31.6] and lr_05[C=31.6] are one point.
    return {(r.family, r.params) for r in records} | set(taken)


class TPE(Proposer):
    """Optuna's TPE sampler, told every success of the searched families (see the module
    docstring), asked for ``n`` points with the constant liar so that one batch spreads."""

    def propose(
        self,
        records: Sequence[Record],
        n: int,
        seed: int,
        taken: Set[tuple[str, str]] = frozenset(),
    ) -> list[Proposal]:
        import optuna  # imported on first use: a search that never gets here does not pay

        spaces = dict((s.family, s) for s, _ in _spaces(records))
        if not spaces:
            return []
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        families = sorted(spaces)
        choice = optuna.distributions.CategoricalDistribution(families)
        with warnings.catch_warnings():  # multivariate and group are "experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=0, multivariate=True, group=True, constant_liar=True
            )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        for record in _observed(records, spaces):
            space = spaces[record.family]
            values = _numbers(get_config(record.config_id), space)
            params: dict[str, Any] = {"family": record.family}
            dists: dict[str, Any] = {"family": choice}
            for name, value in values.items():
                low, high, integer = space.ranges[name]
                key = f"{record.family}:{name}"
                params[key] = round(value) if integer else value
                dists[key] = (
                    optuna.distributions.IntDistribution(int(low), int(high), log=True)
                    if integer
                    else optuna.distributions.FloatDistribution(low, high, log=True)
                )
            study.add_trial(
                optuna.trial.create_trial(params=params, distributions=dists, value=record.score)
            )
        tried, out = _tried(records, taken), list[Proposal]()
        for _ in range(4 * n):  # a duplicate is asked again, a few times at most
            if len(out) == n:
                break
            trial = study.ask()
            family = str(trial.suggest_categorical("family", families))
            values = {}
            for name, (low, high, integer) in spaces[family].ranges.items():
                key = f"{family}:{name}"
                values[name] = float(
                    trial.suggest_int(key, int(low), int(high), log=True)
                    if integer
                    else trial.suggest_float(key, low, high, log=True)
                )
            proposal = _proposal(spaces[family], values)
            point = (proposal.config.family, proposal.config.params_json)
            if point not in tried:
                tried.add(point)
                out.append(proposal)
        return out


def _observed(records: Sequence[Record], spaces: dict[str, _Space]) -> list[Record]:
    """The successes of the searched families on the largest rung with at least
    ``MIN_OBSERVED`` successes (any family): scores of one rung are comparable."""
    ok = [r for r in records if r.status == Status.OK]
    counts: dict[int, int] = {}
    for r in ok:
        counts[r.rung] = counts.get(r.rung, 0) + 1
    rung = max((g for g, c in counts.items() if c >= MIN_OBSERVED), default=0)
    return [r for r in ok if r.rung == rung and r.family in spaces]


@dataclass
class Flow2(Proposer):
    """FLOW2's steps around each searched family's best configuration (see the module
    docstring). Its steps depend on the order it is called in, which the race fixes."""

    steps: dict[str, float] = field(default_factory=dict)  # family -> step
    centres: dict[str, str] = field(default_factory=dict)  # family -> last centre's id

    def propose(
        self,
        records: Sequence[Record],
        n: int,
        seed: int,
        taken: Set[tuple[str, str]] = frozenset(),
    ) -> list[Proposal]:
        found = _spaces(records)
        rng = np.random.default_rng(seed)
        moves: list[tuple[_Space, dict[str, float], float, np.ndarray]] = []
        for space, best in found:
            centre = _numbers(get_config(best.config_id), space)
            if not centre:
                continue
            step = self.steps.get(space.family, FIRST_STEP * math.sqrt(len(centre)))
            if self.centres.get(space.family) == best.config_id:
                step = max(step / 2, MIN_STEP)  # no better point around it last time
            self.steps[space.family], self.centres[space.family] = step, best.config_id
            z = np.array([_scaled(space, k, v) for k, v in centre.items()])
            moves.append((space, centre, step, z))
        tried, out = _tried(records, taken), list[Proposal]()
        for i in range(4 * n):  # each direction gives two points; duplicates are dropped
            if len(out) == n or not moves:
                break
            space, centre, step, z = moves[(i // 2) % len(moves)]
            if i % 2 == 0:
                u = rng.standard_normal(len(z))
                u /= np.linalg.norm(u) or 1.0
            point = np.clip(z + (step if i % 2 == 0 else -step) * u, 0.0, 1.0)
            values = {k: _unscaled(space, k, x) for k, x in zip(centre, point, strict=True)}
            proposal = _proposal(space, values)
            key = (proposal.config.family, proposal.config.params_json)
            if key not in tried:
                tried.add(key)
                out.append(proposal)
        return out


def _scaled(space: _Space, name: str, value: float) -> float:
    low, high, _ = space.ranges[name]
    return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))


def _unscaled(space: _Space, name: str, x: float) -> float:
    low, high, _ = space.ranges[name]
    return float(math.exp(math.log(low) + x * (math.log(high) - math.log(low))))


def make_proposer(name: str) -> Proposer | None:
    """The proposer named by ``SearchSettings.optimizer`` (checked there); None for
    "local" (the neighbour steps of ``local.py``, once the ranking is raced)."""
    return {"tpe": TPE(), "flow2": Flow2(), "local": None}[name]
