"""A world's canonical tables told as the events an OMS, an ERP and a WMS would have sent.

Used to replay a world into the live state (the demo's live replay, the compaction round trip).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from contracts.keys import SKU_LOCATION


def _iso(moment: pd.Timestamp) -> str:
    return pd.Timestamp(moment).isoformat()


def world_events(tables: dict[str, pd.DataFrame]) -> list[dict]:
    """Every event of the world, in time order.

    A first count sets each SKU-location's stock; then PO lines, ASNs and receipts, confirmed and
    shipped order lines, and one adjustment per day for the stock moves the tables do not itemize
    (transfers): on the day's end snapshot, on hand is what the events leave.

    A line shipped in part but not in full has no ``shipped_date``: the tables do not say when its
    units left, so it gets no shipment event and the daily adjustment carries the move. Every event
    has a time, so the order is total (a timeless event would leave later days before earlier ones).
    """
    po, asn, lines, orders = (tables[n] for n in ("purchase_orders", "asn_events", "order_lines", "orders"))
    snapshots = tables["inventory_snapshots"].sort_values(["snapshot_date", *SKU_LOCATION])
    events: list[tuple[pd.Timestamp, int, dict]] = []

    def add(moment: Any, rank: int, type_: str, event_id: str, **fields: Any) -> None:
        events.append((pd.Timestamp(moment), rank, {"event_id": event_id, "type": type_,
                                                    "occurred_at": _iso(moment), **fields}))

    for row in po.itertuples(index=False):
        add(row.order_date + pd.Timedelta(minutes=30), 1, "po_created", f"{row.po_id}-created",
            po_id=row.po_id, supplier_id=row.supplier_id, sku_id=row.sku_id, location_id=row.location_id,
            quantity=int(row.quantity), promised_date=row.promised_date.date().isoformat())
        if pd.notna(row.received_date):
            add(row.received_date + pd.Timedelta(hours=1), 1, "po_received", f"{row.po_id}-received",
                po_id=row.po_id, quantity=int(row.received_quantity))
    for row in asn.itertuples(index=False):
        add(row.event_time, 1, "asn_received", row.asn_id, po_id=row.po_id,
            eta=row.eta.date().isoformat(), quantity=int(row.quantity))
    placed = lines.merge(orders[["order_id", "order_time"]], on="order_id")
    for row in placed.itertuples(index=False):
        key = dict(order_id=row.order_id, line_id=row.line_id, sku_id=row.sku_id, location_id=row.location_id)
        add(row.order_time, 2, "order_confirmed", f"{row.order_id}-{row.line_id}-confirmed",
            quantity=int(row.quantity), requested_date=row.requested_date.date().isoformat(), **key)
        if row.shipped_quantity > 0 and pd.notna(row.shipped_date):
            add(row.shipped_date + pd.Timedelta(hours=23, minutes=59), 3, "order_shipped",
                f"{row.order_id}-{row.line_id}-shipped", quantity=int(row.shipped_quantity), **key)
    _stock_events(snapshots, po, lines, add)
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


def _stock_events(
    snapshots: pd.DataFrame, po: pd.DataFrame, lines: pd.DataFrame, add: Callable[..., None]
) -> None:
    """The first count, then each day's unexplained change as an adjustment (gains early, losses late)."""
    received = po.dropna(subset=["received_date"]).groupby(["received_date", *SKU_LOCATION])["received_quantity"].sum()
    shipped = lines[lines["shipped_quantity"] > 0].groupby(["shipped_date", *SKU_LOCATION])["shipped_quantity"].sum()
    flows = pd.DataFrame({"received": received, "shipped": shipped}).fillna(0)
    flows.index = flows.index.set_names(["snapshot_date", *SKU_LOCATION])
    frame = snapshots.set_index(["snapshot_date", *SKU_LOCATION])[["on_hand"]].join(flows).fillna(0)
    frame = frame.reset_index().sort_values([*SKU_LOCATION, "snapshot_date"])
    first_day = frame["snapshot_date"].min()
    for (sku, location), series in frame.groupby(SKU_LOCATION, sort=True):
        before = None
        for row in series.itertuples(index=False):
            expected_start = int(row.on_hand - row.received + row.shipped)
            if before is None:
                before = max(expected_start, 0)
                add(first_day, 0, "stock_counted", f"count-{sku}-{location}", sku_id=sku, location_id=location,
                    on_hand=before)
            delta = expected_start - before
            day = row.snapshot_date
            if delta > 0:
                add(day + pd.Timedelta(hours=2), 1, "stock_adjusted", f"adj-{sku}-{location}-{day.date()}",
                    sku_id=sku, location_id=location, quantity_delta=delta, reason="transfer")
            elif delta < 0:
                add(day + pd.Timedelta(hours=23, minutes=59, seconds=59), 4, "stock_adjusted",
                    f"adj-{sku}-{location}-{day.date()}", sku_id=sku, location_id=location,
                    quantity_delta=delta, reason="transfer")
            before = int(row.on_hand)
