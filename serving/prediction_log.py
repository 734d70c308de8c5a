"""Durable log of every scored line, for monitoring and audit.

SQLite in WAL mode: each request's lines are one transaction, committed before the answer is
sent, so a killed process loses nothing it has answered for (the commit is in the operating
system's hands) and a reader in another process sees every committed line. ``sync="normal"`` (the
default) leaves flushing to disk to WAL checkpoints; ``sync="full"`` also fsyncs every commit, so
that a power cut loses nothing either, at a small cost per request. Inputs, features and
outputs are stored so a model with new features needs no schema change, in one of two formats:

- ``compact`` (the default): one zlib-compressed JSON ``payload`` per line; feature values as a
  list whose names are stored once per distinct feature list (table ``feature_lists``), and each
  reason without its ``value`` (it is the feature's value, restored on reading);
- ``json``: ``inputs``, ``features`` and ``outputs`` as JSON text, readable with plain SQL.

Readers decode both (``LineDecoder``), so a log written in either format, or in both over time,
reads the same. Lines older than the retention are deleted in small batches (``prune``), once when
the log opens (on its background thread) and by ``backorder log prune``.

Checkpoints (copying the WAL into the database file, with its fsync) run on a background thread
every ``checkpoint_seconds``, not in the request that crosses SQLite's auto-checkpoint size, so
no request pays for a checkpoint.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
import threading
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pydantic_core

logger = logging.getLogger(__name__)

FILE_NAME = "predictions.db"
COLUMNS = [
    "request_id",
    "logged_at",
    "model_version",
    "order_id",
    "line_id",
    "sku_id",
    "location_id",
    "inputs",
    "features",
    "outputs",
]
PAYLOAD = "payload"
_SCHEMA = f"CREATE TABLE IF NOT EXISTS predictions ({', '.join(COLUMNS)}, {PAYLOAD})"
_FEATURE_LISTS = "CREATE TABLE IF NOT EXISTS feature_lists (list_id PRIMARY KEY, names)"
# An order's lines are looked up by order id (its customer notice), not scanned for.
_ORDER_INDEX = "CREATE INDEX IF NOT EXISTS predictions_by_order ON predictions (order_id)"
JSON_COLUMNS = ("inputs", "features", "outputs")
SYNC_MODES = ("normal", "full")
FORMATS = ("compact", "json")
# Lines deleted per transaction when pruning, so a writer never waits long for the lock.
PRUNE_BATCH = 500


class PredictionLog:
    """Appends scored lines; one connection per instance, guarded for the service's threads."""

    def __init__(
        self,
        directory: Path,
        sync: Literal["normal", "full"] = "normal",
        checkpoint_seconds: float = 1.0,
        log_format: Literal["compact", "json"] = "compact",
        retention_days: int | None = None,
    ) -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"sync must be one of {SYNC_MODES}, got {sync!r}")
        if log_format not in FORMATS:
            raise ValueError(f"prediction_log_format must be one of {FORMATS}, got {log_format!r}")
        if checkpoint_seconds <= 0:
            raise ValueError(f"checkpoint_seconds must be positive, got {checkpoint_seconds}")
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={sync.upper()}")
        self._conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        _create_tables(self._conn)
        self._format = log_format
        self._known_lists: set[str] = set()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop,
            args=(checkpoint_seconds, retention_days),
            name="prediction-log-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, seconds: float, retention_days: int | None) -> None:
        """Prune once, then PASSIVE checkpoints on the thread's own connection: writers are never blocked."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            if retention_days is not None:
                _prune_quietly(conn, retention_days, self._stop)
            while not self._stop.wait(seconds):
                _checkpoint(conn, "PASSIVE")
            _checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    def append(self, rows: list[dict[str, object]]) -> None:
        """Write ``rows`` (keys = COLUMNS) as one committed transaction."""
        lists: dict[str, list[str]] = {}
        if self._format == "json":
            values = [tuple(_json(r[c]) if c in JSON_COLUMNS else r[c] for c in COLUMNS) + (None,) for r in rows]
        else:
            values = [_compact_row(r, lists) for r in rows]
        placeholders = ", ".join("?" for _ in range(len(COLUMNS) + 1))
        with self._lock:
            new_lists = [(i, json.dumps(names)) for i, names in lists.items() if i not in self._known_lists]
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR IGNORE INTO feature_lists VALUES (?, ?)", new_lists)
                self._conn.executemany(f"INSERT INTO predictions VALUES ({placeholders})", values)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self._known_lists.update(i for i, _ in new_lists)

    def close(self) -> None:
        """Stop the checkpointer (it runs a last checkpoint) and close the connection."""
        self._stop.set()
        self._checkpointer.join()
        with self._lock:
            self._conn.close()


def _create_tables(conn: sqlite3.Connection) -> None:
    """The tables and index; a log from before the compact format gains its ``payload`` column."""
    conn.execute(_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(predictions)")}
    if PAYLOAD not in columns:
        conn.execute(f"ALTER TABLE predictions ADD COLUMN {PAYLOAD}")
    conn.execute(_FEATURE_LISTS)
    conn.execute(_ORDER_INDEX)


def _compact_row(row: dict[str, Any], lists: dict[str, list[str]]) -> tuple[object, ...]:
    """The row's key columns, no JSON columns, and the compressed payload (its feature list in ``lists``)."""
    features: dict[str, Any] = row["features"]  # type: ignore[assignment]
    names = tuple(features)
    list_id = _list_id(names)
    lists[list_id] = list(names)
    outputs = row["outputs"]
    if isinstance(outputs, dict) and outputs.get("reasons"):
        outputs = {**outputs, "reasons": [{k: v for k, v in r.items() if k != "value"} for r in outputs["reasons"]]}
    payload = {"i": row["inputs"], "n": list_id, "f": list(features.values()), "o": outputs}
    keys = tuple(None if c in JSON_COLUMNS else row[c] for c in COLUMNS)
    return keys + (_compress(_json(payload).encode()),)


