"""Run the builder's units on a Dask cluster through joblib's Dask backend.

>>> with dask_client(workers=2):          # a local cluster of 2 worker processes
...     build(refs, configs, out, backend="dask")

or ``dask_client(scheduler="tcp://host:8786")`` for a running cluster. Results go through
the same resumable store as a local build; units are deterministic under the build's
random state, so the records equal a local build's (apart from timings).

Note: Dask runs tasks in worker threads, where no SIGALRM time limit is possible; the row
cap bounds each fit instead (a per-fit limit applies to local builds only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autometa.exceptions import AutometaError

__all__ = ["dask_client"]


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A connected ``distributed.Client``: to ``scheduler`` if given, else to a new local
    cluster of ``workers`` single-threaded worker processes (closed on exit)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise AutometaError(
            "The Dask backend needs dask[distributed]: pip install 'autometa[dist]'."
        ) from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise AutometaError(
                f"Could not reach the Dask scheduler at {scheduler} ({exc})."
            ) from exc
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
