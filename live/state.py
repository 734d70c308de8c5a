"""What a live state store offers, whatever holds it (SQLite or Redis)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from live.records import OrderLineRecord


@dataclass(frozen=True)
class Rejection:
    """An event refused with its reasons (``event_id`` is None when the event had none)."""

    index: int
    event_id: str | None
    errors: list[str]


@dataclass(frozen=True)
class ApplyResult:
    """What applying a list of events did: applied, already applied before, refused; and what the
    applied events changed (the SKU-locations of every record written, the PO lines written)."""

    accepted: int
    duplicates: int
    rejected: list[Rejection] = field(default_factory=list)
    sku_locations: list[tuple[str, str]] = field(default_factory=list)
    po_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OpenPurchaseOrder:
    """A PO line still expected: its open quantity, the supplier's promise and the latest ASN ETA."""

    po_id: str
    supplier_id: str
    quantity: int
    promised_date: pd.Timestamp
    eta: pd.Timestamp | None


@dataclass(frozen=True)
class StockPosition:
    """One SKU-location now; ``as_of`` is the time of the last event applied to it."""

    sku_id: str
    location_id: str
    on_hand: int
    reserved: int
    in_transit: int
    open_pos: list[OpenPurchaseOrder]
    as_of: pd.Timestamp | None

    @property
    def available(self) -> int:
        """On hand not yet reserved (never below zero)."""
        return max(self.on_hand - self.reserved, 0)


@dataclass(frozen=True)
class ReservationRequest:
    """An order line asking for stock; reserving the same (order_id, line_id) again changes nothing."""

    order_id: str
    line_id: str
    sku_id: str
    location_id: str
    quantity: int


POSITION_COLUMNS = ["sku_id", "location_id", "on_hand", "reserved", "in_transit"]
OPEN_PO_COLUMNS = ["po_id", "supplier_id", "sku_id", "location_id", "quantity", "promised_date", "eta"]


class LiveStateUnavailable(RuntimeError):
    """The store of the live state did not answer (a stopped or restarting Redis). The same call may be
    tried again: an event is applied once by its ``event_id``, a line reserved once by its ids."""


class LiveState(Protocol):
    """A store of the live state shared by every worker; every method is safe to call concurrently."""

    def apply(self, events: Sequence[Mapping[str, Any]]) -> ApplyResult:
        """Validate and apply events in order, each exactly once by ``event_id``."""
        ...

    def position(self, sku_id: str, location_id: str) -> StockPosition | None:
        """One SKU-location (None when no event or seed ever mentioned it)."""
        ...

    def positions(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        """``POSITION_COLUMNS`` for every location of ``sku_ids``."""
        ...

    def open_purchase_orders(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        """``OPEN_PO_COLUMNS`` of the open PO lines of ``sku_ids`` (eta NaT without an ASN)."""
        ...

    def stock(self, sku_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``positions(sku_ids)`` and ``open_purchase_orders(sku_ids)`` in one read of the store."""
        ...

    def order_lines(self, order_id: str) -> list[OrderLineRecord]:
        """The records of the order's lines (confirmed, held, shipped or cancelled), by ``line_id``;
        empty when no event or reservation ever named the order."""
        ...

    def reserve(self, requests: Sequence[ReservationRequest], at: datetime | None = None) -> list[int]:
        """Reserve what is available for each line, atomically; returns the quantity reserved. Each
        new hold is logged as an ``order_reserved`` event occurring ``at`` (default now)."""
        ...

    def seed(self, stock: pd.DataFrame, open_pos: pd.DataFrame, as_of: pd.Timestamp,
             only_if_empty: bool = False) -> bool:
        """Replace the records by the canonical tables' stock and open PO lines at ``as_of``, atomically
        (``only_if_empty``: unless the store holds a position of their SKUs); returns whether it did.

        The applied event ids are forgotten with the records they changed: an event sent again
        after a seed is applied to the seeded position, not taken for a duplicate of a change the
        seed replaced. So what the state answers depends on the seed and the events since, not on
        how long ago an earlier run sent the same ids."""
        ...

    def applied_events(self) -> list[dict[str, Any]]:
        """The event log not yet flushed: applied events (normalized), in the order applied."""
        ...

    def flush_log(self, folder: Path) -> int:
        """Move the log to a durable file of ``folder`` if the store does not keep it durably; returns
        the events moved."""
        ...

    def close(self) -> None: ...
