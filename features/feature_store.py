"""The Feast feature store of Backorder Radar: configuration from Settings, apply, materialize,
point-in-time training sets and online reads.

The configuration is built in code from ``Settings`` (duckdb offline store over Parquet with
absolute paths; SQLite online store, or Redis when ``settings.online_store == "redis"``) and also
written to ``feature_store.yaml`` so the ``feast`` CLI sees the same store. Definitions are applied
with ``FeatureStore.apply`` (milliseconds) rather than the CLI (seconds of imports).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from feast import FeatureStore, FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

from features.build import TIMESTAMP
from features.feast_repo.definitions import FEATURE_SERVICES, definitions
from features.order_line import request_features, with_request_features
from features.sqlite_online_store import STORE_TYPE as SQLITE_STORE_TYPE
from settings import Settings
from settings.redis_retry import fail_fast_retry
from settings.third_party_output import library_prints_silenced, silence_known_warnings

silence_known_warnings()  # feast's import puts a "once" DeprecationWarning filter before the known ones
ROW_ID = "_row_id"


def store_config(settings: Settings, project: str | None = None) -> dict[str, object]:
    """``feature_store.yaml`` content for ``settings`` (all paths absolute)."""
    if settings.online_store == "redis":
        online: dict[str, object] = {
            "type": "redis",
            "connection_string": settings.redis_connection_string,
        }
    else:
        # Feast's SQLite store with a lighter read (features.sqlite_online_store).
        online = {"type": SQLITE_STORE_TYPE, "path": str(settings.online_store_path.resolve())}
    return {
        "project": project or settings.feast_project,
        "provider": "local",
        "registry": str((settings.feature_repo_dir / "registry.db").resolve()),
        "offline_store": {"type": "duckdb"},
        "online_store": online,
        "entity_key_serialization_version": 3,
    }


def open_store(settings: Settings, project: str | None = None) -> FeatureStore:
    """A FeatureStore on the repository in ``settings.feature_repo_dir`` (no files read)."""
    config = store_config(settings, project)
    repo = settings.feature_repo_dir.resolve()
    return FeatureStore(repo_path=str(repo), config=RepoConfig(repo_path=repo, **config))


def apply_definitions(settings: Settings, project: str | None = None) -> FeatureStore:
    """Write ``feature_store.yaml`` and register entities, views and services; returns the store."""
    repo = settings.feature_repo_dir
    repo.mkdir(parents=True, exist_ok=True)
    settings.online_store_path.parent.mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        yaml.safe_dump(store_config(settings, project), sort_keys=False)
    )
    store = open_store(settings, project)
    store.apply(definitions(settings.features_dir))
    return store


def materialize(store: FeatureStore, start: datetime, end: datetime, rewind: bool = False) -> None:
    """Load the latest values with ``event_timestamp`` in [start, end] into the online store.

    ``rewind`` replaces values newer than ``end`` (a replay of past days): the Redis online store
    keeps the newest value per key and skips older writes, so its views are emptied first; the
    SQLite store overwrites whatever it holds."""
    if rewind and store.config.online_store.type == "redis":
        online_store = store._get_provider().online_store
        for view in store.list_feature_views():
            online_store.delete_table(store.config, view)
    with library_prints_silenced():
        store.materialize(start_date=start, end_date=end)


def join_keys(store: FeatureStore, service: str) -> list[str]:
    """The entity columns the views of ``service`` are keyed by."""
    keys: list[str] = []
    for projection in store.get_feature_service(service).feature_view_projections:
        keys += [k for k in store.get_feature_view(projection.name).join_keys if k not in keys]
    return keys


def historical_features(
    store: FeatureStore, entity_rows: pd.DataFrame, service: str
) -> pd.DataFrame:
    """Point-in-time join of ``service``'s features onto ``entity_rows`` (order and index kept).

    ``entity_rows`` needs the service's join keys and ``event_timestamp``; each row gets the latest
    feature values stamped at or before its timestamp (within the views' TTL).
    """
    if service not in FEATURE_SERVICES:
        raise ValueError(f"unknown feature service {service!r}; known: {sorted(FEATURE_SERVICES)}")
    feature_service = store.get_feature_service(service)
    keys = join_keys(store, service)
    missing = [c for c in [*keys, TIMESTAMP] if c not in entity_rows.columns]
    if missing:
        raise ValueError(
            f"entity_rows: missing column(s) {missing} for feature service {service!r}"
        )
    stamps = pd.to_datetime(entity_rows[TIMESTAMP])
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    # duckdb rejects nanosecond timestamps; Feast does not keep row order, hence the row id.
    entity_df = entity_rows[keys].reset_index(drop=True)
    entity_df[TIMESTAMP] = (
        stamps.dt.floor("us").astype("datetime64[us, UTC]").reset_index(drop=True)
    )
    entity_df[ROW_ID] = np.arange(len(entity_df))
    joined = store.get_historical_features(entity_df=entity_df, features=feature_service).to_df()
    features = joined.drop(columns=[*keys, TIMESTAMP]).set_index(ROW_ID).sort_index()
    if len(features) != len(entity_rows):
        raise RuntimeError(
            f"point-in-time join returned {len(features)} rows for {len(entity_rows)}"
        )
    features.index = entity_rows.index
    return pd.concat([entity_rows, features], axis=1)


class OnlineReader:
    """Reads one feature service's latest values for a few entities, for request-time serving.

    Resolving a feature service in the Feast registry costs milliseconds per call (protobuf
    parsing with runtime type checks), and ``FeatureStore.get_online_features`` redoes it on every
    call along with its response protobufs. So the views, join keys and Feast's online store (SQLite
    or Redis) are resolved once here, and each ``read`` is one ``OnlineStore.online_read`` per view
    for the distinct entities of the call, whose ValueProtos become one float matrix.

    Same values as ``get_online_features`` (``tests/features/test_fast_online_reader.py``): float64
    columns named after the features, NaN for an entity or a value that is not stored. Like
    ``get_online_features``, no TTL is applied online: a stored value is returned however old.
    """

    def __init__(self, store: FeatureStore, service: str) -> None:
        self.store = store
        self.service = service
        projections = store.get_feature_service(service).feature_view_projections
        views = [store.get_feature_view(p.name) for p in projections]
        self._views = [
            (view, list(view.join_keys), [f.name for f in p.features])
            for view, p in zip(views, projections, strict=True)
        ]
        self._config = store.config
        self._provider = store._get_provider()
        # The local provider only forwards online_read to its online store; call the store itself.
        self._online_store = getattr(self._provider, "online_store", None) or self._provider
        self._read_serialized = getattr(self._online_store, "online_read_serialized", None)
        redis_client = getattr(self._online_store, "_get_client", None)
        if redis_client is not None:
            redis_client(self._config.online_store).set_retry(fail_fast_retry())
        # Serializing an entity key is a protobuf build per key, the same bytes every request for
        # one SKU-location; bounded, so unknown keys sent by clients cannot grow it without limit.
        self._serialized_key = functools.lru_cache(maxsize=1 << 16)(self._serialize)
        self.feature_names = [name for _, _, names in self._views for name in names]
        self._columns = pd.Index(self.feature_names)

    def check(self) -> None:
        """Raise unless the online store answers: the SQLite store's file and tables
        (``FastReadSqliteOnlineStore.check``), or a Redis ping; cheap enough to run every second."""
        check = getattr(self._online_store, "check", None)
        if check is not None:
            check(self._config, [view for view, _, _ in self._views])
            return
        client = getattr(self._online_store, "_get_client", None)
        if client is not None:
            client(self._config.online_store).ping()

    def read(self, entity_rows: pd.DataFrame) -> pd.DataFrame:
        """Feature values per entity row (row-aligned, index kept); NaN where nothing is stored."""
        values = self.read_values(entity_rows)
        return pd.DataFrame(values, index=entity_rows.index, columns=self._columns, copy=False)

    def read_values(self, entity_rows: Mapping[str, Sequence[object]] | pd.DataFrame) -> np.ndarray:
        """``read`` as a float matrix, columns in ``feature_names`` order: what the service's
        request path takes (``entity_rows`` may be a DataFrame or a mapping of column arrays)."""
        n = len(next(iter(entity_rows.values()))) if isinstance(entity_rows, Mapping) else len(entity_rows)
        out = np.full((n, len(self.feature_names)), np.nan)
        first = 0
        for view, keys, names in self._views:
            missing = [k for k in keys if k not in entity_rows]
            if missing:
                raise ValueError(f"entity_rows: missing column(s) {missing} for {view.name}")
            rows = list(zip(*([str(v) for v in np.asarray(entity_rows[k]).tolist()] for k in keys), strict=True))
            if rows:
                unique = {row: i for i, row in enumerate(dict.fromkeys(rows))}
                values = self._read_view(view, keys, list(unique), names)
                out[:, first : first + len(names)] = (
                    values if len(unique) == len(rows) else values[[unique[row] for row in rows]]
                )
            first += len(names)
        return out

    def _read_view(
        self, view: FeatureView, keys: list[str], rows: list[tuple[str, ...]], names: list[str]
    ) -> np.ndarray:
        """One view's values for distinct entity ``rows`` (tuples of join-key values)."""
        if self._read_serialized is not None:  # the SQLite store's read without protobuf objects
            serialized = [self._serialized_key(tuple(keys), row) for row in rows]
            return self._read_serialized(
                config=self._config, table=view, keys=serialized, requested_features=names
            )
        entity_keys = [_entity_key(keys, row) for row in rows]
        # A copy of ``names``: the Redis store appends its timestamp key to the list it is given.
        found = self._online_store.online_read(
            config=self._config, table=view, entity_keys=entity_keys, requested_features=list(names)
        )
        return _values(found, names)

    def _serialize(self, keys: tuple[str, ...], row: tuple[str, ...]) -> bytes:
        return serialize_entity_key(
            _entity_key(list(keys), row),
            entity_key_serialization_version=self._config.entity_key_serialization_version,
        )


