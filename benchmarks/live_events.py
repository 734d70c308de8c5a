"""Events applied per second to the live state by one stream consumer, on Redis and on SQLite.

    .venv/bin/python benchmarks/live_events.py                       # 50,000 events, batches of 500
    .venv/bin/python benchmarks/live_events.py --events 20000 --batch-size 200

A generated mix of events over 1,000 SKUs x 2 locations (a first count of every SKU-location, then
order lines confirmed and shipped, stock adjustments, PO lines created, announced and received) is
put in a Redis stream; one ``StreamConsumer`` reads, applies and acknowledges it batch by batch
into the Redis store, then into the SQLite store (the stream is in Redis both times). The same
events are also applied straight to each store (``apply`` in batches, no stream). Needs the Redis
at 127.0.0.1:6379; its keys go under a prefix of their own, deleted at the end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import redis

from live.redis_state import RedisLiveState
from live.sqlite_state import SqliteLiveState
from live.stream import StreamConsumer, StreamNames, produce

REDIS_URL = "redis://127.0.0.1:6379/0"


def generate(n_events: int, n_skus: int = 1000, seed: int = 0) -> list[dict]:
    """A first count per SKU-location, then a random mix of order, stock and PO events."""
    rng = np.random.default_rng(seed)
    locations = ["DC-1", "DC-2"]
    events: list[dict] = []
    clock = np.datetime64("2026-03-01T00:00:00")

    def add(type_: str, **fields) -> None:
        nonlocal clock
        clock += np.timedelta64(1, "s")
        events.append({"event_id": f"e{len(events)}", "type": type_, "occurred_at": str(clock), **fields})

    for sku in range(n_skus):
        for location in locations:
            add("stock_counted", sku_id=f"S{sku}", location_id=location, on_hand=int(rng.integers(0, 500)))
    confirmed: list[dict] = []
    open_pos: list[str] = []
    while len(events) < n_events:
        sku, location = f"S{rng.integers(n_skus)}", locations[rng.integers(2)]
        roll = rng.random()
        if roll < 0.4:
            line = {"order_id": f"O{len(events)}", "line_id": "1", "sku_id": sku, "location_id": location}
            add("order_confirmed", quantity=int(rng.integers(1, 10)), requested_date="2026-03-10", **line)
            confirmed.append(line)
        elif roll < 0.6 and confirmed:
            add("order_shipped", quantity=1, **confirmed.pop(int(rng.integers(len(confirmed)))))
        elif roll < 0.8:
            add("stock_adjusted", sku_id=sku, location_id=location, quantity_delta=int(rng.integers(-3, 4)),
                reason="cycle count")
        elif roll < 0.9 or not open_pos:
            po_id = f"PO{len(events)}"
            add("po_created", po_id=po_id, supplier_id="V1", sku_id=sku, location_id=location,
                quantity=int(rng.integers(10, 100)), promised_date="2026-03-20")
            open_pos.append(po_id)
        elif roll < 0.95:
            add("asn_received", po_id=open_pos[int(rng.integers(len(open_pos)))], eta="2026-03-21", quantity=10)
        else:
            add("po_received", po_id=open_pos.pop(int(rng.integers(len(open_pos)))), quantity=10)
    return events


def through_stream(client: redis.Redis, state, events: list[dict], prefix: str, batch_size: int) -> tuple[float, float]:
    """Events per second (wall clock, and per CPU second of this process) one consumer reads, applies
    and acknowledges."""
    names = StreamNames(f"{prefix}:events", "bench", f"{prefix}:dead")
    produce(client, names.stream, events)
    consumer = StreamConsumer(client, state, names, "c1", batch_size=batch_size)
    start, cpu = time.perf_counter(), time.process_time()
    stats = consumer.run(block_ms=10, until_idle=True)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert stats.applied == len(events) and stats.dead_lettered == 0, stats
    return len(events) / elapsed, len(events) / cpu


def direct(state, events: list[dict], batch_size: int) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(events), batch_size):
        result = state.apply(events[first:first + batch_size])
        assert not result.rejected, result.rejected[:3]
    return len(events) / (time.perf_counter() - start), len(events) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    events = generate(args.events)
    client = redis.Redis.from_url(REDIS_URL)
    prefixes = []
    with tempfile.TemporaryDirectory() as folder:
        for store in ("redis", "sqlite"):
            for mode in ("stream", "direct"):
                prefix = f"bench-live-{uuid.uuid4().hex[:8]}"
                prefixes.append(prefix)
                state = (RedisLiveState(REDIS_URL, prefix) if store == "redis"
                         else SqliteLiveState(Path(folder) / f"{prefix}.db"))
                rate, cpu_rate = (through_stream(client, state, events, prefix, args.batch_size) if mode == "stream"
                        else direct(state, events, args.batch_size))
                state.close()
                print(f"{store:6s} {mode:6s}: {rate:9,.0f} events/s, {cpu_rate:9,.0f} per CPU second "
                      f"({len(events):,} events, batches of {args.batch_size})", flush=True)
    for prefix in prefixes:
        names = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for first in range(0, len(names), 1000):
            client.delete(*names[first:first + 1000])
    client.close()


if __name__ == "__main__":
    main()
