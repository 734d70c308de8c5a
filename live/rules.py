"""How each event changes the live state, written once for every store (pure: a ``Book`` in, changes out).

A rule first checks that the event fits the state (a PO line must exist before it is received,
...) and raises ``RuleViolation`` before changing anything, so a refused event leaves no trace.
Quantities never go below zero: a loss, shipment or transfer larger than the stock on hand
empties it. The rules, the out-of-order rule for counts and idempotency are described in
docs/live.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from live.book import Book
from live.records import (
    OrderLineRecord,
    PositionRecord,
    PurchaseOrderRecord,
    order_line_key,
    position_key,
    purchase_order_key,
)
from live.state import ReservationRequest

Event = dict[str, Any]


class RuleViolation(Exception):
    """The event is well formed but does not fit the state (e.g. an unknown PO line)."""


def _touch(position: PositionRecord, event: Event) -> None:
    if position.as_of is None or event["occurred_at"] > position.as_of:
        position.as_of = event["occurred_at"]


def _stock_counted(event: Event, book: Book) -> None:
    position = book.position(event["sku_id"], event["location_id"])
    if position.counted_at is not None and event["occurred_at"] < position.counted_at:
        return  # an older count than the one applied: the newer count stands
    position.on_hand = event["on_hand"]
    position.counted_at = event["occurred_at"]
    _touch(position, event)
    book.put_position(position)


def _stock_adjusted(event: Event, book: Book) -> None:
    position = book.position(event["sku_id"], event["location_id"])
    position.on_hand = max(position.on_hand + event["quantity_delta"], 0)
    _touch(position, event)
    book.put_position(position)


def _open_po(event: Event, book: Book) -> PurchaseOrderRecord:
    po = book.purchase_order(event["po_id"])
    if po is None:
        raise RuleViolation(f"po_id: unknown PO line {event['po_id']!r}")
    if po.cancelled_at is not None:
        raise RuleViolation(f"po_id: PO line {po.po_id!r} is cancelled")
    return po


def _po_created(event: Event, book: Book) -> None:
    if book.purchase_order(event["po_id"]) is not None:
        raise RuleViolation(f"po_id: PO line {event['po_id']!r} already exists")
    book.put_purchase_order(
        PurchaseOrderRecord(
            po_id=event["po_id"],
            supplier_id=event["supplier_id"],
            sku_id=event["sku_id"],
            location_id=event["location_id"],
            ordered=event["quantity"],
            promised_date=event["promised_date"],
            created_at=event["occurred_at"],
        )
    )


def _po_changed(event: Event, book: Book) -> None:
    if event["quantity"] is None and event["promised_date"] is None:
        raise RuleViolation("po_changed: give a new quantity, a new promised_date or both")
    po = _open_po(event, book)
    if event["quantity"] is not None:
        po.ordered = event["quantity"]
    if event["promised_date"] is not None:
        po.promised_date = event["promised_date"]
    book.put_purchase_order(po)


def _po_cancelled(event: Event, book: Book) -> None:
    po = _open_po(event, book)
    po.cancelled_at = event["occurred_at"]
    book.put_purchase_order(po)


def _asn_received(event: Event, book: Book) -> None:
    po = _open_po(event, book)
    if po.eta_at is not None and event["occurred_at"] < po.eta_at:
        return  # an older notice than the one applied: the latest word stands
    po.eta, po.eta_at = event["eta"], event["occurred_at"]
    book.put_purchase_order(po)


def _po_received(event: Event, book: Book) -> None:
    po = _open_po(event, book)
    position = book.position(po.sku_id, po.location_id)
    po.received += event["quantity"]
    po.received_at = event["occurred_at"]
    position.on_hand += event["quantity"]
    _touch(position, event)
    book.put_purchase_order(po)
    book.put_position(position)


def _move_reservation(line: OrderLineRecord, target: int, book: Book) -> None:
    """Set what ``line`` holds reserved to ``target`` and its position's reserved with it."""
    position = book.position(line.sku_id, line.location_id)
    position.reserved = max(position.reserved + target - line.reserved, 0)
    line.reserved = target
    book.put_position(position)


def _order_confirmed(event: Event, book: Book) -> None:
    line = book.order_line(event["order_id"], event["line_id"])
    if line is not None and line.cancelled_at is not None:
        raise RuleViolation(f"line_id: order line {event['order_id']}/{event['line_id']} is cancelled")
    if line is not None and (line.sku_id, line.location_id) != (event["sku_id"], event["location_id"]):
        _move_reservation(line, 0, book)  # held elsewhere: release there, reserve below
        line.sku_id, line.location_id = event["sku_id"], event["location_id"]
    if line is None:
        line = OrderLineRecord(event["order_id"], event["line_id"], event["sku_id"], event["location_id"], 0)
    line.quantity = event["quantity"]
    line.requested_date = event["requested_date"]
    line.confirmed_at = event["occurred_at"]
    _move_reservation(line, max(line.quantity - line.shipped, 0), book)
    _touch_line_position(line, event, book)
    book.put_order_line(line)


def _touch_line_position(line: OrderLineRecord, event: Event, book: Book) -> None:
    position = book.position(line.sku_id, line.location_id)
    _touch(position, event)
    book.put_position(position)


