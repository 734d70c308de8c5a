"""The demand model's training set on Dask, from the canonical tables, partitioned by SKU.

A demand series is one SKU-location, so with every table partitioned by SKU
(``features.distributed.partitioned_by``) the pandas ``daily_demand`` runs unchanged on each
partition and its series are whole there: what ``DemandForecaster`` needs to fit on Dask.
"""

from __future__ import annotations

from pathlib import Path

import dask.dataframe as dd
import pandas as pd

from features.distributed import partitioned_by, run_by_partition
from training.world_datasets import daily_demand

# The canonical tables the demand series are made of (``skus`` is small and read whole).
DEMAND_TABLES = ("order_lines", "orders", "promotions", "inventory_snapshots")


def _demand_part(
    lines: pd.DataFrame,
    promotions: pd.DataFrame,
    snapshots: pd.DataFrame,
    *,
    number: int,
    npartitions: int,
    skus: pd.DataFrame,
    history_days: int | None,
) -> pd.DataFrame:
    orders = lines[["order_id", "order_time"]].drop_duplicates("order_id")
    return daily_demand(lines.drop(columns=["order_time"]), orders, promotions, snapshots, skus, history_days)


def daily_demand_dask(
    folder: Path, skus: pd.DataFrame, npartitions: int, history_days: int | None = None
) -> dd.DataFrame:
    """``daily_demand`` of the canonical tables in ``folder`` as a lazy Dask frame whose
    ``npartitions`` partitions each hold whole series (every SKU of one partition number)."""
    tables = {name: dd.read_parquet(folder / f"{name}.parquet") for name in DEMAND_TABLES}
    lines = tables["order_lines"].merge(tables["orders"][["order_id", "order_time"]], on="order_id", how="inner")
    by_sku = [
        partitioned_by(frame, "sku_id", npartitions)
        for frame in (lines, tables["promotions"], tables["inventory_snapshots"])
    ]
    return run_by_partition(
        _demand_part, by_sku, npartitions, skus=skus[["sku_id", "category"]], history_days=history_days
    )
