"""What every command shares: the consoles, and turning AutometaError into one red line."""

from __future__ import annotations

import collections
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
    """Turn AutometaError into one red line on stderr and exit code 2 (--debug: traceback),
    and Ctrl-C into "Interrupted." and exit code 130. autometa's warnings are shown as they
    come; the others (numpy's overflow on extreme values, a learner's convergence...) are
    grouped into one line at the end."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        others: collections.Counter[str] = collections.Counter()

        def show(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
            if issubclass(category, AutometaWarning):
                err.print(f"[yellow]Warning:[/yellow] {escape(str(message))}")
            else:
                others[f"{category.__name__}: {' '.join(str(message).split())[:80]}"] += 1

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AutometaWarning)
                warnings.showwarning = show
                return fn(*args, **kwargs)
        except AutometaError as exc:
            if state["debug"]:
                raise
            err.print(f"[bold red]Error:[/bold red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:  # Ctrl-C outside the search (which keeps its best model)
            err.print("Interrupted.")
            raise typer.Exit(130) from None
        finally:
            if others:
                shown = "; ".join(f"{k} (x{n})" for k, n in others.most_common(3))
                extra = len(others) - 3
                more = f"; {extra} more kind{'s' * (extra > 1)}" if extra > 0 else ""
                err.print(f"[yellow]Warning:[/yellow] {others.total()} warnings from the "
                          f"computations, grouped: {escape(shown)}{more}.")  # fmt: skip

    return wrapper  # type: ignore[return-value]