def _entity_key(keys: list[str], row: tuple[str, ...]) -> EntityKeyProto:
    return EntityKeyProto(join_keys=keys, entity_values=[ValueProto(string_val=v) for v in row])


_NULL = ValueProto()


def _values(found: list[tuple[object, dict[str, ValueProto] | None]], names: list[str]) -> np.ndarray:
    """``online_read``'s (timestamp, {feature: ValueProto}) per entity as a float matrix (NaN if absent)."""
    out = np.full((len(found), len(names)), np.nan)
    hits = [i for i, (_, stored) in enumerate(found) if stored]
    if hits:
        protos = [found[i][1].get(name, _NULL) for i in hits for name in names]
        flat = [
            getattr(proto, kind) if (kind := proto.WhichOneof("val")) and kind != "null_val" else np.nan
            for proto in protos
        ]
        out[hits] = np.asarray(flat, dtype=float).reshape(len(hits), len(names))
    return out


def online_features(store: FeatureStore, entity_rows: pd.DataFrame, service: str) -> pd.DataFrame:
    """Latest materialized features of ``service`` for each entity row (row-aligned, index kept).

    For repeated reads (a service), keep an ``OnlineReader`` instead.
    """
    return OnlineReader(store, service).read(entity_rows)


def order_line_training_set(store: FeatureStore, order_lines: pd.DataFrame, service: str) -> pd.DataFrame:
    """Order-line rows (from ``build``) with point-in-time features and request-time features."""
    return with_request_features(historical_features(store, order_lines, service))


def online_request_features(reader: OnlineReader, requests: pd.DataFrame) -> pd.DataFrame:
    """What the service feeds the order-line model: online features plus request-time features.

    ``requests`` holds ``sku_id, location_id, supplier_id, quantity, requested_date, request_time,
    customer_tier``; ``reader`` reads the order-line service's online features (see
    ``OnlineReader``); the request-time part is the same function training used.
    """
    online = reader.read(requests)
    return pd.concat([requests, online, request_features(requests, online)], axis=1)


def feature_repo_files(settings: Settings) -> list[Path]:
    """What ``apply_definitions`` leaves in the repository folder (for reporting)."""
    return sorted(settings.feature_repo_dir.glob("*"))
