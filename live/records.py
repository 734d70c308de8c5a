"""The records a live state holds, their keys, and their JSON form (the same in every store).

A store keeps three kinds of record, each under one text key: the stock position of a
SKU-location, a purchase order line and a customer order line. Times are the events'
normalized ISO text (``contracts.event_validation``), so records compare and sort as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

KEY_SEPARATOR = "\x1f"  # cannot occur in an id sent as JSON text by accident


@dataclass
class PositionRecord:
    """Stock of one SKU-location; ``counted_at`` is the time of the last count applied."""

    sku_id: str
    location_id: str
    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    counted_at: str | None = None
    as_of: str | None = None

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


@dataclass
class PurchaseOrderRecord:
    """A PO line: what was ordered and received, the promise, the latest ASN and whether it is closed."""

    po_id: str
    supplier_id: str
    sku_id: str
    location_id: str
    ordered: int
    promised_date: str
    created_at: str
    received: int = 0
    received_at: str | None = None
    eta: str | None = None
    eta_at: str | None = None
    cancelled_at: str | None = None

    @property
    def open_quantity(self) -> int:
        if self.cancelled_at is not None:
            return 0
        return max(self.ordered - self.received, 0)


@dataclass
class OrderLineRecord:
    """A customer order line: its quantity, what it holds reserved, what shipped, and when."""

    order_id: str
    line_id: str
    sku_id: str
    location_id: str
    quantity: int
    reserved: int = 0
    shipped: int = 0
    requested_date: str | None = None
    confirmed_at: str | None = None
    shipped_at: str | None = None
    cancelled_at: str | None = None


Record = PositionRecord | PurchaseOrderRecord | OrderLineRecord
_KINDS: dict[str, type] = {"pos": PositionRecord, "po": PurchaseOrderRecord, "line": OrderLineRecord}


def position_key(sku_id: str, location_id: str) -> str:
    return f"pos:{sku_id}{KEY_SEPARATOR}{location_id}"


def purchase_order_key(po_id: str) -> str:
    return f"po:{po_id}"


def order_line_key(order_id: str, line_id: str) -> str:
    return f"line:{order_id}{KEY_SEPARATOR}{line_id}"


def kind_of(key: str) -> str:
    """``pos``, ``po`` or ``line``: the record kind a key names."""
    return key.split(":", 1)[0]


def encode(record: Record) -> str:
    return json.dumps(vars(record), separators=(",", ":"))  # flat records: no asdict deep copy


def decode(key: str, text: str | bytes | None) -> Record | None:
    if text is None:
        return None
    values: dict[str, Any] = json.loads(text)
    return _KINDS[kind_of(key)](**values)
