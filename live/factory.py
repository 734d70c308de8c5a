"""Open the live state the settings name: SQLite in the data folder or Redis."""

from __future__ import annotations

from live.state import LiveState
from settings import Settings


def open_live_state(settings: Settings) -> LiveState:
    """The store of ``settings.live_store``; the caller closes it."""
    if settings.live_store == "redis":
        from live.redis_state import RedisLiveState

        return RedisLiveState(settings.live.redis_url, settings.live.key_prefix,
                              settings.live.idempotency_window_seconds)
    from live.sqlite_state import SqliteLiveState

    window = settings.live.idempotency_window_seconds
    return SqliteLiveState(settings.live_state_path, idempotency_window_seconds=window)
