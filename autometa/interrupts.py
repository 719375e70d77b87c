"""Ctrl-C stays Ctrl-C: the one home of the package's SIGINT handling.

Two moments need care. An import of an extension module (torch's, about a second) must not
be interrupted half-way: a KeyboardInterrupt raised inside it can abort the process (a C++
``terminate``) or come out as another error (Python wraps it in a RuntimeError when it is
raised in a class's ``__set_name__``); :func:`deferred_interrupts` holds it until the
import ends. A learner may swallow a Ctrl-C (scikit-learn's MLP stops training and
returns its model); :func:`noted_interrupts` lets the caller find out.

Both act only in a process's main thread, the one Python delivers signals to; elsewhere
they do nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["deferred_interrupts", "noted_interrupts"]


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """A Ctrl-C inside the block is noted, not raised, and raised as KeyboardInterrupt as
    the block ends (not at all if the block raised an error of its own). Wrap imports of
    extension modules in it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        raise KeyboardInterrupt


@contextmanager
def noted_interrupts() -> Iterator[Callable[[], None]]:
    """Ctrl-C stays Ctrl-C when a learner swallows it.

    Inside this block a SIGINT is noted as well as raised, and the ``check()`` it yields
    raises KeyboardInterrupt again when one was noted: call it after each fit.
    """
    noted: list[int] = []

    def check() -> None:
        if noted:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield check
        return

    def handler(signum: int, frame: object) -> None:
        noted.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)
