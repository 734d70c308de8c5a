"""The training sets of the models that train on Dask, from the canonical tables, as lazy frames.

The classifiers' rows come from the Dask feature path (``features.distributed``). A demand series
is one SKU-location, so with every table partitioned by SKU (``features.distributed.partitioned_by``)
the pandas ``daily_demand`` runs unchanged on each partition and its series are whole there:
what ``DemandForecaster`` needs to fit on Dask.
"""

from __future__ import annotations

from pathlib import Path

import dask.dataframe as dd
import pandas as pd

from features.build import sku_location_feature_names
from features.distributed import (
    feature_frames_dask,
    order_line_training_rows_dask,
    partitioned_by,
    read_tables_dask,
    run_by_partition,
    sku_location_training_rows_dask,
)
from features.order_line import request_feature_names
from training.dask_folds import most_recent_dask
from training.recipes import ClassifierJob
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
    tables = {name: dd.read_parquet(folder / f"{name}.parquet", split_row_groups=True) for name in DEMAND_TABLES}
    lines = tables["order_lines"].merge(tables["orders"][["order_id", "order_time"]], on="order_id", how="inner")
    by_sku = [
        partitioned_by(frame, "sku_id", npartitions)
        for frame in (lines, tables["promotions"], tables["inventory_snapshots"])
    ]
    return run_by_partition(
        _demand_part, by_sku, npartitions, skus=skus[["sku_id", "category"]], history_days=history_days
    )


def classifier_rows_dask(
    folder: Path, skus: pd.DataFrame, job: ClassifierJob, npartitions: int
) -> tuple[dd.DataFrame, list[str]]:
    """A classifier's training set from the canonical tables in ``folder`` and the features it
    reads: SKU-location rows, or order lines with their request features (``job.request_features``),
    with the SKUs' category; the values ``backorder features build`` and Feast's point-in-time join
    give. The join's TTL is the feature views' (``features.feast_repo.definitions.TTL``)."""
    from features.feast_repo.definitions import TTL

    sku_location, supplier, lane, lines = feature_frames_dask(read_tables_dask(folder), npartitions)
    features = sku_location_feature_names()
    if job.request_features:
        rows = order_line_training_rows_dask(sku_location, supplier, lane, lines, npartitions, pd.Timedelta(TTL))
        features = [*features, *request_feature_names()]
    else:
        rows = sku_location_training_rows_dask(sku_location, supplier, lane)
    categories = skus[["sku_id", "category"]]
    rows = rows.merge(categories.astype({"sku_id": rows["sku_id"].dtype}), on="sku_id", how="left")
    return most_recent_dask(rows, job.time_column, job.max_rows), features
