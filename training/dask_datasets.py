"""The training sets of the models that train on Dask, from the canonical tables, as lazy frames.

The classifiers' rows come from the Dask feature path (``features.distributed``). A demand series
is one SKU-location, so with every table partitioned by SKU (``features.distributed.partitioned_by``)
the pandas ``daily_demand`` runs unchanged on each partition and its series are whole there:
what ``DemandForecaster`` needs to fit on Dask.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dask.dataframe as dd
import pandas as pd

from features.build import TIMESTAMP, sku_location_feature_names
from features.distributed import (
    feature_frames_dask,
    order_line_training_rows_dask,
    partitioned_by,
    read_tables_dask,
    run_by_partition,
    sku_location_training_rows_dask,
)
from features.labels import DEFAULT_HORIZON
from features.order_line import request_feature_names
from training.dask_folds import most_recent_dask, naive_times
from training.recipes import ClassifierJob
from training.world_datasets import daily_demand, recent_cut

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
    folder: Path,
    skus: pd.DataFrame,
    job: ClassifierJob,
    npartitions: int,
    model_outputs: Mapping[str, Path] | None = None,
) -> tuple[dd.DataFrame, list[str]]:
    """A classifier's training set from the canonical tables in ``folder`` and the features it
    reads: SKU-location rows, or order lines with their request features (``job.request_features``),
    with the SKUs' category; the values ``backorder features build`` and Feast's point-in-time join
    give. ``model_outputs`` are the as-of outputs the build reads (``forecasts``, ``po_etas``:
    their Parquet files, ``pipelines.asof_outputs.asof_inputs``); without them the as-of features
    are missing, as in a build without them. The join's TTL is the feature views'
    (``features.feast_repo.definitions.TTL``).

    With ``job.max_rows``, the features are computed over the recent days that can hold the latest
    ``max_rows`` rows and ``min_days`` days (``recent_start``; each with its look-back, so the same
    values), and over the whole history only when the rows kept would start before those days.
    """
    tables = read_tables_dask(folder)
    outputs = {name: dd.read_parquet(path, split_row_groups=True) for name, path in (model_outputs or {}).items()}
    since = recent_start(tables, job)
    rows, features = _training_rows(tables, outputs, skus, job, npartitions, since)
    kept, cut = most_recent_dask(rows, job.time_column, job.max_rows, job.min_days)
    if since is not None and (cut is None or cut < since):  # the rows kept reach before the days computed
        rows, features = _training_rows(tables, outputs, skus, job, npartitions, None)
        kept, _ = most_recent_dask(rows, job.time_column, job.max_rows, job.min_days)
    return kept, features


def recent_start(tables: Mapping[str, dd.DataFrame | pd.DataFrame], job: ClassifierJob) -> pd.Timestamp | None:
    """The first day of the recent days that hold at least ``job.max_rows`` training rows and
    ``job.min_days`` days, or None (no cap, or not that many rows).

    Counted cheaply, without the features: a snapshot per SKU-location row, an order per day for
    order lines (an order has one line or more). A row's label is complete only ``DEFAULT_HORIZON``
    days after it, so the start goes back that much more.
    """
    if job.max_rows is None:
        return None
    if job.request_features:
        days = naive_times(tables["orders"]["order_time"]).dt.floor("D")
    else:
        days = tables["inventory_snapshots"]["snapshot_date"]
    per_day = days.value_counts().compute().sort_index(ascending=False)
    enough = per_day.index[per_day.cumsum().to_numpy() >= job.max_rows]
    if enough.empty:
        return None
    start = recent_cut(enough[0], per_day.index[0], job.min_days)
    return start.normalize() - pd.Timedelta(days=DEFAULT_HORIZON)


def _training_rows(
    tables: Mapping[str, dd.DataFrame | pd.DataFrame],
    outputs: Mapping[str, dd.DataFrame],
    skus: pd.DataFrame,
    job: ClassifierJob,
    npartitions: int,
    since: pd.Timestamp | None,
) -> tuple[dd.DataFrame, list[str]]:
    """The job's rows from ``since`` on (all when None), with the SKUs' category. An order line
    reads the SKU-location features of up to a TTL before it, so those start that much earlier."""
    from features.feast_repo.definitions import TTL

    ttl = pd.Timedelta(TTL)
    features_since = since
    if since is not None and job.request_features:
        features_since = since - ttl.ceil("D") - pd.Timedelta(days=1)
    sku_location, supplier, lane, lines = feature_frames_dask(tables, npartitions, **outputs, since=features_since)
    features = sku_location_feature_names()
    if job.request_features:
        if since is not None:
            lines = lines[naive_times(lines[TIMESTAMP]) >= since]
        rows = order_line_training_rows_dask(sku_location, supplier, lane, lines, npartitions, ttl)
        features = [*features, *request_feature_names()]
    else:
        rows = sku_location_training_rows_dask(sku_location, supplier, lane)
    category = skus.set_index("sku_id")["category"]
    return rows.assign(category=rows["sku_id"].map(category, meta=("category", category.dtype))), features
