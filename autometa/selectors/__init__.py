"""Selectors: rank learner configurations for a dataset from its meta-features.

``MetaModel`` (torch) is imported on first use so that ``import autometa`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autometa.selectors.base import BaseSelector, Ranker, Selector
from autometa.selectors.baselines import (
    AveragePortfolio,
    FlamlNN,
    KNNSelector,
    RandomSelector,
    SingleBest,
)
from autometa.selectors.feature_selection import ForwardKNN

__all__ = [
    "AveragePortfolio",
    "BaseSelector",
    "Explanation",
    "FlamlNN",
    "ForwardKNN",
    "KNNSelector",
    "MetaModel",
    "RandomSelector",
    "Ranker",
    "Selector",
    "SingleBest",
    "roster",
]


def roster(random_state: int = 0) -> dict[str, Callable[[], Selector]]:
    """The selectors every evaluation compares (the CLI's ``evaluate``, the benchmarks), by
    display name: factories of fresh, seeded instances."""
    from autometa.selectors.metamodel import MetaModel

    return {
        "Random": lambda: RandomSelector(random_state=random_state),
        "SingleBest": SingleBest,
        "AveragePortfolio": AveragePortfolio,
        "KNN (auto-sklearn 1.0, k=10)": KNNSelector,
        "FLAML-style 1-NN": FlamlNN,
        "KNN, forward-selected features": ForwardKNN,
        "MetaModel (torch)": lambda: MetaModel(random_state=random_state),
    }


def __getattr__(name: str) -> Any:
    if name == "Explanation":
        from autometa.selectors.explanation import Explanation

        return Explanation
    if name == "MetaModel":
        from autometa.selectors import metamodel

        return getattr(metamodel, name)
    raise AttributeError(f"module 'autometa.selectors' has no attribute '{name}'")
