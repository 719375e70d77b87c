"""Peak memory of a block of work, as the operating system counts it.

A learner's memory lives mostly outside Python's allocator (scikit-learn's trees, libsvm,
OpenMP histograms), so ``tracemalloc`` misses it. On Linux the kernel keeps the process's
high-water mark of resident memory (``VmHWM``) and lets a process reset it (writing "5" to
``/proc/self/clear_refs``, Linux 4.0+): the peak of a block is then the high-water mark at
its end minus the resident memory at its start, exact and free of sampling. Freed memory
that the C allocator keeps is returned first (``malloc_trim``), so an earlier, larger fit in
the same process does not hide this one's growth. Elsewhere the peak is unknown (NaN).

The figure counts the whole process: a block must not share it with other busy threads
(the meta-dataset builder runs one fit per worker process).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Peak", "peak_memory"]

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Peak:
    """What :func:`peak_memory` measured: ``mb``, the peak resident memory above the start
    of the block in MiB (NaN where it cannot be measured, or while the block runs)."""

    mb: float = math.nan


def _status_mb(key: str) -> float:
    match = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    return int(match.group(1)) / 1024 if match else math.nan


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None elsewhere; looked up once (``find_library`` runs
    ``ldconfig`` in a subprocess: 2 ms, before every fit)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def _trim() -> None:
    """Give freed heap memory back to the system (glibc only; a no-op elsewhere)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _reset() -> float | None:
    """Reset the high-water mark; the resident MiB now, or None where that is impossible."""
    try:
        _trim()
        _CLEAR_REFS.write_text("5")
        return _status_mb("VmRSS")
    except OSError:  # not Linux, or /proc not writable (some sandboxes)
        return None


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """Measure the peak resident memory of the block above its start.

    Yields
    ------
    Peak
        Its ``mb`` is set when the block ends (also when it raises).

    Examples
    --------
    >>> import numpy as np
    >>> with peak_memory() as peak:
    ...     _ = np.ones((1000, 1000))
    >>> peak.mb >= 7 or math.isnan(peak.mb)
    True
    """
    peak = Peak()
    start = _reset()
    try:
        yield peak
    finally:
        if start is not None:
            peak.mb = max(_status_mb("VmHWM") - start, 0.0)
