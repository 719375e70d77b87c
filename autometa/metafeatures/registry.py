"""The explicit meta-feature registry: name, group, function, reference, when it is NaN,
and the task kinds (classification, regression) it is defined for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from autometa.metafeatures.pieces import Pieces

__all__ = ["BOTH", "CLASSIFICATION", "GROUPS", "REGRESSION", "MetaFeature", "summaries"]

GROUPS = ("simple", "statistical", "info", "landmarking", "complexity", "target")
CLASSIFICATION: tuple[str, ...] = ("classification",)
REGRESSION: tuple[str, ...] = ("regression",)
BOTH: tuple[str, ...] = ("classification", "regression")  # features that ignore the target


@dataclass(frozen=True)
class MetaFeature:
    """One named meta-feature.

    Attributes
    ----------
    name : str
        OpenML quality / auto-sklearn name where the meaning is the same.
    group : str
        One of GROUPS.
    fn : callable
        Pure function of the shared :class:`Pieces`, returning a float.
    reference : str
        Where the definition comes from.
    nan_when : str
        When the value is undefined (NaN); empty if it is always defined.
    tasks : tuple of str
        Task kinds the feature is computed for (class features: classification only).
    """

    name: str
    group: str
    fn: Callable[[Pieces], float]
    reference: str
    nan_when: str = ""
    tasks: tuple[str, ...] = CLASSIFICATION


SUMMARY_STATS: dict[str, Callable[[np.ndarray], float]] = {
    "Mean": lambda v: float(np.mean(v)),
    "Min": lambda v: float(np.min(v)),
    "Max": lambda v: float(np.max(v)),
    "Stdv": lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
    "Quartile1": lambda v: float(np.quantile(v, 0.25)),
    "Quartile2": lambda v: float(np.quantile(v, 0.5)),
    "Quartile3": lambda v: float(np.quantile(v, 0.75)),
}


def summaries(
    pattern: str,
    group: str,
    values: Callable[[Pieces], np.ndarray],
    reference: str,
    nan_when: str,
    tasks: tuple[str, ...] = CLASSIFICATION,
) -> list[MetaFeature]:
    """Seven summary features (Mean, Min, Max, Stdv, Quartile1-3) of one per-column vector.

    ``pattern`` holds ``{}`` where the statistic goes, e.g. "{}SkewnessOfNumericAtts".
    Non-finite entries of the vector are ignored; an empty vector gives NaN.
    """

    def make(stat: Callable[[np.ndarray], float]) -> Callable[[Pieces], float]:
        def fn(p: Pieces) -> float:
            v = np.asarray(values(p), dtype=float)
            v = v[np.isfinite(v)]
            return stat(v) if len(v) else float("nan")

        return fn

    return [
        MetaFeature(pattern.format(stat_name), group, make(stat), reference, nan_when, tasks)
        for stat_name, stat in SUMMARY_STATS.items()
    ]
