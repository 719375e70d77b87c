"""ASlib scenarios (algorithm selection library) read into a MetaDataset: the standard
external check of a selector (``MetaDataset.from_aslib``).

Each algorithm becomes a configuration of its own family; the scenario's first
performance measure becomes the metric, maximised or minimised as its ``description.txt``
says; every instance needs its official CV fold (``cv.arff``), kept in
``datasets["cv_fold"]`` and as its family, so fold-wise evaluation is family-wise
evaluation.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError

__all__ = ["read_scenario"]


def read_scenario(scenario: str | Path) -> tuple[Any, ...]:
    """Read an ASlib scenario folder (description.txt, feature_values, algorithm_runs and cv
    .arff files); a clear error for a missing file, a missing fold or a measure that the
    description does not name.

    Returns
    -------
    tuple
        The MetaDataset's constructor arguments, in order (metafeatures, performance,
        configs, datasets, units, metrics, info): ``MetaDataset.from_aslib`` builds it, so
        this module needs no MetaDataset (no import circle).
    """
    root = Path(scenario)
    needed = ["description.txt", "feature_values.arff", "algorithm_runs.arff", "cv.arff"]
    missing = [f for f in needed if not (root / f).exists()]
    if missing:
        raise BadInputError(f"'{root}' is not an ASlib scenario (missing {', '.join(missing)}).")
    features = _read_arff(root / "feature_values.arff")
    features = features.groupby("instance_id").first().drop(columns=["repetition"])
    features = features.apply(pd.to_numeric, errors="coerce")
    runs = _read_arff(root / "algorithm_runs.arff")
    description = _read_description(root / "description.txt")
    measures = description.get("performance_measures", [])
    maximize = [m.lower() == "true" for m in description.get("maximize", [])]
    if not measures or len(maximize) != len(measures) or measures[0] not in runs.columns:
        raise BadInputError(
            f"'{root / 'description.txt'}' must list performance_measures and maximize, "
            f"one value each, naming a column of algorithm_runs.arff ({list(runs.columns)})."
        )
    measure = measures[0]
    runs[measure] = pd.to_numeric(runs[measure], errors="coerce")
    ok = runs["runstatus"] == "ok"
    performance = pd.DataFrame(
        {"dataset": runs["instance_id"], "config_id": runs["algorithm"], "rows": 0,
         "part": runs["repetition"].astype(float).astype(int) - 1, "metric": measure,
         "value": runs[measure].where(ok)}
    )  # fmt: skip
    algorithms = sorted(runs["algorithm"].unique())
    configs = pd.DataFrame(
        {
            "config_id": algorithms,
            "family": [a.split("_", 1)[-1] for a in algorithms],
            "params": "{}",
        }
    )
    names = sorted(features.index)
    cv = _read_arff(root / "cv.arff")
    folds = dict(zip(cv["instance_id"], cv["fold"].astype(float).astype(int), strict=True))
    missing = [n for n in names if n not in folds]
    if missing:
        raise BadInputError(
            f"'{root / 'cv.arff'}' has no fold for {len(missing)} instance(s): "
            f"{', '.join(missing[:5])}. Every instance needs its official fold."
        )
    datasets = pd.DataFrame(
        {"name": names, "family": [f"fold{folds[n]}" for n in names],
         "source": "aslib", "cv_fold": [folds[n] for n in names]}
    )  # fmt: skip
    units = pd.DataFrame(
        {"dataset": runs["instance_id"], "config_id": runs["algorithm"], "rows": 0,
         "status": runs["runstatus"], "limit": np.nan, "message": "", "seconds": np.nan,
         "fit_seconds": np.nan, "predict_seconds": np.nan, "peak_mb": np.nan}
    )  # fmt: skip
    return (
        features.loc[names],
        performance,
        configs,
        datasets,
        units,
        {measure: maximize[0]},
        {"source": "aslib", "scenario": root.name},
    )


def _read_description(path: Path) -> dict[str, list[str]]:
    """The top-level list entries of an ASlib ``description.txt`` (a YAML file):
    ``key:`` followed by ``- value`` lines. Nested entries (algorithm metadata) are skipped."""
    entries: dict[str, list[str]] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("-"):
            key = line.split(":", 1)[0].strip()
            value = line.split(":", 1)[1].strip() if ":" in line else ""
            entries[key] = [value.strip("'\"")] if value and value != "''" else []
        elif line.startswith("- ") and key is not None:
            entries[key].append(line[2:].strip().strip("'\""))
    return entries


def _read_arff(path: Path) -> pd.DataFrame:
    """Minimal ARFF reader (numeric, string and nominal attributes; '?' is missing)."""
    names: list[str] = []
    rows: list[list[str]] = []
    in_data = False
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if not text or text.startswith("%"):
                continue
            if in_data:
                rows.append(next(csv.reader([text], quotechar="'", skipinitialspace=True)))
            elif text.lower().startswith("@attribute"):
                names.append(text.split()[1].strip("'\""))
            elif text.lower().startswith("@data"):
                in_data = True
    frame = pd.DataFrame(rows, columns=names).replace("?", np.nan)
    frame["instance_id"] = frame["instance_id"].astype(str)
    return frame
