"""Turn the event log into canonical tables: what the nightly pipeline reads instead of exports.

The log is replayed through the same rules, in the order the events happened (``occurred_at``,
ties in the order applied), on an empty state, and the tables are read off the replay:

- ``purchase_orders``: one row per PO line (``is_expedited`` is not carried by events: null);
- ``asn_events``: one row per applied ``asn_received`` (``asn_id`` is its ``event_id``);
- ``order_lines``: one row per confirmed or shipped line (``backordered_quantity`` is not carried:
  null; a line confirmed without ``requested_date`` is requested for its confirmation day);
- ``inventory_snapshots``: every SKU-location at the end of every day from the first event's day
  to the last's, ``allocated`` = reserved units covered by stock, ``backordered`` = the rest.

``orders`` is not produced: customer, tier and split permission are not carried by events.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from contracts.event_validation import NormalizedEvent
from contracts.keys import SKU_LOCATION
from contracts.validation import enforce_contract
from live.book import Book
from live.records import OrderLineRecord, PositionRecord, PurchaseOrderRecord
from live.rules import RuleViolation, apply_event

COMPACTED_TABLES = ("purchase_orders", "asn_events", "order_lines", "inventory_snapshots")


def _day(text: str | None) -> pd.Timestamp | None:
    return pd.Timestamp(text).normalize() if text is not None else None


def _snapshot(book: Book, day: pd.Timestamp) -> list[tuple]:
    rows = []
    for record in book.records().values():
        if isinstance(record, PositionRecord):
            allocated = min(record.reserved, record.on_hand)
            rows.append((day, record.sku_id, record.location_id, record.on_hand, allocated,
                         record.in_transit, record.reserved - allocated))
    return rows


def replay(events: Iterable[NormalizedEvent]) -> tuple[Book, list[tuple]]:
    """The state after every event (in time order) and the end-of-day snapshot rows on the way."""
    ordered = sorted(events, key=lambda e: e["occurred_at"])  # stable: ties keep the log order
    book = Book(lambda keys: {})
    rows: list[tuple] = []
    day: pd.Timestamp | None = None
    for event in ordered:
        event_day = _day(event["occurred_at"])
        while day is not None and day < event_day:
            rows.extend(_snapshot(book, day))
            day += pd.Timedelta(days=1)
        day = event_day
        try:
            apply_event(event, book)
        except RuleViolation:
            continue  # refused in time order too: it changes nothing, as it was refused live
    if day is not None:
        rows.extend(_snapshot(book, day))
    return book, rows


def compact(events: Iterable[NormalizedEvent]) -> dict[str, pd.DataFrame]:
    """The canonical tables the event log gives (``COMPACTED_TABLES``), in canonical dtypes."""
    events = list(events)
    book, snapshot_rows = replay(events)
    records = list(book.records().values())
    tables = {
        "purchase_orders": _purchase_orders([r for r in records if isinstance(r, PurchaseOrderRecord)]),
        "asn_events": _asn_events(events),
        "order_lines": _order_lines([r for r in records if isinstance(r, OrderLineRecord)]),
        "inventory_snapshots": pd.DataFrame(
            snapshot_rows,
            columns=["snapshot_date", *SKU_LOCATION, "on_hand", "allocated", "in_transit", "backordered"],
        ).sort_values(["snapshot_date", *SKU_LOCATION], ignore_index=True),
    }
    return {name: enforce_contract(name, frame).reset_index(drop=True) for name, frame in tables.items()}


def _purchase_orders(records: list[PurchaseOrderRecord]) -> pd.DataFrame:
    rows = []
    for po in records:
        closed = po.cancelled_at is not None or po.received >= po.ordered
        closed_at = po.received_at if po.received else po.cancelled_at
        rows.append({
            "po_id": po.po_id, "supplier_id": po.supplier_id, "sku_id": po.sku_id,
            "location_id": po.location_id, "quantity": po.ordered, "order_date": _day(po.created_at),
            "promised_date": pd.Timestamp(po.promised_date),
            "received_date": _day(closed_at) if closed else None,
            "received_quantity": po.received if closed or po.received else None,
            "is_expedited": None,
        })
    return pd.DataFrame(rows, columns=["po_id", "supplier_id", "sku_id", "location_id", "quantity", "order_date",
                                       "promised_date", "received_date", "received_quantity", "is_expedited"]
                        ).sort_values("po_id", ignore_index=True)


def _asn_events(events: list[NormalizedEvent]) -> pd.DataFrame:
    rows = [
        {"asn_id": e["event_id"], "po_id": e["po_id"], "event_time": pd.Timestamp(e["occurred_at"]),
         "eta": pd.Timestamp(e["eta"]), "quantity": e["quantity"]}
        for e in events if e["type"] == "asn_received"
    ]
    frame = pd.DataFrame(rows, columns=["asn_id", "po_id", "event_time", "eta", "quantity"])
    return frame.sort_values(["event_time", "asn_id"], ignore_index=True)


def _order_lines(records: list[OrderLineRecord]) -> pd.DataFrame:
    rows = [
        {"order_id": line.order_id, "line_id": line.line_id, "sku_id": line.sku_id,
         "location_id": line.location_id, "quantity": line.quantity,
         "requested_date": _day(line.requested_date or line.confirmed_at or line.shipped_at),
         "shipped_quantity": line.shipped, "shipped_date": _day(line.shipped_at), "backordered_quantity": None}
        for line in records
        if (line.confirmed_at is not None or line.shipped) and not (line.cancelled_at and not line.shipped)
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "line_id", "sku_id", "location_id", "quantity", "requested_date",
                                        "shipped_quantity", "shipped_date", "backordered_quantity"])
    return frame.sort_values(["order_id", "line_id"], ignore_index=True)
