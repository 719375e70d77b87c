"""What the machine has free now, for the parts that must not take more: reading a table
and the search's fits."""

from __future__ import annotations

import math
import re
from pathlib import Path

__all__ = ["available_mb"]

_MEMINFO = Path("/proc/meminfo")


def available_mb() -> float:
    """Memory the machine can give without swapping, in MiB (the kernel's ``MemAvailable``);
    NaN where it is unknown (not Linux)."""
    try:
        match = re.search(r"^MemAvailable:\s+(\d+) kB", _MEMINFO.read_text(), re.MULTILINE)
    except OSError:
        return math.nan
    return int(match.group(1)) / 1024 if match else math.nan
