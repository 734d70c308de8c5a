"""The events an order management system, an ERP or a WMS sends, declared as data.

Each event carries ``event_id`` (its idempotency key: the same id twice is applied once),
``type`` (a name below) and ``occurred_at`` (when it happened at the source, UTC), then the
fields of its type, declared with the same ``ColumnSpec`` as the canonical tables so that an
event is validated like a table row. ``EVENTS`` is the one list the validation, the HTTP schema,
the stream consumer and the docs derive from; ``INTERNAL_EVENTS`` are those only the service
writes to the event log.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.table_spec import ColumnSpec

_units = "units, whole number"


@dataclass(frozen=True)
class EventContract:
    """One event type: its name, what it means for the live state, and its fields."""

    type: str
    description: str
    fields: tuple[ColumnSpec, ...]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


ENVELOPE: tuple[ColumnSpec, ...] = (
    ColumnSpec("event_id", "string", "Idempotency key chosen by the sender; unique per event."),
    ColumnSpec("type", "string", "Event type (one of the types below)."),
    ColumnSpec("occurred_at", "datetime", "When it happened at the source (ISO 8601, UTC)."),
)

_sku = ColumnSpec("sku_id", "string", "SKU.")
_location = ColumnSpec("location_id", "string", "Location.")
_po = ColumnSpec("po_id", "string", "Purchase order line.")
_order = ColumnSpec("order_id", "string", "Order.")
_line = ColumnSpec("line_id", "string", "Line within the order.")
_transfer = ColumnSpec("transfer_id", "string", "Transfer between two locations.")


def _quantity(what: str) -> ColumnSpec:
    return ColumnSpec("quantity", "int", f"{what} ({_units}).", gt=0)


_order_line = (_order, _line, _sku, _location)

EVENTS: tuple[EventContract, ...] = (
    EventContract(
        "stock_counted",
        "A physical count: on hand becomes the counted quantity.",
        (_sku, _location, ColumnSpec("on_hand", "int", f"Counted stock ({_units}).", ge=0)),
    ),
    EventContract(
        "stock_adjusted",
        "Stock found, lost, damaged or scrapped: on hand changes by the delta.",
        (
            _sku,
            _location,
            ColumnSpec("quantity_delta", "int", f"Change of on hand ({_units}), negative for a loss."),
            ColumnSpec("reason", "string", "Why the stock changed (damaged, found, scrapped, ...)."),
        ),
    ),
    EventContract(
        "po_created",
        "A purchase order line is placed: its quantity is on order.",
        (
            _po,
            ColumnSpec("supplier_id", "string", "Supplier."),
            _sku,
            _location,
            _quantity("Quantity ordered"),
            ColumnSpec("promised_date", "date", "Delivery date promised by the supplier."),
        ),
    ),
    EventContract(
        "po_changed",
        "The supplier changes the quantity or the promised date of an open PO line.",
        (
            _po,
            ColumnSpec("quantity", "int", f"New quantity ({_units}).", gt=0, nullable=True),
            ColumnSpec("promised_date", "date", "New promised date.", nullable=True),
        ),
    ),
    EventContract("po_cancelled", "An open PO line is cancelled: nothing more is on order.", (_po,)),
    EventContract(
        "asn_received",
        "The supplier's advance shipping notice: the PO line's latest ETA.",
        (_po, ColumnSpec("eta", "date", "Announced arrival date."), _quantity("Quantity announced")),
    ),
    EventContract(
        "po_received",
        "Goods of a PO line arrive: on hand rises, the open quantity falls (closed when zero).",
        (_po, _quantity("Quantity received")),
    ),
    EventContract(
        "order_confirmed",
        "An order line is confirmed: its quantity is reserved against the location's stock.",
        (*_order_line, _quantity("Quantity ordered"),
         ColumnSpec("requested_date", "date", "Date the customer asked for.", nullable=True)),
    ),
    EventContract(
        "order_cancelled",
        "An order line is cancelled: what it reserved is released.",
        (*_order_line, _quantity("Quantity cancelled")),
    ),
    EventContract(
        "order_shipped",
        "An order line ships: on hand and its reservation fall by the quantity shipped.",
        (*_order_line, _quantity("Quantity shipped")),
    ),
    EventContract(
        "transfer_shipped",
        "Stock leaves one location for another: on hand falls at the origin, in transit rises "
        "at the destination.",
        (
            _transfer,
            _sku,
            ColumnSpec("from_location_id", "string", "Shipping location."),
            ColumnSpec("to_location_id", "string", "Receiving location."),
            _quantity("Quantity shipped"),
        ),
    ),
    EventContract(
        "transfer_received",
        "A transfer arrives: in transit falls and on hand rises at the destination.",
        (
            _transfer,
            _sku,
            ColumnSpec("to_location_id", "string", "Receiving location."),
            _quantity("Quantity received"),
        ),
    ),
)

EVENT_TYPES: dict[str, EventContract] = {e.type: e for e in EVENTS}

# Events the service itself writes to the event log, never accepted from a sender (validation
# knows only ``EVENTS``): a replay of the log then rebuilds what the service did, holds included.
INTERNAL_EVENTS: tuple[EventContract, ...] = (
    EventContract(
        "order_reserved",
        "A scored order line not confirmed yet holds stock (``POST /v1/score`` with ``reserve``): "
        "the line is created holding ``reserved`` units; a line already known is left as it is.",
        (*_order_line, _quantity("Quantity ordered"),
         ColumnSpec("reserved", "int", f"Units the line was granted ({_units}).", gt=0)),
    ),
)

