"""``python -m autometa`` and the ``autometa`` command.

The command's code is the repository's top-level ``cli/`` folder. The wheel installs it
inside this package, as ``autometa.cli`` (pyproject.toml's force-include), so that no
top-level ``cli`` module lands in a user's environment; a source checkout (an editable
install, the tests) runs it from the repository as ``cli``.
"""

from __future__ import annotations


def main() -> None:
    """Run the ``autometa`` command."""
    try:
        from autometa.cli.main import main as run  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # a source checkout: the repository's cli/ folder
        from cli.main import main as run
    run()


if __name__ == "__main__":
    main()
