"""Selectors: rank learner configurations for a dataset from its meta-features.

``MetaModel`` (torch) is imported on first use so that ``import autometa`` stays light.
"""

from __future__ import annotations

from typing import Any

from autometa.selectors.base import BaseSelector, Ranker, Selector
from autometa.selectors.baselines import (
    AveragePortfolio,
    FlamlNN,
    KNNSelector,
    RandomSelector,
    SingleBest,
)

__all__ = [
    "AveragePortfolio",
    "BaseSelector",
    "Explanation",
    "FlamlNN",
    "KNNSelector",
    "MetaModel",
    "RandomSelector",
    "Ranker",
    "Selector",
    "SingleBest",
]


def __getattr__(name: str) -> Any:
    if name == "Explanation":
        from autometa.selectors.explanation import Explanation

        return Explanation
    if name == "MetaModel":
        from autometa.selectors import metamodel

        return getattr(metamodel, name)
    raise AttributeError(f"module 'autometa.selectors' has no attribute '{name}'")
