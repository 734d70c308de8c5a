"""Feast's SQLite online store with a lighter read, for the scoring service's request path.

Feast's ``SqliteOnlineStore.online_read`` selects ``event_ts`` with its declared ``timestamp``
type, so Python's sqlite3 converts every stored value's timestamp (one per feature per entity) to
a ``datetime`` and Feast makes it timezone-aware, although only the last per entity is returned. On a
10-line order with 55 features that was half of the read. This store reads the same table and
returns the same ``(timestamp, {feature: ValueProto})`` per entity key
(``tests/features/test_fast_online_reader.py``), converting one timestamp per entity. Writes,
table management and everything else are Feast's own.

Selected in ``feature_store.yaml`` with ``online_store: {type: features.sqlite_online_store.
FastReadSqliteOnlineStore, path: ...}`` (``features.feature_store.store_config`` does it).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from feast import FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.sqlite import SqliteOnlineStore, SqliteOnlineStoreConfig, _quote_id, _table_id
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

STORE_TYPE = "features.sqlite_online_store.FastReadSqliteOnlineStore"


class FastReadSqliteOnlineStoreConfig(SqliteOnlineStoreConfig):
    """Feast's SQLite settings (``path``); only the type differs."""

    type: Literal["features.sqlite_online_store.FastReadSqliteOnlineStore"] = STORE_TYPE  # type: ignore[assignment]


class FastReadSqliteOnlineStore(SqliteOnlineStore):
    def online_read(
        self,
        config: RepoConfig,
        table: FeatureView,
        entity_keys: Sequence[EntityKeyProto],
        requested_features: list[str] | None = None,
    ) -> list[tuple[datetime | None, dict[str, ValueProto] | None]]:
        """Like Feast's: every stored feature of each key (``requested_features`` is not used
        there either), with the event timestamp of the key's last row, as a UTC ``datetime``."""
        keys = [
            serialize_entity_key(key, entity_key_serialization_version=config.entity_key_serialization_version)
            for key in entity_keys
        ]
        if not keys:
            return []
        versioning = config.registry.enable_online_feature_view_versioning
        # A cast has no declared type, so sqlite3 hands back the stored bytes without converting.
        rows = (
            self._get_conn(config)
            .execute(
                f"SELECT entity_key, feature_name, value, CAST(event_ts AS BLOB) "
                f"FROM {_quote_id(_table_id(config.project, table, versioning))} "
                f"WHERE entity_key IN ({','.join('?' * len(keys))}) ORDER BY entity_key",
                keys,
            )
            .fetchall()
        )
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
