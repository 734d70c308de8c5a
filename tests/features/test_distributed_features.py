"""The Dask path (partitioned by SKU / supplier, on a LocalCluster) equals the pandas path, as-of
model outputs included."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest

from features.build import REQUIRED_TABLES, asof_feature_names, build_feature_tables
from features.distributed import ROW_ORDER, SMALL_TABLES, build_feature_tables_dask
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
