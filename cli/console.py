"""What every command shares: the consoles, and turning AutometaError into one red line."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from autometa.exceptions import AutometaError, AutometaWarning

out = Console()
err = Console(stderr=True, soft_wrap=True, highlight=False)
state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Turn AutometaError into one red line on stderr and exit code 2 (--debug: traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AutometaWarning)
                warnings.showwarning = _show_warning
                return fn(*args, **kwargs)
        except AutometaError as exc:
            if state["debug"]:
                raise
            err.print(f"[bold red]Error:[/bold red] {escape(str(exc))}")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _show_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
) -> None:
    err.print(f"[yellow]Warning:[/yellow] {escape(str(message))}")
