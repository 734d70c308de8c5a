"""The service's OnlineReader returns exactly what Feast's get_online_features returns (SQLite, Redis),
and the SQLite store's lighter read returns exactly what Feast's own SQLite store reads."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.sqlite import SqliteOnlineStore
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

from features.feast_repo.definitions import TTL
from features.feature_store import OnlineReader, _values, materialize

END = pd.Timestamp("2024-02-25", tz="UTC").to_pydatetime()
# Duplicates, an unknown SKU-location (SKU-9) and an unknown supplier (S-9), a non-default index.
ROWS = pd.DataFrame(
    {
        "sku_id": ["SKU-3", "SKU-1", "SKU-9", "SKU-1", "SKU-2", "SKU-3", "SKU-2", "SKU-1", "SKU-3", "SKU-2"],
        "location_id": ["DC-2", "DC-1", "DC-1", "DC-2", "DC-1", "DC-1", "DC-2", "DC-1", "DC-2", "DC-1"],
        "supplier_id": ["S-1", "S-1", "S-1", "S-2", "S-2", "S-1", "S-9", "S-2", "S-1", "S-2"],
    },
    index=[17, 3, 5, 8, 1, 0, 42, 11, 12, 9],
)
SERVICES = ("sku_location_risk_v1", "backorder_risk_v1", "lead_time_v1")


def feast_frame(store, service: str, rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``get_online_features`` for ``rows`` as the reader's frame: float64 features, NaN if absent."""
    response = store.get_online_features(
        features=store.get_feature_service(service), entity_rows=rows.to_dict("records")
    ).to_dict()
    columns = {n: pd.to_numeric(pd.Series(response[n], dtype=object)).astype("float64").to_numpy() for n in names}
    return pd.DataFrame(columns, index=rows.index)


def assert_reader_matches_feast(store) -> None:
    for service in SERVICES:
        reader = OnlineReader(store, service)
        for rows in (ROWS, ROWS.iloc[[1]], ROWS.iloc[:3]):
            got = reader.read(rows)
            want = feast_frame(store, service, rows, reader.feature_names)
            pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{service}, {len(rows)} rows")
            assert (got.dtypes == "float64").all()
    got = OnlineReader(store, "sku_location_risk_v1").read(ROWS)
    assert got.loc[5].isna().all()  # unknown SKU-location: NaN, not zero
    assert got.drop(index=5).notna().any(axis=1).all()
    lanes = OnlineReader(store, "lead_time_v1").read(ROWS)
    assert lanes.loc[42].isna().all()  # SKU-2 has no lane with S-9, S-9 no supplier features


@pytest.fixture(scope="module")
def sqlite_store(applied_store):
    _, _, store = applied_store
    materialize(store, END - pd.Timedelta(days=30), END)
    return store


def test_reader_returns_what_get_online_features_returns_on_sqlite(sqlite_store):
    assert_reader_matches_feast(sqlite_store)


def test_sqlite_store_reads_what_feasts_own_sqlite_store_reads(sqlite_store):
    """Values and timestamps per entity key, unknown keys as (None, None), in the keys' order."""
    ours = sqlite_store._get_provider().online_store
    assert type(ours).__name__ == "FastReadSqliteOnlineStore"
    feasts = SqliteOnlineStore()
    keys_of = {"sku": ["sku_id"], "location": ["location_id"], "supplier": ["supplier_id"]}
    checked = 0
    for view in sqlite_store.list_feature_views():
        join_keys = [column for entity in view.entities for column in keys_of[entity]]
        rows = ROWS[join_keys].astype(str).to_numpy().tolist()
        keys = [
            EntityKeyProto(join_keys=join_keys, entity_values=[ValueProto(string_val=v) for v in row])
            for row in rows
        ]
        got = ours.online_read(config=sqlite_store.config, table=view, entity_keys=keys)
        want = feasts.online_read(config=sqlite_store.config, table=view, entity_keys=keys)
        assert got == want, view.name
        checked += sum(stored is not None for _, stored in got)
        assert any(stored is None for _, stored in got)  # SKU-9 / S-9 are unknown
    assert checked > 0
    assert ours.online_read(config=sqlite_store.config, table=view, entity_keys=[]) == []


def test_sqlite_values_read_are_the_numbers_feasts_own_read_holds(sqlite_store):
    """Doubles decoded without protobuf, integers and nulls through it: the same float matrix."""
    ours = sqlite_store._get_provider().online_store
    feasts = SqliteOnlineStore()
    kinds = set()
    for view in sqlite_store.list_feature_views():
        join_keys = [f"{entity}_id" for entity in view.entities]
        keys = [
            EntityKeyProto(join_keys=join_keys, entity_values=[ValueProto(string_val=v) for v in row])
            for row in ROWS[join_keys].astype(str).drop_duplicates().to_numpy().tolist()
        ]
        names = [f.name for f in view.features] + ["not_stored"]
        found = feasts.online_read(config=sqlite_store.config, table=view, entity_keys=keys)
        kinds |= {value.WhichOneof("val") for _, stored in found if stored for value in stored.values()}
        version = sqlite_store.config.entity_key_serialization_version
        serialized = [serialize_entity_key(key, entity_key_serialization_version=version) for key in keys]
        got = ours.online_read_serialized(
            config=sqlite_store.config, table=view, keys=serialized, requested_features=names
        )
        np.testing.assert_array_equal(got, _values(found, names), err_msg=view.name)
        assert np.isnan(got[:, -1]).all()
    assert {"double_val", "int64_val", None} <= kinds  # every decoding path was taken


def test_reader_like_feast_applies_no_ttl_online(sqlite_store):
    """Values stamped long before now - TTL are still served, by Feast and by the reader."""
    assert datetime.now(UTC) - END > TTL
    reader = OnlineReader(sqlite_store, "sku_location_risk_v1")
    got = reader.read(ROWS.iloc[[0]])
    assert got.notna().any(axis=None)
    want = feast_frame(sqlite_store, "sku_location_risk_v1", ROWS.iloc[[0]], reader.feature_names)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_reader_reads_each_entity_once_and_fans_out(sqlite_store, monkeypatch):
    reader = OnlineReader(sqlite_store, "sku_location_risk_v1")
    calls = []
    read_serialized = reader._read_serialized

    def counting(**kwargs):
        calls.append(len(kwargs["keys"]))
        return read_serialized(**kwargs)

    monkeypatch.setattr(reader, "_read_serialized", counting)
    got = reader.read(ROWS)
    assert calls == [len(ROWS[["sku_id", "location_id"]].drop_duplicates())]
    np.testing.assert_array_equal(got.loc[17].to_numpy(), got.loc[12].to_numpy())  # SKU-3 DC-2 twice


def test_reader_on_no_rows_and_missing_columns(sqlite_store):
    reader = OnlineReader(sqlite_store, "sku_location_risk_v1")
    empty = reader.read(ROWS.iloc[:0])
    assert empty.shape == (0, len(reader.feature_names))
    assert list(empty.columns) == reader.feature_names
    with pytest.raises(ValueError, match="location_id"):
        reader.read(ROWS[["sku_id"]])


@pytest.mark.redis
def test_reader_returns_what_get_online_features_returns_on_redis(redis_store):
    _, _, store, _, _ = redis_store
    materialize(store, END - pd.Timedelta(days=30), END)
    assert_reader_matches_feast(store)
