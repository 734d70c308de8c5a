"""The Redis online store (settings.online_store == "redis") serves what SQLite serves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.feature_store import apply_definitions, materialize, online_features

pytestmark = pytest.mark.redis

ENTITIES = pd.DataFrame(
    {
        "sku_id": ["SKU-1", "SKU-2", "SKU-3"],
        "location_id": ["DC-1", "DC-2", "DC-1"],
        "supplier_id": ["S-1", "S-2", "S-1"],
    }
)


def _latest_rows(feats: pd.DataFrame, end) -> pd.DataFrame:
    """Each of ENTITIES' SKU-locations: its newest feature row at or before ``end``."""
    latest = (
        feats[feats["event_timestamp"] <= end]
        .sort_values("event_timestamp")
        .groupby(["sku_id", "location_id"])
        .tail(1)
        .set_index(["sku_id", "location_id"])
    )
    return latest.reindex(pd.MultiIndex.from_frame(ENTITIES[["sku_id", "location_id"]]))


def test_redis_online_reads_equal_the_latest_materialized_rows(
    redis_store, tmp_path, feature_writer, world_tables
):
    settings, built, store, client, project = redis_store
    end = pd.Timestamp("2024-02-20", tz="UTC").to_pydatetime()
    materialize(store, end - pd.Timedelta(days=30), end)
    assert any(True for _ in client.scan_iter(b"*" + project.encode(), count=1000))
    got = online_features(store, ENTITIES, "sku_location_risk_v1")

    want = _latest_rows(built.sku_location_features, end)
    for column in ("on_hand", "demand_mean_7", "projected_position_lt", "promo_next_h"):
        np.testing.assert_allclose(got[column], want[column].to_numpy(dtype=float), equal_nan=True)

    sqlite_settings, _ = feature_writer(tmp_path / "sqlite", world_tables)
    sqlite_store = apply_definitions(sqlite_settings)
    materialize(sqlite_store, end - pd.Timedelta(days=30), end)
    pd.testing.assert_frame_equal(got, online_features(sqlite_store, ENTITIES, "sku_location_risk_v1"))


def test_teardown_leaves_no_keys_of_the_project(redis_store):
    settings, built, store, client, project = redis_store
    end = pd.Timestamp("2024-02-20", tz="UTC").to_pydatetime()
    materialize(store, end - pd.Timedelta(days=30), end)
    store.teardown()
    assert not list(client.scan_iter(b"*" + project.encode(), count=1000))


def test_rewinding_to_an_earlier_day_serves_that_day_on_redis_as_on_sqlite(redis_store):
    """A replay of past days loads an earlier window after a later one: Redis keeps the newest
    value per key, so without ``rewind`` it would go on serving the later day."""
    settings, built, store, client, project = redis_store
    later = pd.Timestamp("2024-02-20", tz="UTC").to_pydatetime()
    earlier = pd.Timestamp("2024-02-10", tz="UTC").to_pydatetime()
    materialize(store, later - pd.Timedelta(days=30), later)
    at_later = online_features(store, ENTITIES, "sku_location_risk_v1")

    materialize(store, earlier - pd.Timedelta(days=30), earlier, rewind=True)
    got = online_features(store, ENTITIES, "sku_location_risk_v1")

    want = _latest_rows(built.sku_location_features, earlier)
    assert not np.allclose(at_later["demand_sum_7"], want["demand_sum_7"].to_numpy(dtype=float))
    for column in ("on_hand", "demand_sum_7", "projected_position_lt"):
        np.testing.assert_allclose(got[column], want[column].to_numpy(dtype=float), equal_nan=True)


def test_a_load_ending_before_the_last_one_serves_its_day_on_redis_as_on_sqlite(redis_store):
    """The demo's replay moves the online store from day to day; a load that goes back to an
    earlier day serves that day on both stores, whether or not the caller asked to rewind."""
    from pipelines.commands.features import materialize_latest

    settings, built, store, client, project = redis_store
    later = pd.Timestamp("2024-02-20", tz="UTC").to_pydatetime()
    earlier = pd.Timestamp("2024-02-10", tz="UTC").to_pydatetime()
    materialize_latest(settings, later, days=30)
    materialize_latest(settings, earlier, days=30)
    got = online_features(store, ENTITIES, "sku_location_risk_v1")

    want = _latest_rows(built.sku_location_features, earlier)
    for column in ("on_hand", "demand_sum_7", "projected_position_lt"):
        np.testing.assert_allclose(got[column], want[column].to_numpy(dtype=float), equal_nan=True)
