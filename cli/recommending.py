"""`autometa recommend` and `autometa predict`: parse, call the library, render."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import autometa
from autometa.exceptions import BadInputError
from autometa.search.cluster import connect
from autometa.search.optimizer import OPTIMIZERS
from autometa.search.records import Status
from autometa.search.settings import CURVE_HALVING_DEFAULT, ENSEMBLE_DEFAULT, SearchSettings
from autometa.space.metrics import PRIMARY

from .choices import MetricName, TaskChoice
from .console import err, guarded, out

app = typer.Typer()


def _by_kind(defaults: dict[str, bool]) -> str:
    """A per-kind default for a help text, read from its one home (search/settings.py)."""
    if len(set(defaults.values())) == 1:
        return "yes" if next(iter(defaults.values())) else "no"
    return ", ".join(f"{'yes' if on else 'no'} for {kind}" for kind, on in defaults.items())


@app.command()
@guarded
def recommend(
    data: Annotated[Path, typer.Argument(help="CSV/TSV (optionally .gz/.zip) or parquet file.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Name of the target column.")],
    top: Annotated[
        int, typer.Option("--top", min=1, help="Configurations to show and race first.")
    ] = 5,
    budget: Annotated[
        float, typer.Option("--budget", min=0.0, help="Seconds for the search; 0: recommend only.")
    ] = 60.0,
    metric: Annotated[
        MetricName | None,
        typer.Option(
            "--metric",
            help="Metric to rank and search by (default: accuracy, or r2 for regression).",
        ),
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the fitted model (.skops).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document only.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Say why the ranking is what it is.")
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Random state of meta-features and search.")
    ] = 0,
    inf_as_missing: Annotated[
        bool, typer.Option("--inf-as-missing", help="Infinite values as missing, not an error.")
    ] = False,
    expand_dates: Annotated[
        bool,
        typer.Option(
            "--expand-dates", help="Use date columns as year, month, day, weekday (not dropped)."
        ),
    ] = False,
    ensemble: Annotated[
        bool | None,
        typer.Option(
            "--ensemble/--no-ensemble",
            help="Ensemble the models found when that beats the best one (default: "
            f"{_by_kind(ENSEMBLE_DEFAULT)}).",
        ),
    ] = None,
    curve_halving: Annotated[
        bool | None,
        typer.Option(
            "--curve-halving/--no-curve-halving",
            help="Promote between the search's rungs by scores corrected with the predicted "
            f"learning curves (default: {_by_kind(CURVE_HALVING_DEFAULT)}).",
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Write the report's data as JSON.")
    ] = None,
    task_kind: Annotated[
        TaskChoice,
        typer.Option("--task", help="Classification or regression (auto: from the target)."),
    ] = TaskChoice("auto"),
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows", min=1, help="Use a random sample of this many rows (drawn while reading)."
        ),
    ] = None,
    optimizer: Annotated[
        str,
        typer.Option(
            "--optimizer",
            help="What proposes configurations past the grid: " + ", ".join(OPTIMIZERS) + ".",
        ),
    ] = SearchSettings.optimizer,
    n_jobs: Annotated[
        int,
        typer.Option(
            "--n-jobs", help="Evaluations at once, each in a worker process; -1: one per core."
        ),
    ] = SearchSettings.n_jobs,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="A Dask scheduler's address (tcp://host:8786): evaluate on its cluster.",
        ),
    ] = None,
) -> None:
    """Rank learner configurations for a table, then search from them within a budget."""
    start = time.perf_counter()
    if (save is not None or report is not None or report_json is not None) and budget == 0:
        raise BadInputError("--save and --report need a search: give a --budget above 0.")
    if scheduler is not None and budget > 0:  # unreachable: an error before any work
        connect(scheduler).close()
    task = autometa.load_table(
        data,
        target=target,
        inf_as_missing=inf_as_missing,
        expand_dates=expand_dates,
        task=task_kind.value,
        max_rows=max_rows,
        random_state=seed,
    )
    metric_name = metric.value if metric is not None else PRIMARY[task.kind]
    rec = autometa.recommend(task, top_k=top, metric=metric_name, random_state=seed)
    doc: dict[str, Any] = {
        "data": str(data),
        "rows": len(task.y),
        "metric": metric_name,
        "recommendation": _records(rec.table),
        "notes": rec.notes,
    }
    if not as_json:
        _print_ranking(rec, task.name)
    if explain:
        doc["explanation"] = _explanation(rec, as_json)
    if budget > 0:
        kind = (
            autometa.AutoMetaRegressor if task.kind == "regression" else autometa.AutoMetaClassifier
        )
        clf = kind(
            time_budget=budget, top_k=top, metric=metric_name, random_state=seed,
            inf_as_missing=inf_as_missing, expand_dates=expand_dates, ensemble=ensemble,
            curve_halving=curve_halving,
            n_jobs=n_jobs, scheduler=scheduler, optimizer=optimizer,
        )  # fmt: skip
        _search(clf, task, rec, start, as_json)
        board = clf.leaderboard_
        doc.update(
            best_config=clf.best_config_, best_score=clf.best_score_, refit=clf.refit_,
            seconds=round(clf.fit_seconds_, 3), leaderboard=_records(board),
            ensemble=_records(clf.ensemble_), fallback=clf.fallback_,
            interrupted=clf.interrupted_,
        )  # fmt: skip
        if save is not None:
            doc["saved"] = str(clf.save(save))
        if report is not None or report_json is not None:
            command = " ".join(["autometa", *sys.argv[1:]])
            written = clf.report(report, report_json, command=command)
            if report is not None:
                doc["report"] = str(written)
            for path in (report, report_json):
                if path is not None:
                    err.print(f"Report {'data ' if path == report_json else ''}written to {path}")
        if not as_json:
            _print_leaderboard(clf, budget, save)
    if as_json:
        print(json.dumps(doc, indent=2, default=_json_default))


@app.command("report")
@guarded
def report_command(
    model_file: Annotated[Path, typer.Argument(help="Model file written by `recommend --save`.")],
    data: Annotated[Path, typer.Option("--data", help="The table the model is for.")],
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "report.html"
    ),
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Write the report's data as JSON.")
    ] = None,
) -> None:
    """Write the HTML report of a saved model, for a table with its columns."""
    from autometa.reporting.report import saved_report_data, write_report

    data_dict = saved_report_data(autometa.load_model(model_file), data)
    write_report(data_dict, out_file, report_json)
    err.print(f"Report written to {out_file}")
    if report_json is not None:
        err.print(f"Report data written to {report_json}")


@app.command()
@guarded
def predict(
    model_file: Annotated[Path, typer.Argument(help="Model file written by `recommend --save`.")],
    data: Annotated[Path, typer.Argument(help="Table with the model's feature columns.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV to write (default: stdout).")
    ] = None,
    proba: Annotated[
        bool, typer.Option("--proba", help="Add one probability column per class.")
    ] = False,
) -> None:
    """Predict the class (or, with a regression model, the value) of every row of a table
    with a saved model."""
    from autometa.table.reading import read_file

    model = autometa.load_model(model_file)
    frame = read_file(data)
    label = f"'{data}'"
    result = pd.DataFrame({"prediction": model.predict(frame, label)}, index=frame.index)
    if proba:
        probabilities = model.predict_proba(frame, label)
        result = result.join(probabilities.add_prefix("proba_"))
    if output is None:
        result.to_csv(sys.stdout, index=False)
        return
    result.to_csv(output, index=False)
    err.print(f"{len(result)} predictions -> {output}")


def _search(
    clf: autometa.AutoMetaClassifier | autometa.AutoMetaRegressor,
    task: autometa.Task,
    rec: Any,
    start: float,
    quiet: bool,
) -> None:
    budget = float(clf.time_budget)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=quiet,
    ) as bar:  # fmt: skip
        job = bar.add_task("searching", total=budget)

        def show(event: Any) -> None:
            best = f"best {event.best_config} {event.best_score:.4f}" if event.best_config else ""
            # Off-grid ids hold brackets, e.g. hgb_00[max_iter=316]: not rich markup.
            text = escape(f"{event.n_evaluated} evaluated, {best} (now {event.config_id})")
            bar.update(job, completed=min(event.elapsed, budget), description=text)

        clf.callback = show
        clf.fit_task(task, recommendation=rec, start=start)


def _print_ranking(rec: Any, name: str) -> None:
    table = Table(
        title=f"Recommended for {name} ({rec.seconds:.2f} s)",
        caption="pred. score (z): the predicted score in standard deviations above the mean "
        "configuration's on this table, not the metric's value",
    )
    for col, justify in [("rank", "right"), ("config", "left"), ("family", "left"),
                         ("params", "left"), ("pred. score (z)", "right"),
                         ("fit s (pred.)", "right"), ("uncertainty", "right")]:  # fmt: skip
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in rec.table.itertuples():
        table.add_row(
            str(row.rank), escape(row.config_id), row.family, escape(row.params),
            f"{row.predicted_score:.3f}",
            f"{row.predicted_fit_seconds:.2g}", f"{row.uncertainty:.3f}",
        )  # fmt: skip
    out.print(table)
    for note in rec.notes:
        out.print(f"[yellow]Note:[/yellow] {note}")


def _explanation(rec: Any, quiet: bool) -> dict[str, Any]:
    exp = rec.explain()
    if not quiet:
        near = Table(title="Nearest training datasets")
        for col in ("dataset", "distance", "best config", "best family"):
            near.add_column(col)
        for row in exp.neighbours.itertuples():
            near.add_row(row.dataset, f"{row.distance:.2f}", row.best_config, row.best_family)
        drivers = Table(title=f"Meta-features that moved {rec.table['config_id'][0]}'s score most")
        for col in ("meta-feature", "value", "effect on score"):
            drivers.add_column(col)
        for row in exp.attributions.itertuples():
            drivers.add_row(row.feature, f"{row.value:.4g}", f"{row.attribution:+.4f}")
        out.print(near, drivers)
    return {
        "neighbours": _records(exp.neighbours),
        "attributions": _records(exp.attributions),
        "ood": exp.ood,
    }


def _print_leaderboard(clf: Any, budget: float, save: Path | None) -> None:
    board = clf.leaderboard_
    done = board[board["status"] != Status.SKIPPED]
    table = Table(title=f"Leaderboard ({len(done)} evaluations, {clf.metric_}, CV mean)")
    for col in ("config", "family", "rows", "score", "± sd", "fit s", "status"):
        table.add_column(col)
    for row in done.head(10).itertuples():
        table.add_row(
            escape(row.config_id), row.family, str(row.n_rows), _fmt(row.score), _fmt(row.score_std),
            _fmt(row.fit_seconds, "{:.2g}"), row.status,
        )  # fmt: skip
    out.print(table)
    if not clf.ensemble_.empty:
        members = Table(title="Ensemble (greedy selection on out-of-fold predictions)")
        for col in ("config", "weight", "fitted on"):
            members.add_column(col)
        for row in clf.ensemble_.itertuples():
            members.add_row(escape(row.config_id), f"{row.weight:.2f}", row.fitted_on)
        out.print(members)
    out.print(
        f"Best: [bold]{escape(clf.best_config_)}[/bold] ({clf.metric_} {clf.best_score_:.4f}), refit on "
        f"{escape(clf.refit_)}; {clf.fit_seconds_:.1f} s of a {budget:g} s budget"
        + (" (search interrupted)." if clf.interrupted_ else ".")
    )
    if save is not None:
        out.print(f"Model saved to {save} (predict with: autometa predict {save} DATA.csv)")


def _fmt(value: float, pattern: str = "{:.4f}") -> str:
    return "" if value != value else pattern.format(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
