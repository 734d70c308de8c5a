"""Inventory-position features of a SKU-location as of the end of day t.

Stock columns come from the snapshot of day t. Pipeline stock comes from purchase orders open at t
(ordered on or before t, not received by t); a PO's expected arrival at t is the ETA of its latest
ASN whose ``event_time`` falls on or before day t, else its promised date. "Inbound within the lead
time" sums open PO quantity expected by t + L, L being the primary supplier's quoted lead time.
Inventory position = on hand - allocated - backordered + pipeline (see ``inventory_features``).

The ``*_eta_*`` columns count the same open POs by the lead-time model's arrival quantiles
instead, as predicted when each PO was placed (``po_etas``, from the as-of step); they are NaN
without them, or on days when an open PO has no prediction (placed before the model's first refit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.grid import Grid, interval_sum, to_day

STOCK_COLUMNS = ("on_hand", "allocated", "in_transit", "backordered")
COVER_DEMAND = "demand_mean_28"
# Columns computed from the lead-time model's as-of ETAs (NaN without them).
ETA_FEATURES = (
    "inbound_eta_p50_lt_qty",
    "inbound_eta_p90_lt_qty",
    "projected_position_lt_eta_p90",
    "open_po_expected_late_qty",
)
PO_ETA_COLUMNS = ("po_id", "eta_p50", "eta_p90", "p_late")


def inventory_feature_names() -> list[str]:
    return [
        *STOCK_COLUMNS,
        "available",
        "lead_time_days",
        "open_po_qty",
        "open_po_count",
        "inbound_due_lt_qty",
        "inventory_position",
        "days_of_cover",
        "projected_position_lt",
        *ETA_FEATURES,
    ]


def snapshot_stock(grid: Grid, snapshots: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Stock columns per grid row (NaN on days without a snapshot) and which rows have one."""
    rows = grid.locate(snapshots, to_day(snapshots["snapshot_date"]))
    if (rows < 0).any():
        raise ValueError(
            "inventory_snapshots: rows outside the grid (grid must come from the snapshots)"
        )
    present = np.zeros(grid.size, dtype=bool)
    present[rows] = True
    stock = {}
    for column in STOCK_COLUMNS:
        values = np.full(grid.size, np.nan)
        values[rows] = snapshots[column].to_numpy(dtype="float64")
        stock[column] = values
    return pd.DataFrame(stock), present


