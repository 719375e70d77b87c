"""What a table is, in a few numbers: for the report and the model file."""

from __future__ import annotations

from typing import Any

import numpy as np

from autometa.table.tabular import Task

__all__ = ["HISTOGRAM_BINS", "table_summary"]

HISTOGRAM_BINS = 10  # bins of a regression target's histogram


def table_summary(task: Task) -> dict[str, Any]:
    """Rows, columns, kinds, dropped columns, and the class balance of a Task (or, for a
    regression target, a histogram of ``HISTOGRAM_BINS`` equal-width bins: edges and counts)."""
    summary = {
        "name": task.name, "rows": len(task.y), "columns": len(task.feature_columns),
        "kinds": dict(task.kinds), "dropped": dict(task.dropped),
    }  # fmt: skip
    if task.kind == "regression":
        counts, edges = np.histogram(task.y.to_numpy(dtype=float), bins=HISTOGRAM_BINS)
        summary["target"] = {"edges": edges.tolist(), "counts": counts.tolist()}
    else:
        summary["classes"] = {str(k): int(v) for k, v in task.y.value_counts().items()}
    return summary
