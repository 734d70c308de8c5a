"""The alert desk: the exception store, its subscribers and the stream of one alert database.

Recording detections, acknowledging and resolving go through the desk, so every event worth a
notice becomes pending webhook deliveries and a stream entry in the same call; sending the
deliveries is left to a ``DeliveryWorker`` or ``backorder alerts deliver``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import redis

from alerts import stream
from alerts.delivery import Deliverer, DeliveryPolicy
from alerts.schema import open_database
from alerts.store import ExceptionEvent, ExceptionStore, RecordResult
from alerts.webhooks import Subscriptions
from settings import Settings
from settings.sections import AlertsSettings

CLEARED_BY = "system:live"
CLEARED_COMMENT = "condition cleared: checked again after events and no longer detected"


@dataclass(frozen=True)
class RecheckResult:
    """What a re-check did: the detections recorded, the exceptions resolved as cleared."""

    recorded: RecordResult
    resolved: list[dict[str, Any]]


class AlertDesk:
    """Exceptions, subscriptions and the stream of one alert database, with the alert settings."""

    def __init__(self, store: ExceptionStore, cfg: AlertsSettings, stream_client: Any = None) -> None:
        self.store = store
        self.subscriptions = Subscriptions(store.engine)
        self.cfg = cfg
        self.stream_client = stream_client if cfg.redis_stream else None

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertDesk:
        """The desk on ``settings.alerts_database_url``, adding events to ``alerts.redis_stream`` (when
        set) on the Redis of the live state's event stream (``live.redis_url``)."""
        stream = redis.Redis.from_url(settings.live.redis_url) if settings.alerts.redis_stream else None
        return cls(ExceptionStore(open_database(settings.alerts_database_url)), settings.alerts, stream)

    def record(self, detected: pd.DataFrame, now: datetime) -> RecordResult:
        """Open or update the detected exceptions and announce the openings and escalations."""
        result = self.store.record(detected, now)
        self.announce(result.events, now)
        return result

    def recheck(self, detected: pd.DataFrame, checked: Sequence[str], now: datetime) -> RecheckResult:
        """Record ``detected`` and resolve the active exceptions of the ``checked`` dedup keys that
        were not detected again (their condition cleared); announce both."""
        recorded = self.record(detected, now)
        cleared = sorted(set(checked) - set(detected["dedup_key"]))
        resolved = self.store.resolve_keys(cleared, CLEARED_BY, CLEARED_COMMENT, now)
        self.announce([ExceptionEvent("exception.resolved", e) for e in resolved], now)
        return RecheckResult(recorded, resolved)

    def expire(self, now: datetime) -> list[dict[str, Any]]:
        return self.store.expire(now, timedelta(hours=self.cfg.expire_after_hours))

    def acknowledge(self, exception_id: str, who: str, comment: str | None, now: datetime) -> dict[str, Any]:
        exception = self.store.acknowledge(exception_id, who, comment, now)
        self.announce([ExceptionEvent("exception.acknowledged", exception)], now)
        return exception

    def resolve(self, exception_id: str, who: str, comment: str | None, now: datetime) -> dict[str, Any]:
        exception = self.store.resolve(exception_id, who, comment, now)
        self.announce([ExceptionEvent("exception.resolved", exception)], now)
        return exception

    def announce(self, events: Sequence[ExceptionEvent], now: datetime) -> int:
        """Pending deliveries for the matching subscribers, and stream entries; returns the deliveries."""
        queued = self.subscriptions.enqueue(events, now)
        if self.stream_client is not None and events:
            stream.publish(self.stream_client, self.cfg.redis_stream, events, now, self.cfg.redis_stream_maxlen)
        return queued

    def deliverer(self, **kwargs: Any) -> Deliverer:
        return Deliverer(self.subscriptions, DeliveryPolicy.from_settings(self.cfg), **kwargs)
