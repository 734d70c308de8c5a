"""The same feature functions on Dask, partitioned by SKU (or supplier), for long histories.

Every SKU-location and lane feature depends only on rows of its own SKU, and every supplier
feature only on rows of its own supplier. So each table gets a partition number (a stable hash of
that key), is indexed on it with the same explicit divisions, and the unchanged pandas functions of
``features.build`` run on matching partitions with ``map_partitions``. Calendar bounds are global
and computed first, so every partition uses the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from features.build import (
    REQUIRED_TABLES,
    TIMESTAMP,
    FeatureTables,
    calendar_of,
    check_tables,
    lane_table,
    order_line_table,
    sku_location_table,
    split_tables,
    supplier_table,
)
from features.demand import demand_feature_names, order_demand
from features.inventory import inventory_feature_names
from features.labels import DEFAULT_HORIZON
from features.order_line import with_request_features
from features.supplier import lane_feature_names, supplier_feature_names
from features.view_rows import order_line_rows, sku_location_rows

# Tables read whole as pandas frames on every partition; the others may be Dask frames.
SMALL_TABLES = ("suppliers", "sku_suppliers")
# Columns that order the rows of every feature table (those a table has), as the pandas path does.
ROW_ORDER = ("order_id", "line_id", "sku_id", "location_id", "supplier_id", "date", "snapshot_date")

PART = "_part"


def partition_of(keys: pd.Series, npartitions: int) -> np.ndarray:
    """Stable partition number of each key (the same in every process and every table)."""
    return (pd.util.hash_pandas_object(keys, index=False).to_numpy() % npartitions).astype("int64")


def partitioned_by(frame: dd.DataFrame, key: str, npartitions: int) -> dd.DataFrame:
    """``frame`` indexed on the partition number of ``key``: partition i holds number i only."""
    part = frame[key].map_partitions(partition_of, npartitions, meta=(PART, "int64"))
    divisions = (*range(npartitions), npartitions - 1)
    return frame.assign(**{PART: part}).set_index(PART, divisions=divisions)


def run_by_partition(
    func: Callable[..., pd.DataFrame],
    frames: list[dd.DataFrame],
    npartitions: int,
    **kwargs: object,
) -> dd.DataFrame:
    """``func(*parts, number=i, npartitions=n, **kwargs)`` on the i-th partition of each frame."""

    def one(*parts: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
        number = partition_info["number"] if partition_info else 0
        for part in parts:
            if len(part) and not (part.index == number).all():
                raise RuntimeError(f"partition {number} holds rows of another partition")
        return func(
            *[p.reset_index(drop=True) for p in parts],
            number=number,
            npartitions=npartitions,
            **kwargs,
        )

    meta = func(
        *[f._meta.reset_index(drop=True) for f in frames],
        number=-1,
        npartitions=npartitions,
        **kwargs,
    )
    aligned = [
        f if f.npartitions == npartitions else f.repartition(npartitions=npartitions)
        for f in frames
    ]
    return dd.map_partitions(
        one, *aligned, meta=meta, align_dataframes=False, enforce_metadata=False
    )


def _pandas(frame: pd.DataFrame | dd.DataFrame) -> pd.DataFrame:
    return frame.compute() if isinstance(frame, dd.DataFrame) else frame


def _mine(frame: pd.DataFrame, key: str, number: int, npartitions: int) -> pd.DataFrame:
    return frame[partition_of(frame[key], npartitions) == number]


def _sku_location_part(
    snapshots, lines, promotions, pos, asn, *model_outputs, number, sku_suppliers, npartitions, horizon, outputs, since
):
    terms = _mine(sku_suppliers, "sku_id", number, npartitions)
    given = dict(zip(outputs, model_outputs, strict=True))
    return sku_location_table(
        snapshots, lines, promotions, pos, asn.drop(columns=["sku_id"]), terms, horizon,
        given.get("forecasts"), given.get("po_etas"), since,
    )


def _supplier_part(pos, *, number, supplier_ids, npartitions, calendar, since):
    ids = supplier_ids[partition_of(supplier_ids, npartitions) == number]
    return supplier_table(pos, ids, calendar, since)


def _lane_part(pos, *, number, sku_suppliers, npartitions, calendar, since):
    return lane_table(_mine(sku_suppliers, "sku_id", number, npartitions), pos, calendar, since)


def read_tables_dask(folder: Path) -> dict[str, dd.DataFrame | pd.DataFrame]:
    """The feature path's canonical tables in ``folder`` (``<table>.parquet``): the large ones as
    lazy Dask frames read by the workers, a partition per Parquet row group (Dask would otherwise
    read a whole file of well-compressed rows as one partition, bigger than a worker), and
    ``SMALL_TABLES`` as pandas frames."""
    return {
        name: pd.read_parquet(folder / f"{name}.parquet")
        if name in SMALL_TABLES
        else dd.read_parquet(folder / f"{name}.parquet", split_row_groups=True)
        for name in REQUIRED_TABLES
    }


def feature_frames_dask(
    tables: dict[str, dd.DataFrame | pd.DataFrame],
    npartitions: int,
    horizon: int = DEFAULT_HORIZON,
    forecasts: dd.DataFrame | pd.DataFrame | None = None,
    po_etas: dd.DataFrame | pd.DataFrame | None = None,
    since: pd.Timestamp | None = None,
) -> tuple[dd.DataFrame, dd.DataFrame, dd.DataFrame, dd.DataFrame]:
    """Lazy SKU-location, supplier, lane and order-line frames, as in ``build``.

    Large tables are Dask DataFrames (e.g. ``dd.read_parquet``); ``suppliers`` and
    ``sku_suppliers`` are small and are used as pandas frames. ``forecasts`` and ``po_etas``
    (the as-of model outputs, with ``sku_id``) are partitioned by SKU like the large tables.
    With ``since``, only the rows of days from ``since`` on (order lines ordered from then on),
    with the values a pass over the whole history gives (the build's ``since``).
    """
    check_tables(tables)
    small = {name: _pandas(tables[name]) for name in SMALL_TABLES}
    snapshots, pos = tables["inventory_snapshots"], tables["purchase_orders"]
    first, last, first_po = dd.compute(
        snapshots["snapshot_date"].min(), snapshots["snapshot_date"].max(), pos["order_date"].min()
    )
    calendar = calendar_of(
        {
            "inventory_snapshots": pd.DataFrame({"snapshot_date": [first, last]}),
            "purchase_orders": pd.DataFrame({"order_date": [first_po]}).dropna(),
        }
    )
    header = tables["orders"][["order_id", "order_time", "customer_tier"]]
    lines = tables["order_lines"].merge(header, on="order_id", how="inner")
    lines = lines.assign(order_date=lines["order_time"].dt.floor("D"))
    asn = tables["asn_events"].merge(pos[["po_id", "sku_id"]], on="po_id", how="inner")
    outputs = {name: f for name, f in (("forecasts", forecasts), ("po_etas", po_etas)) if f is not None}
    outputs = {
        name: f if isinstance(f, dd.DataFrame) else dd.from_pandas(f, npartitions=1)
        for name, f in outputs.items()
    }
    by_sku = [
        partitioned_by(f, "sku_id", npartitions)
        for f in (snapshots, lines, tables["promotions"], pos, asn, *outputs.values())
    ]
    sku_location = run_by_partition(
        _sku_location_part,
        by_sku,
        npartitions,
        sku_suppliers=small["sku_suppliers"],
        horizon=horizon,
        outputs=tuple(outputs),
        since=since,
    )
    supplier = run_by_partition(
        _supplier_part,
        [partitioned_by(pos, "supplier_id", npartitions)],
        npartitions,
        supplier_ids=small["suppliers"]["supplier_id"],
        calendar=calendar,
        since=since,
    )
    lane = run_by_partition(
        _lane_part,
        [partitioned_by(pos, "sku_id", npartitions)],
        npartitions,
        sku_suppliers=small["sku_suppliers"],
        calendar=calendar,
        since=since,
    )
    if since is not None:
        lines = lines[lines["order_date"] >= pd.Timestamp(since)]
    line_table = partial(
        order_line_table, sku_suppliers=small["sku_suppliers"], data_end=calendar[1]
    )
    line_meta = line_table(order_demand(tables["order_lines"]._meta, tables["orders"]._meta))
    line_rows = lines.map_partitions(line_table, meta=line_meta, enforce_metadata=False)
    return sku_location, supplier, lane, line_rows


def sku_location_training_rows_dask(
    sku_location: dd.DataFrame, supplier: dd.DataFrame, lane: dd.DataFrame
) -> dd.DataFrame:
    """Lazy SKU-location training rows: the label table's columns with complete label windows,
    and the feature view's features of the same snapshot (``sku_location_feature_names``).

    The rows ``label_rows`` keeps joined to what ``sku_location_rows`` serves for them: a label row
    and its feature row share the event timestamp, so this is the point-in-time join of the
    ``sku_location`` view without leaving the cluster. Supplier and lane features of the primary
    supplier, same day, as ``with_supplier_features`` takes them (NaN when there is no such row).
    """
    own = [*SKU_LOCATION, TIMESTAMP, "supplier_id", "snapshot_date", "label"]
    own += demand_feature_names() + inventory_feature_names()
    rows = sku_location[sku_location["label_complete"]][own]
    day = {"date": "snapshot_date"}
    supplier_days = supplier[["supplier_id", "date", *supplier_feature_names()]].rename(columns=day)
    lane_days = lane[["sku_id", "supplier_id", "date", *lane_feature_names()]].rename(columns=day)
    # The SKU-location frame's metadata comes from empty inputs: take the key types of the others.
    rows = rows.astype({key: lane_days[key].dtype for key in ("sku_id", "supplier_id", "snapshot_date")})
    rows = rows.merge(supplier_days, on=["supplier_id", "snapshot_date"], how="left")
    return rows.merge(lane_days, on=["sku_id", "supplier_id", "snapshot_date"], how="left")


def _order_line_part(
    sku_location: pd.DataFrame, lane: pd.DataFrame, lines: pd.DataFrame, supplier: pd.DataFrame, ttl: pd.Timedelta
) -> pd.DataFrame:
    """One SKU partition's labelled order lines with the feature view's latest row at order time."""
    served = sku_location_rows(sku_location, supplier, lane).drop(columns=["snapshot_date"])
    lines = order_line_rows(lines.reset_index(drop=True))
    keys = {key: served[key].dtype for key in SKU_LOCATION}
    joined = pd.merge_asof(
        lines.astype(keys).sort_values(TIMESTAMP, kind="stable"),
        served.sort_values(TIMESTAMP, kind="stable"),
        on=TIMESTAMP,
        by=list(SKU_LOCATION),
        direction="backward",
        tolerance=ttl,
    )
    return with_request_features(joined.reset_index(drop=True))


def order_line_training_rows_dask(
    sku_location: dd.DataFrame,
    supplier: dd.DataFrame,
    lane: dd.DataFrame,
    line_rows: dd.DataFrame,
    npartitions: int,
    ttl: pd.Timedelta,
) -> dd.DataFrame:
    """Lazy order-line training rows: the order-line label table's rows, each with the SKU-location
    feature view's row it would be served at its ``event_timestamp``, and the request features.

    The point-in-time join Feast makes for ``backorder_risk_v1`` (latest feature row stamped at
    or before the order, at most ``ttl`` older), done per SKU partition on the workers:
    ``sku_location`` and ``lane`` (from ``feature_frames_dask`` with ``npartitions``) are already
    partitioned by SKU, the order lines are moved to theirs, and the supplier feature table (a
    row per supplier and day) goes whole to every partition.
    """
    lines = partitioned_by(line_rows, "sku_id", npartitions)
    whole_supplier = dask.delayed(pd.concat)(supplier.to_delayed(), ignore_index=True)
    meta = _order_line_part(sku_location._meta, lane._meta, line_rows._meta, supplier._meta, ttl)
    return dd.map_partitions(
        _order_line_part, sku_location, lane, lines, whole_supplier, ttl,
        meta=meta, align_dataframes=False, enforce_metadata=False,
    )


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted like the pandas path, strings back to ``object`` (Dask makes them Arrow strings)."""
    strings = [c for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype)]
    frame = frame.astype(dict.fromkeys(strings, object))
    keys = [c for c in ROW_ORDER if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def build_feature_tables_dask(
    tables: dict[str, dd.DataFrame | pd.DataFrame],
    npartitions: int,
    horizon: int = DEFAULT_HORIZON,
    forecasts: dd.DataFrame | pd.DataFrame | None = None,
    po_etas: dd.DataFrame | pd.DataFrame | None = None,
) -> FeatureTables:
    """``build.build_feature_tables`` computed partition by partition on the current Dask client.

    Returns pandas frames, sorted like the single-machine path. For results beyond memory, take
    the lazy frames of ``feature_frames_dask`` and write them with ``to_parquet`` instead.
    """
    computed = dd.compute(*feature_frames_dask(tables, npartitions, horizon, forecasts, po_etas))
    return split_tables(*[_canonical(frame) for frame in computed])
