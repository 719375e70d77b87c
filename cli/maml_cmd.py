"""`autometa maml train` and `autometa maml adapt`: parse, call autometa.maml, render."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autometa.exceptions import BadInputError
from autometa.interrupts import deferred_interrupts
from autometa.table.reading import read_file

from .choices import Algorithm
from .console import err, guarded, out

app = typer.Typer(help="Meta-learn neural initialisations (MAML / Meta-SGD).", no_args_is_help=True)


@app.command()
@guarded
def train(
    tasks: Annotated[
        Path, typer.Argument(help="Folder of same-schema CSVs, or one CSV (--group-column).")
    ],
    target: Annotated[str, typer.Option("--target", "-t", help="Target column of every task.")],
    out_file: Annotated[Path, typer.Option("--out", help="Initialisation file to write (.pt).")],
    group_column: Annotated[
        str | None, typer.Option("--group-column", "-g", help="Column naming each row's task.")
    ] = None,
    algorithm: Annotated[
        Algorithm, typer.Option("--algorithm", help="Meta-learning algorithm.")
    ] = Algorithm("maml"),
    iterations: Annotated[int, typer.Option("--iterations", min=1, help="Meta-updates.")] = 2000,
    k_shot: Annotated[int, typer.Option("--k-shot", min=1, help="Support rows per task.")] = 10,
    k_query: Annotated[int, typer.Option("--k-query", min=1, help="Query rows per task.")] = 10,
    adapt_steps: Annotated[
        int, typer.Option("--adapt-steps", min=1, help="Steps of a later adapt.")
    ] = 10,
    inner_lr: Annotated[float, typer.Option("--inner-lr", min=0.0, help="Inner step size.")] = 0.01,
    inner_steps: Annotated[
        int, typer.Option("--inner-steps", min=1, help="Inner steps in training.")
    ] = 1,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Meta-train an initialisation (MAML / Meta-SGD) on a family of same-schema tasks."""
    with deferred_interrupts():  # torch's import
        from autometa.maml import MAMLClassifier, MAMLRegressor
        from autometa.maml.families import load_family

    family = load_family(tasks, target, group_column)
    cls = MAMLRegressor if family.regression else MAMLClassifier
    est = cls(algorithm=algorithm.value, meta_iterations=iterations, k_shot=k_shot,
              k_query=k_query, adapt_steps=adapt_steps, inner_lr=inner_lr,
              inner_steps=inner_steps, device=device, random_state=seed)  # fmt: skip
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

        est.meta_fit(family.tasks, callback=show)
    est.save_initialisation(out_file)
    assert est.init is not None
    kind = "regression" if family.regression else f"classification, {len(est.init.classes)} classes"
    out.print(
        f"{algorithm.value} on {len(family.tasks)} tasks ({kind}, {len(family.features)} "
        f"features): {iterations} meta-updates in {time.perf_counter() - start:.1f} s, query "
        f"loss {np.mean(losses[:100]):.4f} -> {np.mean(losses[-100:]):.4f} -> {out_file}"
    )


@app.command()
@guarded
def adapt(
    init_file: Annotated[Path, typer.Argument(help="File written by `autometa maml train`.")],
    data: Annotated[Path, typer.Argument(help="The new task's rows (features + target).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Target column.")],
    predict: Annotated[
        Path | None, typer.Option("--predict", help="Rows to predict after adapting.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV of predictions (default stdout).")
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=0, help="Adaptation steps (default: the file's).")
    ] = None,
) -> None:
    """Adapt a meta-learned initialisation to a new task in a few gradient steps."""
    with deferred_interrupts():  # torch's import
        from autometa.maml import MAMLClassifier, load_initialisation
        from autometa.maml.families import select_features

    est = load_initialisation(init_file)
    if steps is not None:
        est.adapt_steps = steps
    frame = read_file(data)
    if target not in frame.columns:
        raise BadInputError(f"Target column '{target}' not found in '{data}'.")
    saved = est.init.feature_names if est.init is not None else []
    names = saved or [c for c in frame.columns if c != target]
    X, y = select_features(frame, names, f"'{data}'"), frame[target]
    y_fit = y.astype(str).to_numpy() if isinstance(est, MAMLClassifier) else y.to_numpy(float)
    before = _quality(est, X, y_fit, 0)
    est.fit(X, y_fit)
    after = _quality(est, X, y_fit, est.adapt_steps)
    err.print(f"adapted on {len(y)} rows in {est.adapt_steps} steps: {before} -> {after}")
    if predict is None:
        return
    new = read_file(predict)
    result = pd.DataFrame({"prediction": est.predict(select_features(new, names, f"'{predict}'"))})
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
