"""Ctrl-C stays Ctrl-C: deferred during imports, noted when a learner swallows it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from autometa.interrupts import deferred_interrupts, noted_interrupts


def _ctrl_c() -> None:
    """Send SIGINT to this process and give Python the moment it needs to run the handler."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)


def test_a_ctrl_c_inside_deferred_interrupts_is_raised_when_the_block_ends() -> None:
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN in a background job
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            _ctrl_c()
            steps.append("after the signal")  # the block (an import) runs to its end
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_deferred_interrupts_without_a_ctrl_c_raises_nothing() -> None:
    before = signal.getsignal(signal.SIGINT)
    with deferred_interrupts():
        pass
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_a_ctrl_c_that_a_learner_swallows_is_found_by_check() -> None:
    before = signal.getsignal(signal.SIGINT)
    with noted_interrupts() as check:
        check()  # nothing noted yet
        try:
            _ctrl_c()
        except KeyboardInterrupt:
            pass  # what scikit-learn's MLP does
        with pytest.raises(KeyboardInterrupt):
            check()
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
