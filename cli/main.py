"""The `autometa` command: parse, call the library, render with rich. No logic lives here."""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import autometa
from autometa.exceptions import AutometaError, AutometaWarning, BadInputError

app = typer.Typer(
    help="autometa: learn from many datasets which scikit-learn learner to use on a new one.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
maml_app = typer.Typer(
    help="Meta-learn neural initialisations (MAML / Meta-SGD).", no_args_is_help=True
)
app.add_typer(maml_app, name="maml")

out = Console()
err = Console(stderr=True, soft_wrap=True, highlight=False)
_state = {"debug": False}
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
            if _state["debug"]:
                raise
            err.print(f"[bold red]Error:[/bold red] {escape(str(exc))}")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _show_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
) -> None:
    err.print(f"[yellow]Warning:[/yellow] {escape(str(message))}")


def _not_available(what: str, issue: str) -> None:
    err.print(f"[bold red]Error:[/bold red] '{what}' is not available yet ({issue}).")
    raise typer.Exit(3)


def _version(value: bool) -> None:
    if value:
        out.print(f"autometa {autometa.__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks of errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """autometa: meta-learning for scikit-learn."""
    _state["debug"] = debug


@app.command()
@guarded
def metafeatures(
    data: Path = typer.Argument(..., help="CSV/TSV (optionally .gz/.zip) or parquet file."),
    target: str = typer.Option(..., "--target", "-t", help="Name of the class column."),
    groups: str = typer.Option(None, "--groups", help="Comma-separated groups (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object only."),
    seed: int = typer.Option(0, "--seed", help="Random state of the samples and landmarkers."),
    inf_as_missing: bool = typer.Option(
        False, "--inf-as-missing", help="Treat infinite values as missing instead of an error."
    ),
) -> None:
    """Compute the meta-features of a table."""
    from autometa.metafeatures import extract_metafeatures

    task = autometa.load_table(data, target=target, inf_as_missing=inf_as_missing)
    chosen = [g.strip() for g in groups.split(",")] if groups else None
    values = extract_metafeatures(task, groups=chosen, random_state=seed)
    if as_json:
        print(json.dumps({k: (None if v != v else v) for k, v in values.items()}, indent=2))
        return
    table = Table(title=f"Meta-features of {task.name} ({len(values)})")
    table.add_column("name")
    table.add_column("value", justify="right")
    for name, value in values.items():
        table.add_row(str(name), "NaN" if value != value else f"{value:.6g}")
    out.print(table)


@app.command("build-metadata")
@guarded
def build_metadata(
    sources: list[Path] = typer.Argument(..., help="PMLB-layout folders or folders of CSVs."),
    out_dir: Path = typer.Option(..., "--out", help="Build folder (resumed if it exists)."),
    target: str = typer.Option("target", "--target", help="Class column of CSV folders."),
    configs: str = typer.Option(None, "--configs", help="Comma-separated families or config ids."),
    datasets: str = typer.Option(None, "--datasets", help="Comma-separated dataset names."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Parallel workers."),
    max_rows: int = typer.Option(2000, "--max-rows", help="Row cap (stratified subsample)."),
    folds: int = typer.Option(3, "--folds", help="Cross-validation folds."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds allowed per fit."),
    seed: int = typer.Option(0, "--seed", help="Random state of folds, samples and learners."),
) -> None:
    """Cross-validate every configuration on every dataset; resumable; then assemble."""
    from autometa.builder import BuildSettings, assemble, build
    from autometa.sources.discover import discover

    refs = discover(sources, target, datasets.split(",") if datasets else None)
    chosen = _configs(configs)
    settings = BuildSettings(
        folds=folds, max_rows=max_rows, time_limit=time_limit, random_state=seed
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        job = bar.add_task("units", total=len(refs) * len(chosen))

        def progress(done: int, total: int, record: dict[str, Any]) -> None:
            label = f"{record['dataset']}:{record['config_id']}" if record else "units"
            bar.update(job, completed=done, total=total, description=label[:40].ljust(40))

        counts = build(refs, chosen, out_dir, settings, n_jobs=n_jobs, progress=progress)
    meta = assemble(out_dir, refs, chosen, random_state=seed)
    out.print(f"{counts} -> {meta!r} in {out_dir}")


def _configs(spec: str | None) -> list[autometa.learners.LearnerConfig]:
    from autometa.learners import FAMILIES, get_config, space

    if not spec:
        return space()
    chosen: list[autometa.learners.LearnerConfig] = []
    for item in (s.strip() for s in spec.split(",")):
        chosen.extend(space([item]) if item in FAMILIES else [get_config(item)])
    if not chosen:
        raise BadInputError("--configs selected no configuration.")
    return chosen


@app.command()
def recommend() -> None:
    """Rank learner configurations for a table and search from them (not available yet)."""
    _not_available("recommend", "it lands with the recommender issue")


@app.command()
def predict() -> None:
    """Predict with a saved model file (not available yet)."""
    _not_available("predict", "it lands with the recommender issue")


@app.command("train-metamodel")
def train_metamodel() -> None:
    """Train the torch meta-model on a meta-dataset (not available yet)."""
    _not_available("train-metamodel", "it lands with the selectors issue")


@app.command()
def evaluate() -> None:
    """Evaluate selectors leave-one-family-out and on ASlib (not available yet)."""
    _not_available("evaluate", "it lands with the selectors issue")


@maml_app.command("train")
def maml_train() -> None:
    """Meta-train an initialisation on a family of tasks (not available yet)."""
    _not_available("maml train", "it lands with the MAML issue")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="autometa")


if __name__ == "__main__":  # pragma: no cover
    main()
