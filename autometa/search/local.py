"""Local search off the grid once the ranking is raced.

The grid of the meta-dataset is coarse (e.g. C in powers of ten), so when the whole
ranking has been raced and time is left, the search steps off the grid around the best
configurations: a random untried neighbour (one tunable parameter up or down by half a
decade, see ``learners.neighbours``) of the best of the top ``N_CENTRES`` that has one,
cross-validated on the same rung as its centre. A better neighbour becomes the next
centre. It ends with the budget or when the top three have no untried neighbour.
"""

from __future__ import annotations

import itertools

import numpy as np

from autometa.search.records import Status, ranked
from autometa.search.state import MIN_SECONDS, State, evaluate
from autometa.space.learners import LearnerConfig, get_config, neighbours

__all__ = ["N_CENTRES", "local_search"]

N_CENTRES = 3


def local_search(state: State, samples: list[np.ndarray], limit: float) -> int:
    """Evaluate untried neighbours of the best configurations while time is left.

    Returns how many were evaluated (skipped ones do not count).
    """
    evaluated = 0
    rng = np.random.default_rng([state.settings.random_state, len(state.records)])
    for step in itertools.count():
        if evaluated >= limit or state.spare() < MIN_SECONDS:
            break
        # By family and params: lr_04[C=31.6] and lr_05[C=31.6] are one point.
        tried = {(r.family, r.params) for r in state.records}
        options: list[tuple[LearnerConfig, float]] = []
        for centre in ranked(state.records)[:N_CENTRES]:
            options = [
                (c, cost)
                for c, cost in neighbours(get_config(centre.config_id))
                if (c.family, c.params_json) not in tried
            ]
            if options:
                break
        if not options:
            break
        config, cost = options[int(rng.integers(len(options)))]
        state.cost.parents[config.config_id] = (centre.config_id, cost)
        rows = samples[centre.rung]
        record = evaluate(state, config.config_id, centre.rung, rows, (1, step))
        evaluated += record.status != Status.SKIPPED
    return evaluated
