"""``python -m autometa`` and the ``autometa`` command.

The command's code is the repository's top-level ``cli/`` folder. The wheel installs it
inside this package, as ``autometa.cli`` (pyproject.toml's force-include), so that no
top-level ``cli`` module lands in a user's environment; a source checkout (an editable
install, the tests) runs it from the repository as ``cli``.
"""

from __future__ import annotations

import signal
import sys
from typing import NoReturn


def main() -> None:
    """Run the ``autometa`` command; a Ctrl-C at any moment ends it with one line,
    "Interrupted.", and exit code 130 (a Ctrl-C during the search keeps its best model)."""
    # During the start-up imports a Ctrl-C is noted, not raised: raised inside an extension
    # module's initialisation it can abort the process (a C++ terminate in torch's).
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    try:
        try:
            from autometa.cli.main import main as run  # type: ignore[import-not-found]
        except ModuleNotFoundError as exc:  # a source checkout: the repository's cli/
            if exc.name not in ("autometa.cli", "autometa.cli.main"):
                raise
            from cli.main import main as run
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        interrupted()
    try:
        run()
    except KeyboardInterrupt:
        interrupted()


def interrupted() -> NoReturn:
    """Say so on the original stderr (a progress display may have replaced sys.stderr) and
    exit with 130, the shell's code for an interrupt."""
    stream = sys.__stderr__ or sys.stderr
    stream.write("\nInterrupted.\n")
    stream.flush()
    raise SystemExit(130)


if __name__ == "__main__":
    main()
