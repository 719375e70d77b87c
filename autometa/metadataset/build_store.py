"""A build folder: the settings it was made with and its append-only JSON-lines files.

Every record is appended with one ``write`` + ``fsync`` (all of a unit's records at once),
so a SIGKILL loses only what was in flight; :func:`read_jsonl` skips a torn last line.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autometa.exceptions import BadInputError
from autometa.metadataset.curves import LADDER, MAX_HOLDOUT

__all__ = [
    "DATASETS_FILE",
    "METAFEATURES_FILE",
    "RUNS_FILE",
    "SETTINGS_FILE",
    "SKIPPED_FILE",
    "BuildSettings",
    "append",
    "check_settings",
    "read_jsonl",
    "read_settings",
    "settings_json",
]

logger = logging.getLogger(__name__)

RUNS_FILE = "runs.jsonl"
DATASETS_FILE = "datasets.jsonl"
SKIPPED_FILE = "skipped.jsonl"
SETTINGS_FILE = "build.json"
METAFEATURES_FILE = "metafeatures.jsonl"


@dataclass(frozen=True)
class BuildSettings:
    """What a build measures; a resumed build must use the same settings.

    Attributes
    ----------
    ladder : tuple of int
        Training sizes (see ``autometa/metadataset/curves.py``).
    base_max : int
        Rungs up to this size run every configuration.
    promote_top, reach : int, float
        Promotion to an upper rung: the ``promote_top`` best by accuracy on the rung below,
        plus each family's best within ``reach`` (accuracy) of the best.
    time_limit : float
        Seconds allowed per fit; a longer fit is recorded as censored.
    max_rows : int
        Row cap of a table (stratified subsample).
    random_state : int
    """

    ladder: tuple[int, ...] = LADDER
    base_max: int = 1000
    promote_top: int = 10
    reach: float = 0.05
    time_limit: float = 60.0
    max_rows: int = LADDER[-1] + MAX_HOLDOUT
    random_state: int = 0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file, skipping a torn last line left by a killed writer."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("skipping a torn line in %s", path)
    return rows


def append(path: Path, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines with one write and one fsync (all or nothing)."""
    text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def settings_json(settings: BuildSettings) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(settings)))  # tuples as lists, as read back


def check_settings(out: Path, settings: BuildSettings) -> None:
    path = out / SETTINGS_FILE
    wanted = settings_json(settings)
    if path.exists():
        saved = json.loads(path.read_text())
        if saved != wanted:
            raise BadInputError(
                f"'{out}' was built with settings {saved}; this run asks for {wanted}. "
                "Use the same settings to resume, or another --out folder."
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, indent=2))


def read_settings(out: str | Path) -> BuildSettings:
    """The settings a build folder was made with."""
    saved = json.loads((Path(out) / SETTINGS_FILE).read_text())
    saved["ladder"] = tuple(saved["ladder"])
    return BuildSettings(**saved)
