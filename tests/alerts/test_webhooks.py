"""Webhook deliveries to a real HTTP receiver process: signature, idempotency key, retries,
dead-letter list, filters, rate limit; and the Redis stream."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
import redis
from alert_helpers import SECRET

from alerts.delivery import DeliveryPolicy, DeliveryWorker, utc_now
from alerts.desk import AlertDesk
from alerts.detection import order_lines_at_risk
from alerts.store import ExceptionStore
from alerts.webhooks import InvalidSubscription, verify_signature
from settings import load_settings
from settings.sections import AlertsSettings

FAST = AlertsSettings(delivery_attempts=4, delivery_base_delay_seconds=0.05, delivery_timeout_seconds=5)


def _lines(probabilities: dict[str, float], location: str = "DC1") -> pd.DataFrame:
    scored = pd.DataFrame({
        "order_id": list(probabilities), "line_id": "1", "sku_id": "A", "location_id": location, "quantity": 10,
        "backorder_probability": list(probabilities.values()),
    })
    return order_lines_at_risk(scored, FAST)


def _desk(engine, cfg: AlertsSettings = FAST, stream_client=None) -> AlertDesk:
    return AlertDesk(ExceptionStore(engine), cfg, stream_client)


def test_the_alert_arrives_after_retries_signed_with_one_idempotency_key(engine, receiver):
    hook = receiver(2)
    desk = _desk(engine)
    desk.subscriptions.add(hook.url, SECRET, utc_now())
    desk.record(_lines({"O1": 0.9}), utc_now())
    done = desk.deliverer().deliver_until_done(max_seconds=10, poll_seconds=0.05)
    assert (done.delivered, done.retried, done.dead) == (1, 2, 0)
    calls = hook.calls()
    assert [c["status"] for c in calls] == [500, 500, 200]
    assert all(c["verified"] for c in calls)
    assert len({c["headers"]["Idempotency-Key"] for c in calls}) == 1
    assert len({c["body"] for c in calls}) == 1
    body = json.loads(calls[-1]["body"])
    assert body["type"] == "exception.opened" and calls[-1]["headers"]["X-Backorder-Event-Id"] == body["id"]
    assert body["exception"]["kind"] == "order_line_at_risk" and body["exception"]["severity"] == "critical"
    assert verify_signature(SECRET, calls[-1]["body"].encode(), calls[-1]["headers"]["X-Backorder-Signature"])
    [delivery] = desk.subscriptions.deliveries()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3


def test_a_receiver_that_always_fails_ends_in_the_dead_letter_list(engine, receiver):
    hook = receiver(-1)
    desk = _desk(engine)
    desk.subscriptions.add(hook.url, SECRET, utc_now())
    desk.record(_lines({"O1": 0.9}), utc_now())
    done = desk.deliverer().deliver_until_done(max_seconds=10, poll_seconds=0.05)
    assert done.dead == 1 and done.delivered == 0
    assert len(hook.calls()) == FAST.delivery_attempts
    [dead] = desk.subscriptions.deliveries("dead")
    assert dead["attempts"] == FAST.delivery_attempts and dead["last_error"] == "HTTP 500"
    assert desk.deliverer().next_due() is None  # nothing left pending
    assert desk.subscriptions.redeliver(dead["id"], utc_now()) and not desk.subscriptions.redeliver("nope", utc_now())
    again = desk.deliverer().deliver_due()
    assert again.retried == 1 and hook.calls()[-1]["headers"]["Idempotency-Key"] == dead["id"]


def test_a_delivery_worker_thread_sends_what_is_recorded_while_it_runs(engine, receiver):
    hook = receiver(0)
    desk = _desk(engine)
    desk.subscriptions.add(hook.url, SECRET, utc_now())
    worker = DeliveryWorker(desk.deliverer(), poll_seconds=0.05)
    worker.start()
    try:
        desk.record(_lines({"O1": 0.9, "O2": 0.6}), utc_now())
        deadline = time.monotonic() + 10
        while len(desk.subscriptions.deliveries("delivered")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert sorted(json.loads(c["body"])["exception"]["order_id"] for c in hook.calls()) == ["O1", "O2"]


def test_an_unreachable_receiver_is_retried_then_dead(engine):
    desk = _desk(engine, FAST.model_copy(update={"delivery_attempts": 2}))
    desk.subscriptions.add("http://127.0.0.1:9/hooks", SECRET, utc_now())
    desk.record(_lines({"O1": 0.9}), utc_now())
    done = desk.deliverer().deliver_until_done(max_seconds=10, poll_seconds=0.05)
    assert (done.retried, done.dead) == (1, 1)
    assert "ConnectError" in desk.subscriptions.deliveries("dead")[0]["last_error"]


def test_filters_choose_the_subscribers(engine):
    desk = _desk(engine)
    now = utc_now()
    everything = desk.subscriptions.add("http://127.0.0.1:9/all", SECRET, now)
    desk.subscriptions.add("http://127.0.0.1:9/po", SECRET, now, kinds=["po_late"])
    critical = desk.subscriptions.add("http://127.0.0.1:9/critical", SECRET, now, min_severity="critical")
    dc2 = desk.subscriptions.add("http://127.0.0.1:9/dc2", SECRET, now, locations=["DC2"])
    desk.record(pd.concat([_lines({"O1": 0.6}), _lines({"O2": 0.9}, location="DC2")]), now)
    by_subscriber = pd.Series([d["subscription_id"] for d in desk.subscriptions.deliveries()]).value_counts()
    assert by_subscriber.to_dict() == {everything["id"]: 2, critical["id"]: 1, dc2["id"]: 1}


def test_no_storm_a_redetection_sends_nothing_and_a_subscriber_is_rate_limited(engine, receiver):
    hook = receiver(0)
    desk = _desk(engine, FAST.model_copy(update={"subscriber_per_minute": 2}))
    desk.subscriptions.add(hook.url, SECRET, utc_now())
    detected = _lines({f"O{i}": 0.6 for i in range(5)})
    desk.record(detected, utc_now())
    assert desk.record(detected, utc_now()).events == []  # the same exceptions again: updates only
    assert len(desk.subscriptions.deliveries()) == 5
    deliverer = desk.deliverer()
    first = deliverer.deliver_due()
    assert (first.delivered, first.deferred) == (2, 3)
    assert len(hook.calls()) == 2


def test_a_subscription_is_answered_without_its_secret_and_bad_fields_are_named(engine):
    desk = _desk(engine)
    made = desk.subscriptions.add("https://example.com/hook", SECRET, utc_now(), kinds=["po_late"])
    assert "secret" not in made and made["kinds"] == ["po_late"]
    assert [s["id"] for s in desk.subscriptions.all()] == [made["id"]]
    for field, kwargs in (("url", {"url": "ftp://x"}), ("secret", {"secret": "short"}),
                          ("kinds", {"kinds": ["nope"]}), ("min_severity", {"min_severity": "loud"})):
        with pytest.raises(InvalidSubscription) as error:
            desk.subscriptions.add(**{"url": "https://example.com/h", "secret": SECRET, "now": utc_now(), **kwargs})
        assert error.value.field == field
    assert desk.subscriptions.delete(made["id"]) and not desk.subscriptions.delete(made["id"])


def test_retries_wait_exponentially_longer():
    policy = DeliveryPolicy.from_settings(AlertsSettings(delivery_base_delay_seconds=30))
    assert [policy.retry_delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (30, 60, 120)]


@pytest.fixture
def stream_client() -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis(host="127.0.0.1", port=6379)
    name = f"test_alerts_{uuid.uuid4().hex[:12]}"
    yield client, name
    client.delete(name)
    client.close()


@pytest.mark.redis
def test_events_are_also_added_to_the_redis_stream(tmp_path, stream_client, monkeypatch):
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    client, name = stream_client
    settings = load_settings(data_dir=tmp_path, alerts={"redis_stream": name},
                             live={"redis_url": "redis://127.0.0.1:6379/0"})
    desk = AlertDesk.from_settings(settings)
    opened = desk.record(_lines({"O1": 0.6, "O2": 0.7}), utc_now()).opened
    desk.resolve(opened[0]["id"], "planner", "done", utc_now())
    entries = client.xrange(name)
    assert [e[1][b"type"] for e in entries] == [b"exception.opened", b"exception.opened", b"exception.resolved"]
    assert json.loads(entries[-1][1][b"body"])["exception"]["resolved_by"] == "planner"


def test_two_delivery_workers_send_each_delivery_once(engine, receiver):
    hook = receiver(0)
    desk = _desk(engine)
    desk.subscriptions.add(hook.url, SECRET, utc_now())
    workers = [DeliveryWorker(desk.deliverer(), poll_seconds=0.01) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        desk.record(_lines({f"O{i}": 0.9 for i in range(20)}), utc_now())
        deadline = time.monotonic() + 10
        while len(desk.subscriptions.deliveries("delivered")) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.stop()
    keys = [c["headers"]["Idempotency-Key"] for c in hook.calls()]
    assert len(keys) == 20 and len(set(keys)) == 20
