"""`autometa maml train` and `autometa maml adapt`: parse, call autometa.maml, render."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autometa.exceptions import BadInputError
from autometa.reading import read_file
from cli.console import err, out

REGRESSION_MIN_DISTINCT = 10  # a numeric target with more distinct values is regression


def train(
    tasks: Path = typer.Argument(
        ..., help="Folder of same-schema CSVs, or one CSV (--group-column)."
    ),
    target: str = typer.Option(..., "--target", "-t", help="Target column of every task."),
    group_column: str = typer.Option(
        None, "--group-column", "-g", help="Column naming the task of each row."
    ),
    out_file: Path = typer.Option(..., "--out", help="Initialisation file to write (.pt)."),
    algorithm: str = typer.Option("maml", "--algorithm", help="maml, fomaml or metasgd."),
    iterations: int = typer.Option(2000, "--iterations", min=1, help="Meta-updates."),
    k_shot: int = typer.Option(10, "--k-shot", min=1, help="Support rows per task."),
    k_query: int = typer.Option(10, "--k-query", min=1, help="Query rows per task."),
    adapt_steps: int = typer.Option(10, "--adapt-steps", min=1, help="Steps of a later adapt."),
    inner_lr: float = typer.Option(0.01, "--inner-lr", min=0.0, help="Inner step size."),
    inner_steps: int = typer.Option(1, "--inner-steps", min=1, help="Inner steps in training."),
    seed: int = typer.Option(0, "--seed"),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Meta-train an initialisation (MAML / Meta-SGD) on a family of same-schema tasks."""
    from autometa.maml import MAMLClassifier, MAMLRegressor

    frames = _tasks(tasks, group_column)
    names = _features(frames[0][1], target, group_column, frames[0][0])
    for label, frame in frames[1:]:
        if _features(frame, target, group_column, label) != names:
            raise BadInputError(
                f"Task {label} has different feature columns than {frames[0][0]}; every task "
                "needs the same columns."
            )
    ys = [frame[target] for _, frame in frames]
    regression = all(pd.api.types.is_numeric_dtype(y) for y in ys) and (
        pd.concat(ys).nunique() > REGRESSION_MIN_DISTINCT
    )
    cls = MAMLRegressor if regression else MAMLClassifier
    est = cls(algorithm=algorithm, meta_iterations=iterations, k_shot=k_shot, k_query=k_query,
              adapt_steps=adapt_steps, inner_lr=inner_lr, inner_steps=inner_steps,
              device=device, random_state=seed)  # fmt: skip
    data = [(frame[names], frame[target].to_numpy() if regression else frame[target].astype(str).to_numpy())
            for _, frame in frames]  # fmt: skip
    start = time.perf_counter()
    losses: list[float] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:  # fmt: skip
        job = bar.add_task("meta-training", total=iterations)

        def show(i: int, loss: float) -> None:
            losses.append(loss)
            if i % 20 == 0 or i == iterations:
                recent = float(np.mean(losses[-100:]))
                bar.update(job, completed=i, description=f"meta-training (query loss {recent:.4f})")

        est.meta_fit(data, callback=show)
    est.save_initialisation(out_file)
    kind = "regression" if regression else f"classification, {len(est.classes_)} classes"
    out.print(
        f"{algorithm} on {len(frames)} tasks ({kind}, {len(names)} features): {iterations} "
        f"meta-updates in {time.perf_counter() - start:.1f} s, query loss "
        f"{np.mean(losses[:100]):.4f} -> {np.mean(losses[-100:]):.4f} -> {out_file}"
    )


def adapt(
    init_file: Path = typer.Argument(..., help="File written by `autometa maml train`."),
    data: Path = typer.Argument(..., help="The new task's rows (features + target)."),
    target: str = typer.Option(..., "--target", "-t", help="Target column."),
    predict: Path = typer.Option(None, "--predict", help="Rows to predict after adapting."),
    output: Path = typer.Option(
        None, "--output", "-o", help="CSV of predictions (default stdout)."
    ),
    steps: int = typer.Option(
        None, "--steps", min=0, help="Adaptation steps (default: the file's)."
    ),
) -> None:
    """Adapt a meta-learned initialisation to a new task in a few gradient steps."""
    from autometa.maml import MAMLClassifier, load_initialisation

    est = load_initialisation(init_file)
    if steps is not None:
        est.adapt_steps = steps
    frame = read_file(data)
    if target not in frame.columns:
        raise BadInputError(f"Target column '{target}' not found in '{data}'.")
    names = list(getattr(est, "feature_names_in_", [c for c in frame.columns if c != target]))
    X, y = _select(frame, names, f"'{data}'"), frame[target]
    y_fit = y.astype(str).to_numpy() if isinstance(est, MAMLClassifier) else y.to_numpy(float)
    before = _quality(est, X, y_fit, 0)
    est.fit(X, y_fit)
    after = _quality(est, X, y_fit, est.adapt_steps)
    err.print(f"adapted on {len(y)} rows in {est.adapt_steps} steps: {before} -> {after}")
    if predict is None:
        return
    new = read_file(predict)
    result = pd.DataFrame({"prediction": est.predict(_select(new, names, f"'{predict}'"))})
    if output is None:
        result.to_csv(sys.stdout, index=False)
    else:
        result.to_csv(output, index=False)
        err.print(f"{len(result)} predictions -> {output}")


def _quality(est: object, X: pd.DataFrame, y: np.ndarray, steps: int) -> str:
    from autometa.maml import MAMLClassifier

    if steps == 0:  # the initialisation itself
        saved = est.adapt_steps  # type: ignore[attr-defined]
        est.adapt_steps = 0  # type: ignore[attr-defined]
        est.fit(X, y)  # type: ignore[attr-defined]
        est.adapt_steps = saved  # type: ignore[attr-defined]
    pred = est.predict(X)  # type: ignore[attr-defined]
    if isinstance(est, MAMLClassifier):
        return f"accuracy {np.mean(pred == y):.3f}"
    return f"MSE {np.mean((pred - y) ** 2):.4f}"


def _tasks(source: Path, group_column: str | None) -> list[tuple[str, pd.DataFrame]]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise BadInputError(f"Folder '{source}' holds no task files.")
        return [(f"'{p.name}'", read_file(p)) for p in files]
    if group_column is None:
        raise BadInputError(
            f"'{source}' is one file: pass --group-column to split it into tasks, or give a "
            "folder with one CSV per task."
        )
    frame = read_file(source)
    if group_column not in frame.columns:
        raise BadInputError(f"Group column '{group_column}' not found in '{source}'.")
    return [(f"group {g!r}", part.drop(columns=group_column))
            for g, part in frame.groupby(group_column, sort=True)]  # fmt: skip


def _features(frame: pd.DataFrame, target: str, group: str | None, label: str) -> list[str]:
    if target not in frame.columns:
        raise BadInputError(f"Target column '{target}' not found in task {label}.")
    names = [c for c in frame.columns if c not in (target, group)]
    text = [c for c in names if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise BadInputError(
            f"Column(s) {text[:5]} of task {label} are not numeric; MAML learners need numeric "
            "features (encode them first)."
        )
    return names


def _select(frame: pd.DataFrame, names: list[str], label: str) -> pd.DataFrame:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise BadInputError(f"{label} lacks feature column(s) {missing[:10]}.")
    return frame[names]
