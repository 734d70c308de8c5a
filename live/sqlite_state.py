"""The live state in one SQLite file (embedded profile): WAL, one write transaction per call.

Every change (records, applied event ids, event log) is written in one ``BEGIN IMMEDIATE``
transaction, which SQLite serializes across threads and processes: a reservation reads and
writes the stock under the write lock, so two workers never promise the same unit. Applied event
ids are kept in ``event_ids`` until the idempotency window has passed (pruned by the next
``apply``); the ``event_log`` table keeps every applied event for good.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from contracts.event_validation import NormalizedEvent
from live.answers import (
    open_purchase_orders_frame,
    order_line_records,
    positions_frame,
    stock_frames,
    stock_position,
)
from live.batch import apply_batch, check_batch, reserve_batch
from live.book import Book
from live.canonical import seed_records
from live.records import (
    KEY_SEPARATOR,
    OrderLineRecord,
    PositionRecord,
    PurchaseOrderRecord,
    Record,
    decode,
    encode,
    kind_of,
    order_line_key,
    position_key,
)
from live.rules import check_reservation
from live.state import ApplyResult, ReservationRequest, StockPosition

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, sku_id TEXT NOT NULL, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_sku ON records (kind, sku_id);
CREATE TABLE IF NOT EXISTS event_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_ids (event_id TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS event_ids_by_expiry ON event_ids (expires_at);
"""
_CHUNK = 500  # bound parameters per IN (...) query


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class SqliteLiveState:
    """``LiveState`` in the SQLite file ``path`` (created with its tables on first use); an applied
    event id is recognised for ``idempotency_window_seconds``."""

    def __init__(self, path: Path, timeout_seconds: float = 30.0,
                 idempotency_window_seconds: float = 7 * 86400) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._window = idempotency_window_seconds
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=timeout_seconds, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
        self._split_unique_log()
        self._db.executescript(_SCHEMA)

    def _split_unique_log(self) -> None:
        """Bring a file whose ``event_log`` holds a unique ``event_id`` (its own set of applied ids,
        without ``event_ids``) to this schema: the log copied as it is, its ids remembered for a
        window from now."""
        def unique_log() -> bool:
            found = self._db.execute("SELECT sql FROM sqlite_master WHERE name = 'event_log'").fetchone()
            return found is not None and "UNIQUE" in found[0].upper()

        if not unique_log():
            return
        with self._transaction():
            if not unique_log():  # another process split it meanwhile
                return
            self._db.execute("ALTER TABLE event_log RENAME TO event_log_unique")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute("INSERT INTO event_log (seq, event_id, event) "
                             "SELECT seq, event_id, event FROM event_log_unique ORDER BY seq")
            self._db.execute("INSERT OR IGNORE INTO event_ids (event_id, expires_at) "
                             "SELECT event_id, ? FROM event_log_unique", (time.time() + self._window,))
            self._db.execute("DROP TABLE event_log_unique")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _load(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT key, value FROM records WHERE key IN ({marks})", chunk))
        return found

    def _applied(self, event_ids: list[str], now: float) -> set[str]:
        """The ids among ``event_ids`` applied within the window (older ones are pruned first)."""
        self._db.execute("DELETE FROM event_ids WHERE expires_at <= ?", (now,))
        applied: set[str] = set()
        for chunk in _chunks(event_ids):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT event_id FROM event_ids WHERE event_id IN ({marks})", chunk)
            applied.update(row[0] for row in rows)
        return applied

    def _save(self, changes: Mapping[str, Record]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO records (key, kind, sku_id, value) VALUES (?, ?, ?, ?)",
            [(key, kind_of(key), record.sku_id, encode(record)) for key, record in changes.items()],
        )

    def _log(self, events: list[NormalizedEvent]) -> None:
        self._db.executemany(
            "INSERT INTO event_log (event_id, event) VALUES (?, ?)",
            [(e["event_id"], json.dumps(e, separators=(",", ":"))) for e in events],
        )

    def apply(self, events: Sequence[Mapping[str, Any]]) -> ApplyResult:
        checked = check_batch(events)
        with self._transaction():
            now = time.time()
            outcome = apply_batch(checked, Book(self._load), self._applied(checked.event_ids, now))
            self._save(outcome.book_changes)
            self._db.executemany(
                "INSERT INTO event_ids (event_id, expires_at) VALUES (?, ?)",
                [(e["event_id"], now + self._window) for e in outcome.applied],
            )
            self._log(outcome.applied)
        return outcome.result

    def reserve(self, requests: Sequence[ReservationRequest], at: datetime | None = None) -> list[int]:
        for request in requests:
            check_reservation(request)
        with self._transaction():
            book = Book(self._load)
            granted, events = reserve_batch(requests, book, at)
            self._save(book.changes())
            self._log(events)
        return granted

    def seed(self, stock: pd.DataFrame, open_pos: pd.DataFrame, as_of: pd.Timestamp,
             only_if_empty: bool = False) -> bool:
        """Replace the stock, PO and order-line records by those of the canonical tables at ``as_of``
        and forget the applied event ids (``LiveState.seed``), in one transaction; returns whether
        it did. With ``only_if_empty``, only when the store holds no position of the seed's SKUs
        (checked in the same transaction, so of workers seeding at once exactly one seeds)."""
        records = seed_records(stock, open_pos, as_of)
        with self._transaction():
            if only_if_empty and self._records(["pos"], stock["sku_id"].tolist(), limit=1):
                return False
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM event_ids")
            self._save(records)
        return True

    def _records(self, kinds: Sequence[str], sku_ids: Sequence[str], limit: int = -1) -> list[Any]:
        skus = list(dict.fromkeys(sku_ids))
        kind_marks = ",".join("?" * len(kinds))
        out = []
        for chunk in _chunks(skus):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, value FROM records WHERE kind IN ({kind_marks}) AND sku_id IN ({marks}) LIMIT ?",
                [*kinds, *chunk, limit],
            )
            out.extend(decode(key, value) for key, value in rows)
            if 0 <= limit <= len(out):
                break
        return out

    def position(self, sku_id: str, location_id: str) -> StockPosition | None:
        key = position_key(sku_id, location_id)
        with self._lock:
            found = decode(key, self._load([key]).get(key))
            purchase_orders = self._records(["po"], [sku_id])
        if not isinstance(found, PositionRecord):
            return None
        return stock_position(found, purchase_orders)

    def order_lines(self, order_id: str) -> list[OrderLineRecord]:
        """A range of the primary key: the keys from ``line:<order_id><sep>`` up to the next separator."""
        first = order_line_key(order_id, "")
        after = first[:-1] + chr(ord(KEY_SEPARATOR) + 1)
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM records WHERE key >= ? AND key < ?",
                                    (first, after)).fetchall()
        return order_line_records(order_id, (decode(key, value) for key, value in rows))

    def positions(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        with self._lock:
            return positions_frame(self._records(["pos"], sku_ids))

    def open_purchase_orders(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        with self._lock:
            records: list[PurchaseOrderRecord] = self._records(["po"], sku_ids)
        return open_purchase_orders_frame(records)

    def stock(self, sku_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        with self._lock:
            records = self._records(["pos", "po"], sku_ids)
        return stock_frames(records)

    def applied_events(self) -> list[NormalizedEvent]:
        """The event log: every applied event, in the order applied."""
        with self._lock:
            return [json.loads(text) for (text,) in self._db.execute("SELECT event FROM event_log ORDER BY seq")]

    def flush_log(self, folder: Path) -> int:
        """Nothing to move: the log is a table of the file, durable at each commit."""
        return 0

    def close(self) -> None:
        self._db.close()
