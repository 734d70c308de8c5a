"""Events read from a Redis stream are applied once each, acknowledged after, and bad ones set aside."""

from __future__ import annotations

import pytest

from live.stream import StreamConsumer, StreamNames, produce
from tests.live.conftest import event, redis_or_skip

SKU, DC = "SKU-1", "DC-1"


@pytest.fixture
def client(redis_prefix):
    client = redis_or_skip()
    yield client
    client.close()


@pytest.fixture
def names(redis_prefix) -> StreamNames:
    return StreamNames(f"{redis_prefix}:events", "live", f"{redis_prefix}:dead")


def _adjustments(n: int) -> list[dict]:
    return [event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=1, reason="found") for _ in range(n)]


def test_stream_events_are_applied_and_acknowledged(client, names, store):
    produce(client, names.stream, _adjustments(30))
    stats = StreamConsumer(client, store, names, "c1", batch_size=7).run(block_ms=10, until_idle=True)
    assert (stats.read, stats.applied, stats.dead_lettered) == (30, 30, 0)
    assert store.position(SKU, DC).on_hand == 30
    assert client.xpending(names.stream, names.group)["pending"] == 0


def test_entries_of_a_consumer_that_died_are_delivered_again_and_applied_once(client, names, store):
    events = _adjustments(10)
    produce(client, names.stream, events)
    crashed = StreamConsumer(client, store, names, "crashed", batch_size=10)
    crashed.ensure_group()
    taken = crashed.read(block_ms=10)
    store.apply([e for e in events[:4]])  # it applied part of the batch, then died before XACK
    assert len(taken) == 10 and client.xpending(names.stream, names.group)["pending"] == 10

    stats = StreamConsumer(client, store, names, "other", claim_idle_ms=0).run(block_ms=10, until_idle=True)
    assert (stats.read, stats.applied, stats.duplicates) == (10, 6, 4)
    assert store.position(SKU, DC).on_hand == 10
    assert client.xpending(names.stream, names.group)["pending"] == 0


def test_a_consumer_restarted_under_its_name_reads_its_own_pending_entries_first(client, names, store):
    produce(client, names.stream, _adjustments(5))
    first = StreamConsumer(client, store, names, "c1")
    first.ensure_group()
    assert len(first.read(block_ms=10)) == 5  # read, then killed
    stats = StreamConsumer(client, store, names, "c1").run(block_ms=10, until_idle=True)
    assert stats.applied == 5 and store.position(SKU, DC).on_hand == 5


def test_events_that_cannot_be_applied_go_to_the_dead_letter_stream_with_the_reason(client, names, store):
    good = event("stock_counted", sku_id=SKU, location_id=DC, on_hand=7)
    bad = event("stock_counted", sku_id=SKU, location_id=DC, on_hand="7")
    unknown_po = event("po_received", po_id="PO-404", quantity=3)
    produce(client, names.stream, [good, bad, unknown_po])
    client.xadd(names.stream, {"event": b"{not json"})
    stats = StreamConsumer(client, store, names, "c1").run(block_ms=10, until_idle=True)
    assert (stats.applied, stats.dead_lettered) == (1, 3)
    dead = {fields[b"reason"].decode() for _, fields in client.xrange(names.dead_letter)}
    assert dead == {"on_hand: expected a whole number, got '7'", "po_id: unknown PO line 'PO-404'",
                    "event: not valid JSON"}
    assert store.position(SKU, DC).on_hand == 7
    assert client.xpending(names.stream, names.group)["pending"] == 0
