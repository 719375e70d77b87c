"""Selectors: rank learner configurations for a dataset from its meta-features.

``MetaModel`` (torch) is imported on first use so that ``import autometa`` stays light;
:func:`metamodel_class` is that first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autometa.interrupts import deferred_interrupts
from autometa.selectors.base import BaseSelector, Ranker, Selector
from autometa.selectors.baselines import (
    AveragePortfolio,
    FlamlNN,
    KNNSelector,
    RandomSelector,
    SingleBest,
)
from autometa.selectors.feature_selection import ForwardKNN

if TYPE_CHECKING:
    from autometa.selectors.metamodel import MetaModel

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
    "metamodel_class",
    "roster",
]


def metamodel_class() -> type[MetaModel]:
    """The MetaModel class, imported on first use. Its module imports torch, a second that
    a Ctrl-C must not cut: one during it is raised when the import has ended
    (``autometa/interrupts.py`` says why)."""
    with deferred_interrupts():
        from autometa.selectors.metamodel import MetaModel
    return MetaModel


def roster(random_state: int = 0) -> dict[str, Callable[[], Selector]]:
    """The selectors every evaluation compares (the CLI's ``evaluate``, the benchmarks), by
    display name: factories of fresh, seeded instances."""
    MetaModel = metamodel_class()

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
        return metamodel_class()
    raise AttributeError(f"module 'autometa.selectors' has no attribute '{name}'")
