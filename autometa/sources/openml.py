"""OpenML datasets through the ``openml`` package and its cache directory.

With network access the package downloads what the cache lacks; without it (as in the
tests) everything comes from the cache. OpenML's categorical indicators map to our
categorical kind and the dataset's default target becomes the class column. Dataset
names are ``openml.<id>.<name>``; each dataset is its own family.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from autometa.exceptions import BadInputError
from autometa.sources import DatasetRef
from autometa.tabular import Task, load_table

__all__ = ["openml_cache", "openml_datasets"]


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


def _load(dataset_id: int, name: str, cache_dir: str | Path | None) -> Task:
    dataset = _get(dataset_id, cache_dir, download=True)
    target = dataset.default_target_attribute  # type: ignore[attr-defined]
    if not target:
        raise BadInputError(f"OpenML dataset {dataset_id} has no default target attribute.")
    with openml_cache(cache_dir):
        X, y, categorical, names = dataset.get_data(target=target)  # type: ignore[attr-defined]
    frame = X.copy()
    for column, is_categorical in zip(names, categorical, strict=True):
        if is_categorical:  # OpenML's indicator wins over our integer-cardinality rule
            frame[column] = frame[column].map(str, na_action="ignore").astype(object)
    frame[target] = y
    return load_table(frame, target, name=name)


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