def _order_cancelled(event: Event, book: Book) -> None:
    line = book.order_line(event["order_id"], event["line_id"])
    if line is None:
        raise RuleViolation(f"line_id: unknown order line {event['order_id']}/{event['line_id']}")
    _move_reservation(line, max(line.reserved - event["quantity"], 0), book)
    if event["quantity"] >= line.quantity - line.shipped:
        line.cancelled_at = event["occurred_at"]
    _touch_line_position(line, event, book)
    book.put_order_line(line)


def _order_shipped(event: Event, book: Book) -> None:
    line = book.order_line(event["order_id"], event["line_id"]) or OrderLineRecord(
        event["order_id"], event["line_id"], event["sku_id"], event["location_id"], event["quantity"]
    )
    _move_reservation(line, max(line.reserved - event["quantity"], 0), book)
    position = book.position(line.sku_id, line.location_id)
    position.on_hand = max(position.on_hand - event["quantity"], 0)
    _touch(position, event)
    book.put_position(position)
    line.shipped += event["quantity"]
    if line.shipped >= line.quantity and line.shipped_at is None:
        line.shipped_at = event["occurred_at"]
    book.put_order_line(line)


def _order_reserved(event: Event, book: Book) -> None:
    if book.order_line(event["order_id"], event["line_id"]) is not None:
        return  # a line already known keeps what it holds
    line = OrderLineRecord(event["order_id"], event["line_id"], event["sku_id"], event["location_id"],
                           event["quantity"])
    _move_reservation(line, event["reserved"], book)
    book.put_order_line(line)


def _transfer_shipped(event: Event, book: Book) -> None:
    origin = book.position(event["sku_id"], event["from_location_id"])
    origin.on_hand = max(origin.on_hand - event["quantity"], 0)
    _touch(origin, event)
    book.put_position(origin)
    destination = book.position(event["sku_id"], event["to_location_id"])
    destination.in_transit += event["quantity"]
    _touch(destination, event)
    book.put_position(destination)


def _transfer_received(event: Event, book: Book) -> None:
    destination = book.position(event["sku_id"], event["to_location_id"])
    destination.in_transit = max(destination.in_transit - event["quantity"], 0)
    destination.on_hand += event["quantity"]
    _touch(destination, event)
    book.put_position(destination)


RULES: dict[str, Callable[[Event, Book], None]] = {
    "stock_counted": _stock_counted,
    "stock_adjusted": _stock_adjusted,
    "po_created": _po_created,
    "po_changed": _po_changed,
    "po_cancelled": _po_cancelled,
    "asn_received": _asn_received,
    "po_received": _po_received,
    "order_confirmed": _order_confirmed,
    "order_cancelled": _order_cancelled,
    "order_shipped": _order_shipped,
    "order_reserved": _order_reserved,
    "transfer_shipped": _transfer_shipped,
    "transfer_received": _transfer_received,
}


def apply_event(event: Event, book: Book) -> None:
    """Apply one normalized event to the records of ``book`` (``RuleViolation`` if it does not fit)."""
    RULES[event["type"]](event, book)


def keys_read(event: Event) -> list[str]:
    """The records an event reads, as far as the event itself names them (see ``derived_keys``)."""
    if "po_id" in event:
        return [purchase_order_key(event["po_id"])]
    keys = []
    if "order_id" in event:
        keys.append(order_line_key(event["order_id"], event["line_id"]))
    for location in ("location_id", "from_location_id", "to_location_id"):
        if location in event:
            keys.append(position_key(event["sku_id"], event[location]))
    return keys


def derived_keys(event: Event, book: Book) -> list[str]:
    """Records known only from another record: the position of a PO line or of a held order line."""
    if event["type"] == "po_received":
        po = book.purchase_order(event["po_id"])
        return [position_key(po.sku_id, po.location_id)] if po else []
    if "order_id" in event:
        line = book.order_line(event["order_id"], event["line_id"])
        return [position_key(line.sku_id, line.location_id)] if line else []
    return []


def reserve_line(request: ReservationRequest, book: Book, occurred_at: str) -> tuple[int, Event | None]:
    """Reserve what is available for a new order line; a line already known keeps what it holds.

    Returns the units the line holds and the ``order_reserved`` event that made a new hold (None
    when nothing new is held), for the store to write to the event log with the change.
    """
    line = book.order_line(request.order_id, request.line_id)
    if line is not None:
        return line.reserved, None
    granted = min(request.quantity, book.position(request.sku_id, request.location_id).available)
    if granted <= 0:
        return 0, None
    event = {
        "event_id": f"reserved-{uuid.uuid4().hex}", "type": "order_reserved", "occurred_at": occurred_at,
        "order_id": request.order_id, "line_id": request.line_id, "sku_id": request.sku_id,
        "location_id": request.location_id, "quantity": request.quantity, "reserved": granted,
    }
    apply_event(event, book)
    return granted, event


def reservation_keys(request: ReservationRequest) -> list[str]:
    return [
        order_line_key(request.order_id, request.line_id),
        position_key(request.sku_id, request.location_id),
    ]


def check_reservation(request: ReservationRequest) -> None:
    """Refuse a malformed request with the field it concerns."""
    for name in ("order_id", "line_id", "sku_id", "location_id"):
        value = getattr(request, name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name}: expected non-blank text, got {value!r}")
    if isinstance(request.quantity, bool) or not isinstance(request.quantity, int) or request.quantity <= 0:
        raise ValueError(f"quantity: must be a whole number > 0, got {request.quantity!r}")
