"""The settings choose the live state's store: SQLite embedded, Redis in production."""

from __future__ import annotations

from live.factory import open_live_state
from live.redis_state import RedisLiveState
from live.sqlite_state import SqliteLiveState
from settings import load_settings
from tests.live.conftest import REDIS_URL


def test_embedded_keeps_the_live_state_in_the_data_folder(settings):
    state = open_live_state(settings)
    try:
        assert isinstance(state, SqliteLiveState)
        assert state.path == settings.data_dir / "live_state.db"
    finally:
        state.close()


def test_production_uses_redis_under_its_prefix(tmp_path, redis_prefix):
    settings = load_settings(root=tmp_path, profile="production", allow_dev_key=False,
                             api_keys={"k": ["oms"]}, live={"redis_url": REDIS_URL, "key_prefix": redis_prefix})
    state = open_live_state(settings)
    try:
        assert isinstance(state, RedisLiveState) and state.prefix == redis_prefix
    finally:
        state.close()


def test_the_store_can_be_chosen_explicitly(tmp_path):
    assert load_settings(root=tmp_path, live={"store": "redis"}).live_store == "redis"
