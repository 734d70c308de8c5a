"""Training data of the simulated (or ingested) world, assembled from canonical tables.

Pure frame-in, frame-out steps: the pipeline reads the tables and the Feast training sets, these
functions shape them for the models. Nothing here reads files or talks to a store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION, series_id
from features.demand import order_demand, units_ordered
from features.grid import make_grid
from features.promotions import with_promotions
from features.timeseries import ID, TARGET, TIME


def naive_timestamps(values: pd.Series) -> pd.Series:
    """``values`` as timestamps without a timezone (UTC when they had one)."""
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_convert(None) if stamps.dt.tz is not None else stamps


def recent_cut(kth_latest: pd.Timestamp, latest: pd.Timestamp, min_days: int) -> pd.Timestamp:
    """The earliest time a capped training set keeps: that of its ``max_rows``-th latest row
    (``kth_latest``), or the start of the ``min_days``-th day before its ``latest`` row if earlier."""
    return min(pd.Timestamp(kth_latest), pd.Timestamp(latest).floor("D") - pd.Timedelta(days=min_days - 1))


def most_recent(frame: pd.DataFrame, time_column: str, max_rows: int | None, min_days: int = 1) -> pd.DataFrame:
    """The latest ``max_rows`` rows by ``time_column`` (all rows when ``max_rows`` is None), or
    every row of the latest ``min_days`` days when those are more (``recent_cut``).

    Keeping the most recent period, not a random sample, keeps the folds contiguous in time.
    """
    if max_rows is None or len(frame) <= max_rows:
        return frame
    times = naive_timestamps(frame[time_column])
    order = np.argsort(times.to_numpy(), kind="stable")
    kth = times.iloc[order[-max_rows]]
    cut = recent_cut(kth, times.iloc[order[-1]], min_days)
    if cut < kth:
        return frame[(times >= cut).to_numpy()]
    return frame.iloc[np.sort(order[-max_rows:])]


# The canonical tables ``daily_demand`` and ``received_po_lines`` read.
DEMAND_TABLES = ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
LEAD_TIME_TABLES = ("purchase_orders", "skus")
# The columns of the large tables ``daily_demand`` reads (a reader may load only these).
DAILY_DEMAND_COLUMNS = {
    "order_lines": ["order_id", "sku_id", "location_id", "quantity"],
    "orders": ["order_id", "order_time"],
    "inventory_snapshots": ["snapshot_date", *SKU_LOCATION],
}


def daily_demand(
    order_lines: pd.DataFrame,
    orders: pd.DataFrame,
    promotions: pd.DataFrame,
    snapshots: pd.DataFrame,
    skus: pd.DataFrame,
    history_days: int | None = None,
) -> pd.DataFrame:
    """Long frame ``unique_id, ds, y, promo_active, promo_discount, category`` per SKU-location.

    ``y`` is the quantity ordered per day (what customers asked for, backordered or not). Every
    series covers every day of its snapshots (zeros where nothing was ordered), as the forecaster
    needs a regular grid. Promotions are known covariates: they are announced before they run.
    """
    for name, frame in (("order_lines", order_lines), ("orders", orders), ("inventory_snapshots", snapshots)):
        cols = DAILY_DEMAND_COLUMNS[name]
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    spans = snapshots.groupby(SKU_LOCATION)["snapshot_date"].agg(["min", "max"])
    if history_days is not None:
        spans["min"] = np.maximum(spans["min"], spans["max"] - pd.Timedelta(days=history_days - 1))
    grid = make_grid(spans.reset_index(), tuple(SKU_LOCATION), "min", "max")
    out = grid.frame().rename(columns={"date": TIME})
    out[TARGET] = units_ordered(grid, order_demand(order_lines, orders))
    out.insert(0, ID, series_id(out))
    out = with_promotions(out, promotions)
    out = out.merge(skus[["sku_id", "category"]], on="sku_id", how="left")
    return out.drop(columns=SKU_LOCATION).sort_values([ID, TIME], ignore_index=True)


def received_po_lines(purchase_orders: pd.DataFrame, skus: pd.DataFrame) -> pd.DataFrame:
    """Purchase-order lines with their SKU's category: the lead-time model's history.

    Open lines are kept (``received_date`` missing): the time split decides what is history.
    """
    missing = [
        c
        for c in ("po_id", "supplier_id", "sku_id", "location_id", "order_date", "promised_date",
                  "received_date", "quantity")
        if c not in purchase_orders.columns
    ]
    if missing:
        raise ValueError(f"purchase_orders: missing column(s) {missing}")
    out = purchase_orders.merge(skus[["sku_id", "category"]], on="sku_id", how="left")
    out["quantity"] = out["quantity"].astype("float64")
    if "is_expedited" in out:
        out["is_expedited"] = out["is_expedited"].astype("float64")
    return out.reset_index(drop=True)
