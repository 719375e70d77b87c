"""Where datasets come from. Each source yields :class:`DatasetRef` objects: a stable
dataset name, a family (near-duplicates share one, so evaluation can hold a whole family
out) and a loader that returns a validated Task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autometa.table.tabular import Task

__all__ = ["DatasetRef"]


@dataclass(frozen=True)
class DatasetRef:
    """A dataset that can be loaded on demand.

    Attributes
    ----------
    name : str
        Stable, unique dataset name (used as the key in meta-datasets).
    family : str
        Near-duplicate family; equal to ``name`` for a dataset with no known relatives.
    source : str
        "pmlb", "csv", "openml", ...
    load : callable
        Returns the Task (reads the file; may raise BadInputError).
    task : str
        "classification" or "regression": what the loader's Task will be.
    """

    name: str
    family: str
    source: str
    load: Callable[[], Task]
    task: str = "classification"
