"""Sending the pending webhook deliveries: signed POSTs, retries with exponential backoff, a
dead-letter list after the last try, and a per-subscriber rate limit.

Any 2xx answer delivers; anything else (an error status, a refused connection, a timeout) is a
failed try, retried ``attempts`` times in all with waits of ``base_delay`` x 2^(try - 1); then the
delivery is ``dead`` (``Subscriptions.deliveries("dead")``). Every try of a delivery sends the
same body and ``Idempotency-Key``. A worker claims a delivery before sending it, so several
workers (threads or ``backorder alerts deliver`` processes) never send the same try twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from alerts.schema import deliveries, subscriptions
from alerts.webhooks import SIGNATURE_HEADER, Subscriptions, signature
from settings.sections import AlertsSettings

USER_AGENT = "backorder-radar-webhooks/1"
logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """Now in UTC, naive: how the alert database keeps times."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are tried: tries in all, first retry wait, answer timeout, per-subscriber rate."""

    attempts: int
    base_delay: timedelta
    timeout_seconds: float
    per_minute: int

    @classmethod
    def from_settings(cls, cfg: AlertsSettings) -> DeliveryPolicy:
        return cls(cfg.delivery_attempts, timedelta(seconds=cfg.delivery_base_delay_seconds),
                   cfg.delivery_timeout_seconds, cfg.subscriber_per_minute)

    def retry_delay(self, failed_tries: int) -> timedelta:
        """Wait after the ``failed_tries``-th failed try: base, 2 x base, 4 x base, ..."""
        return self.base_delay * 2 ** (failed_tries - 1)


@dataclass(frozen=True)
class DeliveryPass:
    """What one pass over the due deliveries did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # held back by the subscriber's rate limit, sent in a later pass

    def __add__(self, other: DeliveryPass) -> DeliveryPass:
        return DeliveryPass(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


class SubscriberBudget:
    """A token bucket per subscriber: ``per_minute`` deliveries a minute, as many at once."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, datetime]] = {}

    def take(self, subscriber: str, now: datetime) -> bool:
        tokens, then = self._buckets.get(subscriber, (float(self.per_minute), now))
        tokens = min(self.per_minute, tokens + (now - then).total_seconds() * self.per_minute / 60)
        if tokens < 1:
            self._buckets[subscriber] = (tokens, now)
            return False
        self._buckets[subscriber] = (tokens - 1, now)
        return True


class Deliverer:
    """Sends due deliveries of one alert database."""

    def __init__(
        self,
        subscriptions_store: Subscriptions,
        policy: DeliveryPolicy,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = subscriptions_store.engine
        self.policy = policy
        self.client = client or httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False)
        self.clock = clock
        self.budget = SubscriberBudget(policy.per_minute)

    def deliver_due(self, limit: int = 200) -> DeliveryPass:
        """Try every pending delivery whose time has come (up to ``limit``), oldest first."""
        now = self.clock()
        query = (
            sa.select(deliveries, subscriptions.c.secret)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.created_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            due = [dict(r._mapping) for r in conn.execute(query)]
        counts = {"delivered": 0, "retried": 0, "dead": 0, "deferred": 0}
        for delivery in due:
            if not self.budget.take(delivery["subscription_id"], now):
                counts["deferred"] += 1
            elif self._claim(delivery, now):
                counts[self._try(delivery)] += 1
        return DeliveryPass(**counts)

    def next_due(self) -> datetime | None:
        """When the next pending delivery is due (None when nothing is pending)."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(deliveries.c.status == "pending")
            ).scalar_one_or_none()

    def deliver_until_done(self, max_seconds: float, poll_seconds: float = 1.0) -> DeliveryPass:
        """Passes until nothing is pending (delivered or dead) or ``max_seconds`` have passed."""
        total = DeliveryPass()
        deadline = time.monotonic() + max_seconds
        while True:
            done = self.deliver_due()
            total = total + done
            due = self.next_due()
            if due is None or time.monotonic() >= deadline:
                return total
            wait = (due - self.clock()).total_seconds()
            time.sleep(min(max(wait, 0.01), poll_seconds, max(deadline - time.monotonic(), 0.0)))

    def _claim(self, delivery: dict, now: datetime) -> bool:
        """Move the delivery's due time past this try's timeout, unless another worker did first."""
        lease = now + timedelta(seconds=2 * self.policy.timeout_seconds)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery["id"], deliveries.c.status == "pending",
                       deliveries.c.next_attempt_at == delivery["next_attempt_at"])
                .values(next_attempt_at=lease)
            ).rowcount
        return claimed == 1

    def _try(self, delivery: dict) -> str:
        body = delivery["body"].encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(delivery["secret"], body),
            "Idempotency-Key": delivery["id"],
            "X-Backorder-Event": delivery["event_type"],
            "X-Backorder-Event-Id": delivery["event_id"],
        }
        try:
            answer = self.client.post(delivery["url"], content=body, headers=headers)
            error = None if answer.is_success else f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        now, tries = self.clock(), delivery["attempts"] + 1
        if error is None:
            values, outcome = {"status": "delivered", "finished_at": now, "last_error": None}, "delivered"
        elif tries >= self.policy.attempts:
            values, outcome = {"status": "dead", "finished_at": now, "last_error": error}, "dead"
        else:
            values = {"next_attempt_at": now + self.policy.retry_delay(tries), "last_error": error}
            outcome = "retried"
        with self.engine.begin() as conn:
            conn.execute(deliveries.update().where(deliveries.c.id == delivery["id"]).values(attempts=tries, **values))
        return outcome


class DeliveryWorker(threading.Thread):
    """A daemon thread running ``deliver_due`` every ``poll_seconds`` (or at once on ``wake``)
    until ``stop``."""

    def __init__(self, deliverer: Deliverer, poll_seconds: float = 1.0) -> None:
        super().__init__(name="webhook-delivery", daemon=True)
        self.deliverer, self.poll_seconds = deliverer, poll_seconds
        self._stopped = threading.Event()
        self._woken = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            self._woken.clear()
            try:
                self.deliverer.deliver_due()
            except sa.exc.SQLAlchemyError as exc:  # the database is back on a later pass
                logger.warning("webhook delivery pass failed: %s", exc)
            self._woken.wait(self.poll_seconds)

    def wake(self) -> None:
        """Make the next pass now: deliveries were just queued."""
        self._woken.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._woken.set()
        self.join(timeout)
