"""A small live world with one stock-out (covered by a transfer) and one late PO (expedited), for the
planner workbench tests (imported by name; tests have no packages)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd
from serving_helpers import TODAY

from alerts.detection import late_purchase_orders, stockouts_within_lead_time
from live.sqlite_state import SqliteLiveState

SHORT_SKU, PO_SKU = "SKU900", "SKU901"
SEED_EVENTS = [
    {"event_id": "c1", "type": "stock_counted", "sku_id": SHORT_SKU, "location_id": "DC1", "on_hand": 2},
    {"event_id": "c2", "type": "stock_counted", "sku_id": SHORT_SKU, "location_id": "DC2", "on_hand": 50},
    {"event_id": "c3", "type": "stock_counted", "sku_id": SHORT_SKU, "location_id": "DC3", "on_hand": 10},
    {"event_id": "c4", "type": "stock_counted", "sku_id": PO_SKU, "location_id": "DC1", "on_hand": 5},
    {"event_id": "p1", "type": "po_created", "po_id": "PO-1", "supplier_id": "S1", "sku_id": PO_SKU,
     "location_id": "DC1", "quantity": 30, "promised_date": "2026-03-10"},
    {"event_id": "a1", "type": "asn_received", "po_id": "PO-1", "eta": "2026-03-20", "quantity": 30},
]


def seeded_live_state(folder: Path) -> SqliteLiveState:
    live = SqliteLiveState(folder / "live_state.db")
    result = live.apply([{**e, "occurred_at": "2026-03-01T08:00:00"} for e in SEED_EVENTS])
    assert result.accepted == len(SEED_EVENTS), result
    return live


def record_exceptions(runtime, live: SqliteLiveState) -> dict[str, dict]:
    """Detect on the live state and record: the stock-out of SHORT_SKU at DC1 and PO-1 late."""
    skus = [SHORT_SKU, PO_SKU]
    days = pd.date_range(TODAY + pd.Timedelta(days=1), periods=5)
    demand = pd.DataFrame({"sku_id": SHORT_SKU, "location_id": "DC1", "ds": days, "p50": 10.0})
    lead_times = pd.DataFrame({"sku_id": [SHORT_SKU], "location_id": ["DC1"], "lead_time_days": [5.0]})
    cfg = runtime.alerts.cfg
    detected = pd.concat([
        stockouts_within_lead_time(live.positions(skus), live.open_purchase_orders(skus), demand, lead_times,
                                   TODAY, cfg.model_copy(update={"stockout_demand_factor": 1.0})),  # 2 - 5 x 10
        late_purchase_orders(live.open_purchase_orders(skus), TODAY, cfg),
    ], ignore_index=True)
    opened = runtime.alerts.record(detected, datetime(2026, 3, 2, 6)).opened
    return {e["kind"]: e for e in opened}


def write_recent_orders(canonical_dir: Path) -> None:
    """Canonical orders of SHORT_SKU at DC1 in the 28 days before TODAY: 14 units on 2026-02-20
    (two lines) and 14 on 2026-03-01, a daily mean of 1 unit."""
    days = pd.to_datetime(["2026-02-20", "2026-02-20", "2026-03-01"])
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "order_time": days + pd.Timedelta(hours=9)})
    lines = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "sku_id": SHORT_SKU, "location_id": "DC1",
                          "quantity": [6, 8, 14]})
    canonical_dir.mkdir(parents=True, exist_ok=True)
    orders.to_parquet(canonical_dir / "orders.parquet")
    lines.to_parquet(canonical_dir / "order_lines.parquet")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]*)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)
