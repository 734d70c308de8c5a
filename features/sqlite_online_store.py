"""Feast's SQLite online store with a lighter read, for the scoring service's request path.

Feast's ``SqliteOnlineStore.online_read`` selects ``event_ts`` with its declared ``timestamp``
type, so Python's sqlite3 converts every stored value's timestamp (one per feature per entity) to
a ``datetime`` and Feast makes it timezone-aware, although only the last per entity is returned. On a
10-line order with 55 features that was half of the read. This store reads the same table and
returns the same ``(timestamp, {feature: ValueProto})`` per entity key
(``tests/features/test_fast_online_reader.py``), converting one timestamp per entity. Writes,
table management and everything else are Feast's own.

``online_read_serialized`` is the scoring service's read (``features.feature_store.OnlineReader``):
the same stored values as a float matrix, with no protobuf object per value. Feast stores each
value as a serialized ``Value`` message; a float64 is 9 bytes (the ``double_val`` tag, then the
little-endian double), and those are decoded as one array; anything else (integers, booleans,
nulls) goes through protobuf as before.

Reads use a connection of their own (``read_connection``) that never creates the file: Feast's
connection would create an empty database where the file went missing and keep reading that one
after the real file is back. It follows the file by identity instead: a missing file fails the
read, a replaced file is opened again, and the file back in place is read again.

Selected in ``feature_store.yaml`` with ``online_store: {type: features.sqlite_online_store.
FastReadSqliteOnlineStore, path: ...}`` (``features.feature_store.store_config`` does it).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from feast import FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.sqlite import SqliteOnlineStore, SqliteOnlineStoreConfig, _quote_id, _table_id
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

STORE_TYPE = "features.sqlite_online_store.FastReadSqliteOnlineStore"


class FastReadSqliteOnlineStoreConfig(SqliteOnlineStoreConfig):
    """Feast's SQLite settings (``path``); only the type differs."""

    type: Literal["features.sqlite_online_store.FastReadSqliteOnlineStore"] = STORE_TYPE  # type: ignore[assignment]


# A read waits this long for a writer's lock before failing (sqlite3's default is 5 s): the
# service answers 503 rather than hold a request that long.
READ_TIMEOUT_SECONDS = 1.0


class OnlineStoreMissing(FileNotFoundError):
    """The SQLite online store file is not there; nothing is created in its place."""