def eta_segments(purchase_orders: pd.DataFrame, asn_events: pd.DataFrame) -> pd.DataFrame:
    """Per PO, the spans of days [begin, end) over which its expected arrival ``eta`` was known.

    The first span starts at the order date with the promised date; each ASN opens a new span on
    the day its ``event_time`` falls (same-day notices: the latest wins). Spans end at the next
    notice or at receipt; open POs run on (end = a far-future sentinel).
    """
    po = purchase_orders[
        [
            "po_id",
            "sku_id",
            "location_id",
            "quantity",
            "order_date",
            "promised_date",
            "received_date",
        ]
    ]
    base = pd.DataFrame(
        {
            "po_id": po["po_id"].to_numpy(),
            "begin": to_day(po["order_date"]),
            "eta": to_day(po["promised_date"]),
            "qty": po["quantity"].to_numpy(),
            "_seq": pd.Timestamp.min,
        }
    )
    notices = asn_events.merge(po[["po_id", "order_date"]], on="po_id", how="inner")
    asn = pd.DataFrame(
        {
            "po_id": notices["po_id"].to_numpy(),
            "begin": np.maximum(to_day(notices["event_time"]), to_day(notices["order_date"])),
            "eta": to_day(notices["eta"]),
            "qty": notices["quantity"].to_numpy(),
            "_seq": notices["event_time"].to_numpy(),
        }
    )
    seg = (
        pd.concat([base, asn], ignore_index=True)
        .sort_values(["po_id", "begin", "_seq"], kind="stable")
        .reset_index(drop=True)
    )
    nxt = seg.groupby("po_id", sort=False)["begin"].shift(-1)
    seg = seg.merge(po[["po_id", "sku_id", "location_id", "received_date"]], on="po_id", how="left")
    received = to_day(seg["received_date"])
    seg["end"] = np.minimum(nxt.fillna(np.iinfo(np.int64).max // 4).to_numpy(np.int64), received)
    return seg.drop(columns=["_seq", "received_date"])


def inventory_features(
    grid: Grid,
    snapshots: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    asn_events: pd.DataFrame,
    lead_times: pd.DataFrame,
    demand_rate: np.ndarray,
    po_etas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Inventory-position features for every row of a SKU-location ``grid``.

    ``lead_times`` has ``sku_id, quoted_lead_time_days`` (the primary supplier's quote);
    ``demand_rate`` is units/day per grid row (e.g. the 28-day mean) for cover and projection;
    ``po_etas`` has ``po_id, eta_p50, eta_p90, p_late`` per PO, as predicted when it was placed.
    """
    stock, _ = snapshot_stock(grid, snapshots)
    keys = purchase_orders[["sku_id", "location_id"]]
    begin, end = to_day(purchase_orders["order_date"]), to_day(purchase_orders["received_date"])
    out = stock.copy()
    out["available"] = out["on_hand"] - out["allocated"]
    lt_by_sku = lead_times.set_index("sku_id")["quoted_lead_time_days"]
    sku_of_row = grid.series["sku_id"].to_numpy()[grid.code]
    lead = pd.Series(sku_of_row).map(lt_by_sku).to_numpy(dtype="float64")
    out["lead_time_days"] = lead
    out["open_po_qty"] = interval_sum(
        grid, keys, begin, end, purchase_orders["quantity"].to_numpy()
    )
    out["open_po_count"] = interval_sum(grid, keys, begin, end, np.ones(len(purchase_orders)))

    seg = eta_segments(purchase_orders, asn_events)
    seg_lead = seg["sku_id"].map(lt_by_sku).fillna(0).to_numpy(np.int64)
    # Counted on day t when t is inside the span and eta <= t + L, i.e. t >= eta - L.
    due_begin = np.maximum(seg["begin"].to_numpy(), seg["eta"].to_numpy() - seg_lead)
    due = interval_sum(
        grid,
        seg[["sku_id", "location_id"]],
        due_begin,
        seg["end"].to_numpy(),
        seg["qty"].to_numpy(),
    )
    out["inbound_due_lt_qty"] = np.where(np.isnan(lead), np.nan, due)
    # Sources differ on whether ``in_transit`` includes shipped PO quantity (the simulator's does):
    # the larger of the two counts pipeline stock once, and the excess of in_transit over open
    # POs is stock moving between locations, expected within the lead time.
    net = out["on_hand"] - out["allocated"] - out["backordered"]
    out["inventory_position"] = net + np.maximum(out["in_transit"], out["open_po_qty"])
    transfers = np.clip(out["in_transit"] - out["open_po_qty"], 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand_rate > 0, out["available"].to_numpy() / demand_rate, np.nan)
    out["days_of_cover"] = cover
    out["projected_position_lt"] = net + transfers + out["inbound_due_lt_qty"] - demand_rate * lead
    eta = _eta_features(grid, purchase_orders, po_etas, lt_by_sku)
    out["inbound_eta_p50_lt_qty"] = np.where(np.isnan(lead), np.nan, eta["p50"])
    out["inbound_eta_p90_lt_qty"] = np.where(np.isnan(lead), np.nan, eta["p90"])
    out["projected_position_lt_eta_p90"] = net + transfers + out["inbound_eta_p90_lt_qty"] - demand_rate * lead
    out["open_po_expected_late_qty"] = eta["late"]
    return out[inventory_feature_names()]


def _eta_features(
    grid: Grid, purchase_orders: pd.DataFrame, po_etas: pd.DataFrame | None, lt_by_sku: pd.Series
) -> dict[str, np.ndarray]:
    """Open PO quantity whose model ETA (P50, P90) is by t + L, and its expected late quantity.

    A PO counts from its order date (when its ETA was predicted) to its receipt, on the days
    t >= eta - L. Rows with an open PO lacking a prediction are NaN: a partial sum would pass for
    a small inbound.
    """
    if po_etas is None:
        empty = np.full(grid.size, np.nan)
        return {"p50": empty, "p90": empty, "late": empty}
    missing = set(PO_ETA_COLUMNS) - set(po_etas.columns)
    if missing:
        raise ValueError(f"po_etas: missing column(s) {sorted(missing)}")
    if po_etas["po_id"].duplicated().any():
        raise ValueError("po_etas: more than one prediction per po_id")
    pos = purchase_orders.merge(po_etas[list(PO_ETA_COLUMNS)], on="po_id", how="left")
    keys = pos[["sku_id", "location_id"]]
    begin, end = to_day(pos["order_date"]), to_day(pos["received_date"])
    qty = pos["quantity"].to_numpy(dtype="float64")
    unknown = interval_sum(grid, keys, begin, end, pos["eta_p50"].isna().to_numpy(dtype="float64")) > 0
    lead = pos["sku_id"].map(lt_by_sku).fillna(0).to_numpy(np.int64)
    out = {}
    for q in ("p50", "p90"):
        due_begin = np.maximum(begin, to_day(pos[f"eta_{q}"]) - lead)  # NaT: a far-future day, never due
        out[q] = np.where(unknown, np.nan, interval_sum(grid, keys, due_begin, end, qty))
    late = interval_sum(grid, keys, begin, end, qty * pos["p_late"].fillna(0.0).to_numpy(dtype="float64"))
    out["late"] = np.where(unknown, np.nan, late)
    return out