def _compress(data: bytes) -> bytes:
    """zlib with a 4 KiB window and little state: a line's payload is small, and the default
    compressor's state costs more to set up than the compression of one line."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 12, 3)
    return compressor.compress(data) + compressor.flush()


@functools.lru_cache(maxsize=64)
def _list_id(names: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:16]


class LineDecoder:
    """(inputs, features, outputs) of a stored line in either format; feature lists read once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._names: dict[str, list[str]] = {}
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'feature_lists'").fetchone():
            self._names = {i: json.loads(n) for i, n in conn.execute("SELECT list_id, names FROM feature_lists")}

    def __call__(self, inputs: Any, features: Any, outputs: Any, payload: Any) -> tuple[dict, dict, dict]:
        if payload is None:
            return json.loads(inputs), json.loads(features), json.loads(outputs)
        line = json.loads(zlib.decompress(payload))
        feature_values = dict(zip(self._names[line["n"]], line["f"], strict=True))
        out = line["o"]
        if isinstance(out, dict) and out.get("reasons"):
            out["reasons"] = [{**r, "value": feature_values.get(r["feature"])} for r in out["reasons"]]
        return line["i"], feature_values, out


def prune(path: Path, retention_days: int, now: datetime | None = None, stop: threading.Event | None = None) -> int:
    """Delete lines logged more than ``retention_days`` ago, ``PRUNE_BATCH`` per transaction; the
    number deleted. Safe while the service writes (each batch is a short write transaction)."""
    if retention_days < 1:
        raise ValueError(f"prediction_log_retention_days must be at least 1, got {retention_days}")
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        return _prune(conn, retention_days, now, stop)
    finally:
        conn.close()


def _prune(conn: sqlite3.Connection, retention_days: int, now: datetime | None, stop: threading.Event | None) -> int:
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).astimezone(UTC).isoformat()
    # Lines are appended in time order, so the oldest are found from the first rowid on.
    delete = (
        "DELETE FROM predictions WHERE rowid IN "
        "(SELECT rowid FROM predictions WHERE logged_at < ? ORDER BY rowid LIMIT ?)"
    )
    deleted = 0
    while True:  # at least one batch, then until done or the log closes
        n = conn.execute(delete, (cutoff, PRUNE_BATCH)).rowcount
        deleted += n
        if n < PRUNE_BATCH or (stop is not None and stop.is_set()):
            return deleted


def _prune_quietly(conn: sqlite3.Connection, retention_days: int, stop: threading.Event) -> None:
    try:
        deleted = _prune(conn, retention_days, None, stop)
    except sqlite3.Error as exc:  # a busy or full database must not stop the checkpoints
        logger.warning("prediction log pruning failed: %s", exc)
        return
    if deleted:
        logger.info("pruned %d prediction-log lines older than %d days", deleted, retention_days)


def _checkpoint(conn: sqlite3.Connection, mode: str) -> None:
    try:
        conn.execute(f"PRAGMA wal_checkpoint({mode})")
    except sqlite3.Error as exc:  # a busy database or a full disk must not kill the thread
        logger.warning("prediction log checkpoint failed: %s", exc)


def _json(value: object) -> str:
    """Standard JSON in one Rust call: NaN (an unknown feature value) as null, not ``NaN``."""
    return pydantic_core.to_json(value, inf_nan_mode="null", fallback=_plain).decode()


def _plain(value: object) -> object:
    """What JSON cannot hold as is: NumPy scalars as Python numbers, anything else as text."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def read_prediction_log(directory: Path) -> pd.DataFrame:
    """Every logged line as a DataFrame (JSON columns decoded to dicts), oldest first."""
    path = directory / FILE_NAME
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        frame = pd.read_sql_query("SELECT * FROM predictions ORDER BY rowid", conn)
        decode = LineDecoder(conn)
    finally:
        conn.close()
    if PAYLOAD not in frame:
        frame[PAYLOAD] = None
    decoded = [decode(*row) for row in frame[[*JSON_COLUMNS, PAYLOAD]].itertuples(index=False, name=None)]
    for position, column in enumerate(JSON_COLUMNS):
        frame[column] = [line[position] for line in decoded]
    frame = frame[COLUMNS]
    frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True, format="ISO8601")
    return frame
