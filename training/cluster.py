"""The ``dask.distributed`` client that training on Dask runs on (``Settings.engine`` ``dask``).

With ``dask_scheduler_address`` set, it connects to that cluster's scheduler; without one, it
starts a LocalCluster of ``dask_workers`` single-threaded workers on this machine (on the TCP
protocol, which LightGBM's workers need to find each other) and closes it afterwards. Its workers
hold at most ``dask_worker_memory_limit`` each and spill to ``dask_local_directory``. Its
scheduler runs in this process, beside the client, so Dask's expression cache is first made to
read its entries in one step (``training.dask_expression_cache``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from settings import Settings
from training.dask_expression_cache import read_expression_cache_once


@contextmanager
def training_client(settings: Settings) -> Iterator[Client]:
    """A client that is the default one while the ``with`` block runs."""
    if settings.dask_scheduler_address:
        with Client(settings.dask_scheduler_address) as client:
            yield client
        return
    read_expression_cache_once()
    with (
        LocalCluster(
            n_workers=settings.dask_workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=":0",
            memory_limit=settings.dask_worker_memory_limit or "auto",
            local_directory=None if settings.dask_local_directory is None else str(settings.dask_local_directory),
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
