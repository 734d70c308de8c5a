"""Durable log of every scored line, for monitoring and audit.

SQLite in WAL mode: each request's lines are one transaction, committed before the answer is
sent, so a killed process loses nothing it has answered for (the commit is in the operating
system's hands) and a reader in another process sees every committed line. ``sync="normal"`` (the
default) leaves flushing to disk to WAL checkpoints; ``sync="full"`` also fsyncs every commit, so
that a power cut loses nothing either, at a small cost per request. Inputs, features and
outputs are stored as JSON text so a model with new features needs no schema change.

Checkpoints (copying the WAL into the database file, with its fsync) run on a background thread
every ``checkpoint_seconds``, not in the request that crosses SQLite's auto-checkpoint size, so
no request pays for a checkpoint.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Literal

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
_SCHEMA = f"CREATE TABLE IF NOT EXISTS predictions ({', '.join(COLUMNS)})"
# An order's lines are looked up by order id (its customer notice), not scanned for.
_ORDER_INDEX = "CREATE INDEX IF NOT EXISTS predictions_by_order ON predictions (order_id)"
JSON_COLUMNS = ("inputs", "features", "outputs")
SYNC_MODES = ("normal", "full")


class PredictionLog:
    """Appends scored lines; one connection per instance, guarded for the service's threads."""

    def __init__(
        self, directory: Path, sync: Literal["normal", "full"] = "normal", checkpoint_seconds: float = 1.0
    ) -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"sync must be one of {SYNC_MODES}, got {sync!r}")
        if checkpoint_seconds <= 0:
            raise ValueError(f"checkpoint_seconds must be positive, got {checkpoint_seconds}")
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={sync.upper()}")
        self._conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        self._conn.execute(_SCHEMA)
        self._conn.execute(_ORDER_INDEX)
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(checkpoint_seconds,), name="prediction-log-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, seconds: float) -> None:
        """PASSIVE checkpoints on the thread's own connection: writers are never blocked."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            while not self._stop.wait(seconds):
                _checkpoint(conn, "PASSIVE")
            _checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    def append(self, rows: list[dict[str, object]]) -> None:
        """Write ``rows`` (keys = COLUMNS) as one committed transaction."""
        values = [
            tuple(_json(r[c]) if c in JSON_COLUMNS else r[c] for c in COLUMNS)
            for r in rows
        ]
        placeholders = ", ".join("?" for _ in COLUMNS)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(f"INSERT INTO predictions VALUES ({placeholders})", values)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Stop the checkpointer (it runs a last checkpoint) and close the connection."""
        self._stop.set()
        self._checkpointer.join()
        with self._lock:
            self._conn.close()


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
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        frame = pd.read_sql_query("SELECT * FROM predictions ORDER BY rowid", conn)
    conn.close()
    for column in JSON_COLUMNS:
        frame[column] = frame[column].map(json.loads)
    frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True, format="ISO8601")
    return frame
