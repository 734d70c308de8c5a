"""The ``dask.distributed`` client that training on Dask runs on (``Settings.engine`` ``dask``).

With ``dask_scheduler_address`` set, it connects to that cluster's scheduler; without one, it
starts a LocalCluster of ``dask_workers`` single-threaded workers on this machine (on the TCP
protocol, which LightGBM's workers need to find each other) and closes it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from settings import Settings


@contextmanager
def training_client(settings: Settings) -> Iterator[Client]:
    """A client that is the default one while the ``with`` block runs."""
    if settings.dask_scheduler_address:
        with Client(settings.dask_scheduler_address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=settings.dask_workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
