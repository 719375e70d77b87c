"""`autometa metafeatures`: parse, call autometa.extract_metafeatures, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import autometa

from .choices import TaskChoice
from .console import guarded, out

app = typer.Typer()


@app.command()
@guarded
def metafeatures(
    data: Annotated[Path, typer.Argument(help="CSV/TSV (optionally .gz/.zip) or parquet file.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Name of the target column.")],
    groups: Annotated[
        str | None, typer.Option("--groups", help="Comma-separated groups (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Random state of samples, landmarkers.")] = 0,
    inf_as_missing: Annotated[
        bool, typer.Option("--inf-as-missing", help="Infinite values as missing, not an error.")
    ] = False,
    expand_dates: Annotated[
        bool,
        typer.Option(
            "--expand-dates", help="Use date columns as year, month, day, weekday (not dropped)."
        ),
    ] = False,
    task_kind: Annotated[
        TaskChoice,
        typer.Option("--task", help="Classification or regression (auto: from the target)."),
    ] = TaskChoice("auto"),
) -> None:
    """Compute the meta-features of a table (classification or regression target)."""
    from autometa.metafeatures import extract_metafeatures

    task = autometa.load_table(
        data, target=target, inf_as_missing=inf_as_missing, expand_dates=expand_dates,
        task=task_kind.value,
    )  # fmt: skip
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
