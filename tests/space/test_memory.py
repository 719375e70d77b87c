"""Peak memory of a block, as the operating system counts it (Linux; NaN elsewhere)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from autometa.space.memory import peak_memory

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")


@linux
def test_the_peak_of_a_block_counts_its_allocations_not_earlier_ones() -> None:
    big = np.ones((4000, 4000))  # 122 MiB, freed before the block: no part of its peak
    del big
    with peak_memory() as peak:
        block = np.ones((2000, 2000))  # 30.5 MiB, written so that it is resident
        del block
    assert 25 < peak.mb < 60, peak.mb
    with peak_memory() as idle:
        pass
    assert idle.mb < 5, idle.mb


@linux
def test_the_peak_is_set_when_the_block_raises() -> None:
    with pytest.raises(ValueError), peak_memory() as peak:
        _ = np.ones((2000, 2000))
        raise ValueError("a learner failed")
    assert not math.isnan(peak.mb) and peak.mb > 25
