"""Command-line choices as Enums, built from the library's own lists (one home each)."""

from __future__ import annotations

import enum

from autometa.maml import ALGORITHMS
from autometa.metadataset.builder import BACKENDS
from autometa.space.metrics import MetricName
from autometa.table.targets import TASK_KINDS

__all__ = ["Algorithm", "Backend", "MetricName", "TaskChoice"]

Backend = enum.Enum("Backend", {b: b for b in BACKENDS}, type=str)  # type: ignore[misc]
Algorithm = enum.Enum("Algorithm", {a: a for a in ALGORITHMS}, type=str)  # type: ignore[misc]
TaskChoice = enum.Enum(  # type: ignore[misc]
    "TaskChoice", {k: k for k in ("auto", *TASK_KINDS)}, type=str
)
