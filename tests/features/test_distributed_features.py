"""The Dask path (partitioned by SKU / supplier, on a LocalCluster) equals the pandas path, as-of
model outputs included."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest

from features.build import REQUIRED_TABLES, asof_feature_names, build_feature_tables
from features.distributed import ROW_ORDER, SMALL_TABLES, build_feature_tables_dask, read_tables_dask
from tests.conftest import local_cluster


def _model_outputs(world: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Made-up as-of outputs in the build's formats: a constant forecast, ETAs a day late."""
    snaps = world["inventory_snapshots"]
    forecasts = snaps[["sku_id", "location_id"]].assign(ds=snaps["snapshot_date"], forecast=1.5)
    pos = world["purchase_orders"]
    late = pos["promised_date"] + pd.Timedelta(days=1)
    etas = pos[["po_id", "sku_id"]].assign(eta_p50=late, eta_p90=late + pd.Timedelta(days=3), p_late=0.4)
    return forecasts, etas


@pytest.mark.slow
def test_dask_partitions_by_sku_give_the_pandas_result(world):
    forecasts, etas = _model_outputs(world)
    expected = build_feature_tables(world, forecasts=forecasts, po_etas=etas)
    assert expected.sku_location_features[asof_feature_names()].notna().any().all()
    large = set(REQUIRED_TABLES) - set(SMALL_TABLES)
    tables = {name: dd.from_pandas(frame, npartitions=2) if name in large else frame for name, frame in world.items()}
    with local_cluster(2):
        got = build_feature_tables_dask(
            tables, npartitions=4, forecasts=forecasts, po_etas=etas
        )  # more partitions than needed: some empty
    for name, frame in expected.as_dict().items():
        keys = [c for c in ROW_ORDER if c in frame.columns]
        want = frame.sort_values(keys).reset_index(drop=True)
        have = getattr(got, name).sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(have, want, obj=name)


@pytest.mark.slow
def test_dask_training_rows_carry_the_asof_features_of_the_outputs_given(world, tmp_path):
    from dataclasses import replace

    from pipelines.tables import write_canonical_tables
    from training.dask_datasets import classifier_rows_dask
    from training.recipes import SKU_LOCATION_RISK

    forecasts, etas = _model_outputs(world)
    write_canonical_tables(world, tmp_path / "canonical")
    outputs = {"forecasts": tmp_path / "forecasts.parquet", "po_etas": tmp_path / "po_etas.parquet"}
    forecasts.to_parquet(outputs["forecasts"], index=False)
    etas.to_parquet(outputs["po_etas"], index=False)
    built = build_feature_tables(world, forecasts=forecasts, po_etas=etas)
    keys = ["sku_id", "location_id", "snapshot_date"]
    want = built.sku_location_labels.merge(built.sku_location_features, on=[*keys, "event_timestamp"])
    job = replace(SKU_LOCATION_RISK, max_rows=None)
    with local_cluster(2):
        rows, features = classifier_rows_dask(tmp_path / "canonical", world["skus"], job, 2, outputs)
        have = rows.compute()
        bare = classifier_rows_dask(tmp_path / "canonical", world["skus"], job, 2)[0].compute()
    assert set(asof_feature_names()) <= set(features)
    columns = [*keys, *asof_feature_names()]
    pd.testing.assert_frame_equal(
        have[columns].sort_values(keys, ignore_index=True),
        want[columns].sort_values(keys, ignore_index=True),
        check_dtype=False,
    )
    assert have[asof_feature_names()].notna().any().all()
    assert bare[asof_feature_names()].isna().all().all()  # without the outputs, as a build without them


def test_large_tables_are_read_a_partition_per_row_group(world, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from features.distributed import read_tables_dask

    for name in REQUIRED_TABLES:
        frame = world[name]
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False),
            tmp_path / f"{name}.parquet",
            row_group_size=max(1, -(-len(frame) // 3)),
        )
    tables = read_tables_dask(tmp_path)
    snapshots = tables["inventory_snapshots"]
    assert snapshots.npartitions == 3
    pd.testing.assert_frame_equal(
        snapshots.compute().reset_index(drop=True),
        world["inventory_snapshots"].reset_index(drop=True),
        check_dtype=False,  # Dask reads text as Arrow strings
    )


@pytest.mark.slow
@pytest.mark.parametrize("lines", [False, True], ids=["sku_location", "order_lines"])
def test_capped_training_rows_from_recent_days_equal_those_of_all_days(world, tmp_path, lines, monkeypatch):
    from dataclasses import replace

    from pipelines.tables import write_canonical_tables
    from training import dask_datasets
    from training.dask_folds import most_recent_dask
    from training.recipes import BACKORDER_RISK, SKU_LOCATION_RISK

    write_canonical_tables(world, tmp_path)
    tables = read_tables_dask(tmp_path)
    job = replace(BACKORDER_RISK if lines else SKU_LOCATION_RISK, max_rows=None)
    keys = ["order_id", "line_id"] if lines else ["sku_id", "location_id", "snapshot_date"]
    with local_cluster(2):
        whole = dask_datasets._training_rows(tables, {}, world["skus"], job, 2, None)[0].persist()
        # A quarter of the rows spans fewer days than the latest 25: those days are kept instead.
        job = replace(job, max_rows=int(whole.shape[0].compute()) // 4, min_days=25)
        want = most_recent_dask(whole, job.time_column, job.max_rows, job.min_days)[0].compute()
        capped = most_recent_dask(whole, job.time_column, job.max_rows)[0].compute()
        assert dask_datasets.recent_start(tables, job) > world["inventory_snapshots"]["snapshot_date"].min()
        got = dask_datasets.classifier_rows_dask(tmp_path, world["skus"], job, 2)[0].compute()
        last_day = world["inventory_snapshots"]["snapshot_date"].max()
        monkeypatch.setattr(dask_datasets, "recent_start", lambda *_: last_day)  # too few rows from there
        fallback = dask_datasets.classifier_rows_dask(tmp_path, world["skus"], job, 2)[0].compute()
    days = pd.to_datetime(want[job.time_column]).dt.tz_localize(None).dt.normalize()
    assert len(want) > len(capped) and days.min() >= days.max() - pd.Timedelta(days=job.min_days - 1)
    for have in (got, fallback):
        pd.testing.assert_frame_equal(
            have.sort_values(keys, ignore_index=True), want.sort_values(keys, ignore_index=True), check_dtype=False
        )
