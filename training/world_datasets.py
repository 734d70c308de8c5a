"""Training data of the simulated (or ingested) world, assembled from canonical tables.

Pure frame-in, frame-out steps: the pipeline reads the tables and the Feast training sets, these
functions shape them for the models. Nothing here reads files or talks to a store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import series_id
from features.promotions import with_promotions
from features.timeseries import ID, TARGET, TIME

SERIES_KEYS = ("sku_id", "location_id")


def most_recent(frame: pd.DataFrame, time_column: str, max_rows: int | None) -> pd.DataFrame:
    """The latest ``max_rows`` rows by ``time_column`` (all rows when ``max_rows`` is None).

    Keeping the most recent period, not a random sample, keeps the folds contiguous in time.
    """
    if max_rows is None or len(frame) <= max_rows:
        return frame
    order = np.argsort(pd.to_datetime(frame[time_column]).to_numpy(), kind="stable")
    return frame.iloc[np.sort(order[-max_rows:])]


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
    for name, frame, cols in (
        ("order_lines", order_lines, ["order_id", "sku_id", "location_id", "quantity"]),
        ("orders", orders, ["order_id", "order_time"]),
        ("inventory_snapshots", snapshots, ["snapshot_date", *SERIES_KEYS]),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    spans = snapshots.groupby(list(SERIES_KEYS))["snapshot_date"].agg(["min", "max"])
    if history_days is not None:
        spans["min"] = np.maximum(spans["min"], spans["max"] - pd.Timedelta(days=history_days - 1))
    lengths = ((spans["max"] - spans["min"]).dt.days + 1).to_numpy()
    grid = pd.DataFrame(
        {
            "sku_id": np.repeat(spans.index.get_level_values(0).to_numpy(), lengths),
            "location_id": np.repeat(spans.index.get_level_values(1).to_numpy(), lengths),
            TIME: np.repeat(spans["min"].to_numpy(), lengths)
            + pd.to_timedelta(np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths), "D"),
        }
    )
    day = order_lines[["order_id"]].merge(orders[["order_id", "order_time"]], on="order_id", how="left")
    lines = pd.DataFrame(
        {
            "sku_id": order_lines["sku_id"].to_numpy(),
            "location_id": order_lines["location_id"].to_numpy(),
            TIME: pd.to_datetime(day["order_time"]).dt.floor("D").to_numpy(),
            TARGET: order_lines["quantity"].to_numpy(dtype="float64"),
        }
    )
    sums = lines.groupby(["sku_id", "location_id", TIME], as_index=False)[TARGET].sum()
    out = grid.merge(sums, on=["sku_id", "location_id", TIME], how="left")
    out[TARGET] = out[TARGET].fillna(0.0)
    out.insert(0, ID, series_id(out))
    out = with_promotions(out, promotions)
    out = out.merge(skus[["sku_id", "category"]], on="sku_id", how="left")
    return out.drop(columns=list(SERIES_KEYS)).sort_values([ID, TIME], ignore_index=True)


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
