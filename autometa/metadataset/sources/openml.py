"""OpenML datasets, tasks and suites through the ``openml`` package and its cache.

With network access the package downloads what the cache lacks; without it (as in the
tests) everything comes from the cache. OpenML's categorical indicators map to our
categorical kind; the class column is the task's target (tasks) or the dataset's default
target (dataset ids). Names are ``openml.<id>.<name>`` for datasets and
``openml.task<id>.<name>`` for tasks; each is its own family. The openml package does not
cache suites, so the task ids of a fetched suite are kept in
``<cache>/autometa-suites/<suite>.json`` for later offline use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from autometa.exceptions import BadInputError
from autometa.metadataset.sources import DatasetRef
from autometa.table.tabular import Task, load_table

__all__ = ["openml_cache", "openml_datasets", "openml_suite", "openml_tasks"]


@contextmanager
def openml_cache(cache_dir: str | Path | None) -> Iterator[None]:
    """Point the openml package at ``cache_dir`` for the block (its own default if None)."""
    import openml

    if cache_dir is None:
        yield
        return
    previous = openml.config._root_cache_directory
    openml.config.set_root_cache_directory(str(cache_dir))
    try:
        yield
    finally:
        openml.config.set_root_cache_directory(str(previous))


def _get(dataset_id: int, cache_dir: str | Path | None, download: bool) -> object:
    import openml

    try:
        with openml_cache(cache_dir):
            return openml.datasets.get_dataset(
                dataset_id,
                download_data=download,
                download_qualities=False,
                download_features_meta_data=download,
            )
    except Exception as exc:  # the package raises many kinds: server, connection, parse
        where = f"the cache at '{cache_dir}'" if cache_dir else "the openml cache"
        raise BadInputError(
            f"OpenML dataset {dataset_id} is neither in {where} nor reachable on the server "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from exc


def _load(
    dataset_id: int, name: str, cache_dir: str | Path | None, target: str | None = None
) -> Task:
    dataset = _get(dataset_id, cache_dir, download=True)
    target = target or dataset.default_target_attribute  # type: ignore[attr-defined]
    if not target:
        raise BadInputError(f"OpenML dataset {dataset_id} has no default target attribute.")
    with openml_cache(cache_dir):
        X, y, categorical, names = dataset.get_data(target=target)  # type: ignore[attr-defined]
    frame = X.copy()
    for column, is_categorical in zip(names, categorical, strict=True):
        if is_categorical:  # OpenML's indicator wins over our integer-cardinality rule
            frame[column] = frame[column].map(str, na_action="ignore").astype(object)
    frame[target] = y
    return load_table(frame, target, name=name, task="classification")


def openml_datasets(
    dataset_ids: list[int], cache_dir: str | Path | None = None
) -> list[DatasetRef]:
    """References to OpenML datasets by id (descriptions read now, data when loaded).

    Raises
    ------
    BadInputError
        When an id is neither in the cache nor reachable on the server.
    """
    refs = []
    for did in dataset_ids:
        description = _get(int(did), cache_dir, download=False)
        name = f"openml.{did}.{description.name}"  # type: ignore[attr-defined]
        refs.append(DatasetRef(name, name, "openml", partial(_load, int(did), name, cache_dir)))
    return refs


def _unreachable(what: str, cache_dir: str | Path | None, exc: Exception) -> BadInputError:
    where = f"the cache at '{cache_dir}'" if cache_dir else "the openml cache"
    return BadInputError(
        f"OpenML {what} is neither in {where} nor reachable on the server "
        f"({type(exc).__name__}: {str(exc)[:200]})."
    )


def openml_tasks(task_ids: list[int], cache_dir: str | Path | None = None) -> list[DatasetRef]:
    """References to the datasets of OpenML tasks, with each task's target."""
    import openml

    refs = []
    for tid in task_ids:
        try:
            with openml_cache(cache_dir):
                task = openml.tasks.get_task(
                    int(tid), download_splits=False, download_data=False,
                    download_qualities=False, download_features_meta_data=True,
                )  # fmt: skip
        except Exception as exc:  # server, connection or parse errors of the package
            raise _unreachable(f"task {tid}", cache_dir, exc) from exc
        did, target = int(task.dataset_id), str(task.target_name)  # type: ignore[attr-defined]
        description = _get(did, cache_dir, download=False)
        name = f"openml.task{tid}.{description.name}"  # type: ignore[attr-defined]
        refs.append(DatasetRef(name, name, "openml", partial(_load, did, name, cache_dir, target)))
    return refs


def openml_suite(suite: int | str, cache_dir: str | Path | None = None) -> list[DatasetRef]:
    """References to every task of an OpenML suite (e.g. 99 = OpenML-CC18)."""
    import json

    import openml

    with openml_cache(cache_dir):
        store = Path(openml.config._root_cache_directory) / "autometa-suites" / f"{suite}.json"
    if store.exists():
        task_ids = json.loads(store.read_text())["task_ids"]
    else:
        try:
            with openml_cache(cache_dir):
                task_ids = [int(t) for t in openml.study.get_suite(suite).tasks]  # type: ignore[union-attr]
        except Exception as exc:  # server, connection or parse errors of the package
            raise _unreachable(f"suite {suite}", cache_dir, exc) from exc
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps({"suite": str(suite), "task_ids": task_ids}))
    return openml_tasks(task_ids, cache_dir)
