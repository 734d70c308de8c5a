"""Time to find one order's lines in the live state (``LiveState.order_lines``, what a customer
notice reads first), on SQLite and on Redis, as the state grows.

    .venv/bin/python benchmarks/order_lines_lookup.py                   # 10,000 / 100,000 / 300,000 orders
    .venv/bin/python benchmarks/order_lines_lookup.py --orders 5000 50000

Each order is one ``order_confirmed`` event applied in batches of 500 (so Redis also holds the
event ids of the idempotency window, as a running service does). SQLite reads an order's lines
by a key range; Redis reads the order's index set, then the records (the database's size is
printed beside). Keys go under a prefix of their own, deleted at the end;
needs the Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import redis

from live.redis_state import RedisLiveState
from live.sqlite_state import SqliteLiveState
from live.state import LiveState

REDIS_URL = "redis://127.0.0.1:6379/0"
BATCH = 500
REPEATS = 7


def confirmations(first: int, last: int) -> list[dict]:
    """One confirmed line per order ``O<i>`` for i in [first, last), over 1,000 SKUs."""
    return [
        {
            "event_id": f"confirm-{i}",
            "type": "order_confirmed",
            "occurred_at": "2026-03-02T09:00:00",
            "order_id": f"O{i}",
            "line_id": "1",
            "sku_id": f"SKU-{i % 1000}",
            "location_id": "DC-1",
            "quantity": 1 + i % 7,
            "requested_date": "2026-03-10",
        }
        for i in range(first, last)
    ]


def lookup_ms(state: LiveState, order_id: str) -> tuple[float, float]:
    """Median and largest time of ``order_lines(order_id)`` over ``REPEATS`` calls, in ms."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        found = state.order_lines(order_id)
        times.append((time.perf_counter() - start) * 1000)
        assert [line.order_id for line in found] == [order_id]
    return statistics.median(times), max(times)


def run(state: LiveState, name: str, sizes: list[int], keys: redis.Redis | None) -> None:
    held = 0
    for size in sizes:
        for start in range(held, size, BATCH):
            state.apply(confirmations(start, min(start + BATCH, size)))
        held = size
        median, largest = lookup_ms(state, f"O{size // 2}")
        space = f", {keys.dbsize():,} keys in the Redis database" if keys is not None else ""
        print(f"{name}: {size:,} orders{space}: order_lines median {median:.1f} ms, largest {largest:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    sizes = sorted(parser.parse_args().orders)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = SqliteLiveState(Path(folder) / "live.db")
        try:
            run(sqlite, "SQLite", sizes, None)
        finally:
            sqlite.close()
    prefix = f"bench-order-lines-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    store = RedisLiveState(REDIS_URL, prefix)
    try:
        run(store, "Redis", sizes, client)
    finally:
        store.close()
        names = list(client.scan_iter(match=f"{prefix}:*", count=10_000))
        for start in range(0, len(names), 5000):
            client.delete(*names[start : start + 5000])
        client.close()


if __name__ == "__main__":
    main()