class FastReadSqliteOnlineStore(SqliteOnlineStore):
    _reader: tuple[tuple[int, int], sqlite3.Connection] | None = None
    _reader_lock = threading.Lock()

    def read_connection(self, config: RepoConfig) -> sqlite3.Connection:
        """A read-only connection to the file now at the store's path (opened again when the
        file there is another one); ``OnlineStoreMissing`` when there is none."""
        path = self._get_db_path(config)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise OnlineStoreMissing(f"online store file {path} is missing") from None
        identity = (stat.st_dev, stat.st_ino)
        with self._reader_lock:
            if self._reader is None or self._reader[0] != identity:
                uri = f"file:{urllib.parse.quote(path)}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=READ_TIMEOUT_SECONDS)
                # A connection still in use by another read is closed when that read lets go of it.
                self._reader = (identity, conn)
            return self._reader[1]

    def check(self, config: RepoConfig, tables: Sequence[FeatureView]) -> None:
        """Raise unless the file is there and each view's table answers a one-row read."""
        versioning = config.registry.enable_online_feature_view_versioning
        conn = self.read_connection(config)
        for table in tables:
            conn.execute(f"SELECT 1 FROM {_quote_id(_table_id(config.project, table, versioning))} LIMIT 1").fetchall()

    def online_read(
        self,
        config: RepoConfig,
        table: FeatureView,
        entity_keys: Sequence[EntityKeyProto],
        requested_features: list[str] | None = None,
    ) -> list[tuple[datetime | None, dict[str, ValueProto] | None]]:
        """Like Feast's: every stored feature of each key (``requested_features`` is not used
        there either), with the event timestamp of the key's last row, as a UTC ``datetime``."""
        keys = _serialized(config, entity_keys)
        if not keys:
            return []
        # A cast has no declared type, so sqlite3 hands back the stored bytes without converting.
        rows = self._select(config, table, keys, "CAST(event_ts AS BLOB)", "ORDER BY entity_key")
        found: dict[bytes, tuple[datetime | None, dict[str, ValueProto] | None]] = {}
        for key, group in itertools.groupby(rows, key=lambda row: row[0]):
            stored = list(group)
            values: dict[str, ValueProto] = {}
            for _, feature_name, blob, _ in stored:
                value = ValueProto()
                value.ParseFromString(blob)
                values[feature_name] = value
            found[key] = (_timestamp(stored[-1][3]), values)
        return [found.get(key, (None, None)) for key in keys]

    def online_read_serialized(
        self, config: RepoConfig, table: FeatureView, keys: Sequence[bytes], requested_features: Sequence[str]
    ) -> np.ndarray:
        """``(len(keys), len(requested_features))`` stored values as floats, NaN where an entity,
        a feature or a value is missing or null: what ``online_read`` holds, as numbers. ``keys``
        are serialized entity keys (``serialize_entity_key``), which a reader may keep."""
        keys = list(keys)
        out = np.full((len(keys), len(requested_features)), np.nan)
        rows = self._select(config, table, keys, "", "") if keys else []
        if not rows:
            return out
        entity, feature, blob = zip(*rows, strict=True)
        row_of = {key: i for i, key in enumerate(keys)}
        column_of = {name: j for j, name in enumerate(requested_features)}
        # map() over dict methods: the per-value loop stays in C (a generator was a third of the read).
        row = np.fromiter(map(row_of.__getitem__, entity), np.intp, len(rows))
        column = np.fromiter(map(column_of.get, feature, itertools.repeat(-1)), np.intp, len(rows))
        wanted = column >= 0
        out[row[wanted], column[wanted]] = _floats(blob)[wanted]
        return out

    def _select(
        self, config: RepoConfig, table: FeatureView, keys: list[bytes], extra: str, order: str
    ) -> list[tuple]:
        """``entity_key, feature_name, value`` (and ``extra``) of the stored rows of ``keys``."""
        versioning = config.registry.enable_online_feature_view_versioning
        columns = "entity_key, feature_name, value" + (f", {extra}" if extra else "")
        return (
            self.read_connection(config)
            .execute(
                f"SELECT {columns} FROM {_quote_id(_table_id(config.project, table, versioning))} "
                f"WHERE entity_key IN ({','.join('?' * len(keys))}) {order}",
                keys,
            )
            .fetchall()
        )


# ``Value.double_val`` is field 5 with the 64-bit wire type: (5 << 3) | 1. A 9-byte message that
# starts with it holds that double and nothing else.
_DOUBLE_TAG = 0x29


def _floats(blobs: Sequence[bytes]) -> np.ndarray:
    """Serialized ``Value`` messages as floats (NaN for null or empty); doubles without protobuf."""
    lengths = np.fromiter(map(len, blobs), np.int64, len(blobs))
    starts = np.cumsum(lengths) - lengths
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    double = lengths == 9
    double[double] = data[starts[double]] == _DOUBLE_TAG
    out = np.full(len(blobs), np.nan)
    out[double] = data[starts[double, None] + np.arange(1, 9)].copy().view("<f8").ravel()
    for i in np.flatnonzero(~double & (lengths > 0)):
        value = ValueProto()
        value.ParseFromString(blobs[i])
        kind = value.WhichOneof("val")
        if kind is not None and kind != "null_val":
            out[i] = float(getattr(value, kind))
    return out


def _serialized(config: RepoConfig, entity_keys: Sequence[EntityKeyProto]) -> list[bytes]:
    version = config.entity_key_serialization_version
    return [serialize_entity_key(key, entity_key_serialization_version=version) for key in entity_keys]


def _timestamp(raw: bytes | None) -> datetime | None:
    """What Feast's read makes of a stored ``event_ts``: the registered ``timestamp`` converter
    (the stored form depends on the datetime adapter registered when it was written), as UTC."""
    if raw is None:
        return None
    convert = sqlite3.converters.get("TIMESTAMP")
    stamp = convert(raw) if convert else raw
    if not isinstance(stamp, datetime):
        raise TypeError(f"event_ts: cannot read {raw!r} as a timestamp")
    return stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
