"""The records one batch reads and writes, loaded on demand from a store and written back at once.

Every store applies events the same way: it opens a ``Book`` over its records (a loader that
fetches records by key inside the store's transaction), the rules read and change records in
the book, and the store writes ``changes()`` in the same atomic step as the event ids and the
log. The rules therefore never see a store, and are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from live.records import (
    OrderLineRecord,
    PositionRecord,
    PurchaseOrderRecord,
    Record,
    decode,
    order_line_key,
    position_key,
    purchase_order_key,
)

Loader = Callable[[list[str]], Mapping[str, str | bytes | None]]
"""Fetch the encoded records of some keys (absent keys map to None or are left out)."""


class Book:
    """Records by key: those loaded, and those changed since (``changes``)."""

    def __init__(self, load: Loader) -> None:
        self._load = load
        self._records: dict[str, Record | None] = {}
        self._changed: set[str] = set()
        self._created: set[str] = set()

    def prefetch(self, keys: Iterable[str]) -> None:
        """Load the records of ``keys`` not loaded yet, in one call to the store."""
        missing = list(dict.fromkeys(k for k in keys if k not in self._records))
        if missing:
            loaded = self._load(missing)
            self.preload({k: loaded.get(k) for k in missing})

    def preload(self, loaded: Mapping[str, str | bytes | None]) -> None:
        """Take records the store fetched already (with other reads), unless the book holds them."""
        self._records.update({k: decode(k, text) for k, text in loaded.items() if k not in self._records})

    def get(self, key: str) -> Record | None:
        if key not in self._records:
            self.prefetch([key])
        return self._records[key]

    def put(self, key: str, record: Record) -> None:
        if self._records.get(key) is None:
            self._created.add(key)
        self._records[key] = record
        self._changed.add(key)

    def created(self) -> set[str]:
        """Keys of the records written that the store did not hold before."""
        return set(self._created)

    def records(self) -> dict[str, Record]:
        """Every record the book holds (loaded or written), by key."""
        return {k: r for k, r in self._records.items() if r is not None}

    def changes(self) -> dict[str, Record]:
        """The records written since the book was opened."""
        return {k: self._records[k] for k in sorted(self._changed)}  # type: ignore[misc]

    def position(self, sku_id: str, location_id: str) -> PositionRecord:
        """The stock of a SKU-location (an empty one when nothing is known of it yet)."""
        found = self.get(position_key(sku_id, location_id))
        return found if isinstance(found, PositionRecord) else PositionRecord(sku_id, location_id)

    def purchase_order(self, po_id: str) -> PurchaseOrderRecord | None:
        return self.get(purchase_order_key(po_id))  # type: ignore[return-value]

    def order_line(self, order_id: str, line_id: str) -> OrderLineRecord | None:
        return self.get(order_line_key(order_id, line_id))  # type: ignore[return-value]

    def put_position(self, record: PositionRecord) -> None:
        self.put(position_key(record.sku_id, record.location_id), record)

    def put_purchase_order(self, record: PurchaseOrderRecord) -> None:
        self.put(purchase_order_key(record.po_id), record)

    def put_order_line(self, record: OrderLineRecord) -> None:
        self.put(order_line_key(record.order_id, record.line_id), record)
