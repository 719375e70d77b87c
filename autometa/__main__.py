"""``python -m autometa`` and the ``autometa`` command.

The command's code is the repository's top-level ``cli/`` folder. The wheel installs it
inside this package, as ``autometa.cli`` (pyproject.toml's force-include), so that no
top-level ``cli`` module lands in a user's environment; a source checkout (an editable
install, the tests) runs it from the repository as ``cli``.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from autometa.interrupts import deferred_interrupts


def main() -> None:
    """Run the ``autometa`` command; a Ctrl-C at any moment ends it with one line,
    "Interrupted.", and exit code 130 (a Ctrl-C during the search keeps its best model)."""
    try:
        with deferred_interrupts():  # the start-up imports (interrupts.py says why)
            try:
                from autometa.cli.main import main as run  # type: ignore[import-not-found]
            except ModuleNotFoundError as exc:  # a source checkout: the repository's cli/
                if exc.name not in ("autometa.cli", "autometa.cli.main"):
                    raise
                from cli.main import main as run
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
