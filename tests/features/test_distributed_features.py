"""The Dask path (partitioned by SKU / supplier, on a LocalCluster) equals the pandas path."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from features.build import build_feature_tables
from features.distributed import build_feature_tables_dask


@pytest.mark.slow
def test_dask_partitions_by_sku_give_the_pandas_result(world):
    expected = build_feature_tables(world)
    large = (
        "inventory_snapshots",
        "orders",
        "order_lines",
        "purchase_orders",
        "asn_events",
        "promotions",
    )
    tables = {
        name: dd.from_pandas(frame, npartitions=2) if name in large else frame
        for name, frame in world.items()
    }
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        got = build_feature_tables_dask(
            tables, npartitions=4
        )  # more partitions than needed: some empty
    for name, frame in expected.as_dict().items():
        keys = [
            c
            for c in (
                "order_id",
                "line_id",
                "sku_id",
                "location_id",
                "supplier_id",
                "date",
                "snapshot_date",
            )
            if c in frame.columns
        ]
        want = frame.sort_values(keys).reset_index(drop=True)
        have = getattr(got, name).sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(have, want, obj=name)
