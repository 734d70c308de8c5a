"""Training on Dask: the risk classifier fitted on a two-worker LocalCluster, from the Dask
feature path's lazy rows, scores like the single-process fit on the same rows."""

from __future__ import annotations

from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest

from features.build import REQUIRED_TABLES, build_feature_tables, sku_location_feature_names
from features.distributed import feature_frames_dask, read_tables_dask, sku_location_training_rows_dask
from tests.conftest import local_cluster
from training.recipes import SKU_LOCATION_RISK, unsampled
from training.world_models import train_classifier

KEYS = ["sku_id", "location_id", "snapshot_date"]
JOB = unsampled(SKU_LOCATION_RISK)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    from pipelines.commands.simulate import write_simulation
    from simulation import scenario_config

    folder = tmp_path_factory.mktemp("dask_world")
    write_simulation(scenario_config("baseline", seed=0, n_skus=80, n_days=240), folder)
    return folder


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as client:
        yield client


@pytest.fixture(scope="module")
def lazy_rows(world_dir, client) -> dd.DataFrame:
    sku_location, supplier, lane, _ = feature_frames_dask(read_tables_dask(world_dir), npartitions=2)
    return sku_location_training_rows_dask(sku_location, supplier, lane).persist()  # on the workers, built once


@pytest.mark.slow
def test_dask_training_rows_are_the_label_rows_with_their_served_features(world_dir, lazy_rows):
    from pipelines.tables import read_canonical_tables

    built = build_feature_tables(read_canonical_tables(world_dir, REQUIRED_TABLES))
    want = built.sku_location_labels.merge(built.sku_location_features, on=[*KEYS, "event_timestamp"])
    have = lazy_rows.compute()
    columns = [*KEYS, "label", *sku_location_feature_names()]
    order = dict(by=KEYS, ignore_index=True)
    pd.testing.assert_frame_equal(
        have[columns].sort_values(**order), want[columns].sort_values(**order), check_dtype=False
    )


@pytest.mark.slow
def test_dask_fit_scores_like_the_single_process_fit_on_the_same_rows(lazy_rows, client):
    features = sku_location_feature_names()
    on_dask = train_classifier(JOB, lazy_rows, features, num_threads=1)
    in_process = train_classifier(JOB, lazy_rows.compute(), features, num_threads=1)
    assert on_dask.record.params["cutoffs"] == in_process.record.params["cutoffs"]
    assert on_dask.record.params["fold_sizes"] == in_process.record.params["fold_sizes"]
    assert on_dask.record.metrics["pr_auc"] == pytest.approx(in_process.record.metrics["pr_auc"], abs=0.01)
