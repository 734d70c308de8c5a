"""The LocalCluster of training on Dask: its workers' memory limit and spill folder come from the settings."""

from __future__ import annotations

import pytest

from settings import Settings
from training.cluster import training_client


def test_local_cluster_workers_take_the_memory_limit_and_spill_folder(tmp_path):
    settings = Settings(
        data_dir=tmp_path, dask_workers=1, dask_worker_memory_limit="1GB", dask_local_directory=tmp_path / "spill"
    )
    with training_client(settings) as client:
        (worker,) = client.scheduler_info()["workers"].values()
        folders = client.run(lambda dask_worker: dask_worker.local_directory)
    assert worker["memory_limit"] == 10**9
    assert all(str(folder).startswith(str(tmp_path / "spill")) for folder in folders.values())


def test_a_memory_limit_dask_cannot_read_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="dask_worker_memory_limit"):
        Settings(dask_worker_memory_limit="5 gigs")
