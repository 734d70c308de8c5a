"""Supplier and SKU-supplier lane features as of each day, from purchase-order receipts.

Only POs received on or before day t count towards delay, on-time and fill statistics at t, and a
PO is open at t when it was ordered on or before t and not received by t. Delay is received minus
promised date in days (positive = late); realized lead time is received minus order date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.grid import Grid, interval_sum, make_grid, scatter_sum, to_day, window_sum

SUPPLIER_WINDOWS = (90, 365)
LANE_WINDOW = 365
# The longest look-back of any supplier or lane feature: a day's values need this many days up to it.
LONGEST_WINDOW = max(*SUPPLIER_WINDOWS, LANE_WINDOW)
P90 = 0.9
SUPPLIER_STATS = ("receipts", "on_time_rate", "delay_mean", "delay_std", "delay_p90", "fill_rate")


def supplier_feature_names() -> list[str]:
    names = [f"supplier_{stat}_{w}" for w in SUPPLIER_WINDOWS for stat in SUPPLIER_STATS]
    return names + ["supplier_open_po_count", "supplier_delay_trend"]


def lane_feature_names() -> list[str]:
    w = LANE_WINDOW
    return [
        "quoted_lead_time_days",
        f"lane_receipts_{w}",
        f"lane_lead_time_mean_{w}",
        f"lane_lead_time_std_{w}",
        f"lane_lead_time_cv_{w}",
        f"lane_lead_time_excess_{w}",
        f"lane_lead_time_ratio_{w}",
    ]


def primary_suppliers(sku_suppliers: pd.DataFrame) -> pd.DataFrame:
    """One supplier per SKU: the primary one, else the one quoting the shortest lead time."""
    ranked = sku_suppliers.assign(_rank=~sku_suppliers["is_primary"].astype(bool)).sort_values(
        ["sku_id", "_rank", "quoted_lead_time_days", "supplier_id"], kind="stable"
    )
    first = ranked.drop_duplicates("sku_id")
    return first[["sku_id", "supplier_id", "quoted_lead_time_days"]].reset_index(drop=True)


def calendar_grid(
    ids: pd.DataFrame,
    keys: tuple[str, ...],
    first: pd.Timestamp,
    last: pd.Timestamp,
    since: pd.Timestamp | None = None,
) -> Grid:
    """Every series in ``ids`` over the same calendar ``first``..``last`` (from ``since`` if later)."""
    series = ids[list(keys)].drop_duplicates().assign(_first=first, _last=last)
    return make_grid(series, keys, "_first", "_last", since)


def _received(purchase_orders: pd.DataFrame) -> pd.DataFrame:
    done = purchase_orders[purchase_orders["received_date"].notna()]
    return done.assign(
        delay=(done["received_date"] - done["promised_date"]).dt.days.astype("float64"),
        lead_time=(done["received_date"] - done["order_date"]).dt.days.astype("float64"),
        received_qty=done["received_quantity"].astype("float64").fillna(0.0),
    )


def _rolling_delay_stats(grid: Grid, received: pd.DataFrame, window: int) -> dict[str, np.ndarray]:
    """Receipts in days t-window+1..t per supplier-day, via rolling windows over receipts+probes."""
    probes = grid.frame().rename(columns={"date": "t"}).assign(_probe=np.arange(grid.size))
    events = pd.DataFrame(
        {
            "supplier_id": received["supplier_id"].to_numpy(),
            "t": received["received_date"].to_numpy(),
            "_probe": -1,
            "delay": received["delay"].to_numpy(),
            "on_time": (received["delay"] <= 0).astype("float64").to_numpy(),
            "qty": received["quantity"].astype("float64").to_numpy(),
            "received_qty": received["received_qty"].to_numpy(),
        }
    )
    both = pd.concat([events, probes], ignore_index=True)
    # Probes sort after the receipts of their own day so that those receipts fall in the window.
    both = (
        both.assign(_is_probe=both["_probe"] >= 0)
        .sort_values(["supplier_id", "t", "_is_probe"], kind="stable")
        .reset_index(drop=True)
    )
    roll = both.groupby("supplier_id", sort=False).rolling(f"{window}D", on="t", min_periods=1)
    stats = {
        "receipts": roll["delay"].count(),
        "on_time_rate": roll["on_time"].mean(),
        "delay_mean": roll["delay"].mean(),
        "delay_std": roll["delay"].std(),
        "delay_p90": roll["delay"].quantile(P90),
        "qty": roll["qty"].sum(),
        "received_qty": roll["received_qty"].sum(),
    }
    at_probe = both["_is_probe"].to_numpy()
    order = both["_probe"].to_numpy()[at_probe]
    out: dict[str, np.ndarray] = {}
    for name, values in stats.items():
        column = np.full(grid.size, np.nan)
        column[order] = values.to_numpy()[at_probe]
        out[name] = column
    out["receipts"] = np.nan_to_num(out["receipts"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["fill_rate"] = np.where(out["qty"] > 0, out["received_qty"] / out["qty"], np.nan)
    return out


def supplier_features(grid: Grid, purchase_orders: pd.DataFrame) -> pd.DataFrame:
    """Supplier reliability for every row of a supplier ``grid`` (index aligned with grid rows)."""
    received = _received(purchase_orders)
    out: dict[str, np.ndarray] = {}
    for w in SUPPLIER_WINDOWS:
        stats = _rolling_delay_stats(grid, received, w)
        for stat in SUPPLIER_STATS:
            out[f"supplier_{stat}_{w}"] = stats[stat]
    out["supplier_open_po_count"] = interval_sum(
        grid,
        purchase_orders[["supplier_id"]],
        to_day(purchase_orders["order_date"]),
        to_day(purchase_orders["received_date"]),
        np.ones(len(purchase_orders)),
    )
    short, long = SUPPLIER_WINDOWS
    out["supplier_delay_trend"] = (
        out[f"supplier_delay_mean_{short}"] - out[f"supplier_delay_mean_{long}"]
    )
    return pd.DataFrame(out)[supplier_feature_names()]


def lane_features(
    grid: Grid, sku_suppliers: pd.DataFrame, purchase_orders: pd.DataFrame
) -> pd.DataFrame:
    """Quoted versus realized lead time per SKU-supplier ``grid`` row (receipts up to t only)."""
    w = LANE_WINDOW
    received = _received(purchase_orders)
    rows = grid.locate(received, to_day(received["received_date"]))
    lt = received["lead_time"].to_numpy()
    n, _ = window_sum(grid, scatter_sum(grid, rows, np.ones(len(received))), w)
    s, _ = window_sum(grid, scatter_sum(grid, rows, lt), w)
    s2, _ = window_sum(grid, scatter_sum(grid, rows, lt * lt), w)
    quoted = grid.frame().merge(
        sku_suppliers[["sku_id", "supplier_id", "quoted_lead_time_days"]],
        on=["sku_id", "supplier_id"],
        how="left",
    )
    quoted = quoted["quoted_lead_time_days"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        std = np.where(n > 1, np.sqrt(np.clip((s2 - n * mean * mean) / (n - 1), 0, None)), np.nan)
        out = {
            "quoted_lead_time_days": quoted,
            f"lane_receipts_{w}": n,
            f"lane_lead_time_mean_{w}": mean,
            f"lane_lead_time_std_{w}": std,
            f"lane_lead_time_cv_{w}": np.where(mean > 0, std / mean, np.nan),
            f"lane_lead_time_excess_{w}": mean - quoted,
            f"lane_lead_time_ratio_{w}": np.where(quoted > 0, mean / quoted, np.nan),
        }
    return pd.DataFrame(out)[lane_feature_names()]
