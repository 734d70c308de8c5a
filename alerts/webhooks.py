"""Webhook subscriptions, the signed payload of an exception event, and the delivery outbox.

A subscription names a URL, a secret and optional filters (kinds, minimum severity,
locations; absent means all). ``enqueue`` writes, for every event and every subscription it
matches, one pending delivery holding the exact body that will be sent: its id is the
``Idempotency-Key`` of every try, so a receiver can drop repeats. Sending happens off the
request path (``alerts.delivery``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from alerts.kinds import KIND_NAMES, SEVERITIES, severity_rank
from alerts.schema import deliveries, subscriptions
from alerts.store import ExceptionEvent, exception_json

SIGNATURE_HEADER = "X-Backorder-Signature"
MIN_SECRET_LENGTH = 16


class InvalidSubscription(ValueError):
    """A subscription field is unusable; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver checks: the header equals the body's signature (compared in constant time)."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def event_body(event: ExceptionEvent, now: datetime) -> str:
    """The JSON a subscriber receives: event id, type, time and the exception."""
    return json.dumps(
        {"id": event.event_id, "type": event.type, "created_at": now.isoformat(),
         "exception": exception_json(event.exception)},
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def matches(subscription: dict[str, Any], exception: dict[str, Any]) -> bool:
    """Whether ``exception`` passes the subscription's kinds, minimum severity and locations."""
    kinds, locations, floor = subscription["kinds"], subscription["locations"], subscription["min_severity"]
    return (
        (not kinds or exception["kind"] in kinds)
        and (floor is None or severity_rank(exception["severity"]) >= severity_rank(floor))
        and (not locations or exception["location_id"] in locations)
    )


class Subscriptions:
    """Subscribers and their pending deliveries in the alert database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(
        self,
        url: str,
        secret: str,
        now: datetime,
        kinds: Sequence[str] | None = None,
        min_severity: str | None = None,
        locations: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """A new subscription (returned without its secret); a bad field raises ``InvalidSubscription``."""
        try:
            parts = urlsplit(url)
        except ValueError:
            raise InvalidSubscription("url", f"not a URL: {url!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidSubscription("url", f"expected an http(s) URL, got {url!r}")
        if len(secret) < MIN_SECRET_LENGTH:
            raise InvalidSubscription("secret", f"must be at least {MIN_SECRET_LENGTH} characters")
        unknown = sorted(set(kinds or ()) - set(KIND_NAMES))
        if unknown:
            raise InvalidSubscription("kinds", f"unknown kind(s) {unknown}; expected some of {list(KIND_NAMES)}")
        if min_severity is not None and min_severity not in SEVERITIES:
            raise InvalidSubscription("min_severity", f"expected one of {list(SEVERITIES)}, got {min_severity!r}")
        row = {"id": uuid.uuid4().hex, "url": url, "secret": secret, "kinds": list(kinds) if kinds else None,
               "min_severity": min_severity, "locations": list(locations) if locations else None,
               "created_at": now}
        with self.engine.begin() as conn:
            conn.execute(subscriptions.insert(), row)
        return _public(row)

    def all(self) -> list[dict[str, Any]]:
        """Every subscription, oldest first, without secrets."""
        return [_public(s) for s in self._all_with_secrets()]

    def delete(self, subscription_id: str) -> bool:
        """Remove a subscription and its pending deliveries; False when there was none."""
        with self.engine.begin() as conn:
            conn.execute(
                deliveries.delete().where(
                    deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending"
                )
            )
            return conn.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id)).rowcount > 0

    def enqueue(self, events: Sequence[ExceptionEvent], now: datetime) -> int:
        """One pending delivery per (event, matching subscription); returns how many."""
        if not events:
            return 0
        subs = self._all_with_secrets()
        rows = []
        for event in events:
            body = event_body(event, now)
            rows += [
                {"id": uuid.uuid4().hex, "event_id": event.event_id, "event_type": event.type,
                 "subscription_id": s["id"], "url": s["url"], "body": body, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now}
                for s in subs
                if matches(s, event.exception)
            ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(deliveries.insert(), rows)
        return len(rows)

    def redeliver(self, delivery_id: str, now: datetime) -> bool:
        """A dead letter back to pending, with fresh tries (same body and ``Idempotency-Key``);
        False when there is no dead delivery of that id."""
        with self.engine.begin() as conn:
            return conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id, deliveries.c.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=now, finished_at=None)
            ).rowcount > 0

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Deliveries, oldest first; ``status="dead"`` is the dead-letter list."""
        query = sa.select(deliveries).order_by(deliveries.c.created_at, deliveries.c.id)
        if status is not None:
            query = query.where(deliveries.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def _all_with_secrets(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            query = sa.select(subscriptions).order_by(subscriptions.c.created_at, subscriptions.c.id)
            return [dict(r._mapping) for r in conn.execute(query)]


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription as answered: everything but the secret, times as ISO text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in subscription.items() if k != "secret"}
