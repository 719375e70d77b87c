"""The `autometa` command: one Typer module per command group, joined here. Parse, call
the library, render with rich; no logic lives in the CLI."""

from __future__ import annotations

from typing import Annotated

import typer

import autometa

from . import maml_cmd, metadata_cmd, metafeatures_cmd, recommending
from .console import out, state

app = typer.Typer(
    help="autometa: learn from many datasets which scikit-learn learner to use on a new one.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(recommending.app)
app.add_typer(metafeatures_cmd.app)
app.add_typer(metadata_cmd.app)
app.add_typer(maml_cmd.app, name="maml")


def _version(value: bool) -> None:
    if value:
        out.print(f"autometa {autometa.__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks of errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """autometa: meta-learning for scikit-learn."""
    state["debug"] = debug


def main() -> None:
    """Console-script entry point."""
    app(prog_name="autometa")


if __name__ == "__main__":
    main()
