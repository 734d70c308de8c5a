"""Live state stores for the tests: SQLite in a temporary folder, Redis under a unique key prefix."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest

from live.sqlite_state import SqliteLiveState

REDIS_URL = "redis://127.0.0.1:6379/0"
STORES = ["sqlite", "redis"]


def redis_or_skip():
    """A client of the local Redis (the test is skipped when none runs here; CI starts one)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    return client


def drop_prefix(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own, deleted afterwards."""
    client = redis_or_skip()
    prefix = f"test-live-{uuid.uuid4().hex[:12]}"
    yield prefix
    drop_prefix(client, prefix)
    client.close()


def open_store(kind: str, tmp_path, prefix: str | None, window_seconds: float = 3600.0):
    """A store of ``kind`` remembering applied event ids for ``window_seconds``."""
    if kind == "sqlite":
        return SqliteLiveState(tmp_path / "live.db", idempotency_window_seconds=window_seconds)
    from live.redis_state import RedisLiveState

    return RedisLiveState(REDIS_URL, prefix, window_seconds)


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    prefix = request.getfixturevalue("redis_prefix") if request.param == "redis" else None
    state = open_store(request.param, tmp_path, prefix)
    yield state
    state.close()


_ids = itertools.count()


def event(type_: str, at: str = "2026-03-02T09:00:00", event_id: str | None = None, **fields) -> dict:
    """An event of ``type_`` with a fresh id (unless given) and the fields given."""
    return {"event_id": event_id or f"ev-{next(_ids)}", "type": type_, "occurred_at": at, **fields}
