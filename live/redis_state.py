"""The live state in Redis (production profile): every worker and consumer shares it.

Records are JSON strings under ``<prefix>:rec:<key>``, indexed by SKU in sets; an applied event
id is a key ``<prefix>:seen:<event_id>``; the event log is the stream ``<prefix>:log`` (one
entry per applied batch). A call WATCHes every record and event id it reads, applies the rules
in Python and writes records, event ids and the log entry in one MULTI/EXEC: if another
client changed any of them meanwhile, EXEC fails and the call starts again from fresh reads.
So an event is applied with its id and its log entry or not at all, and two reservations
never take the same unit.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from contracts.event_validation import NormalizedEvent
from live.answers import open_purchase_orders_frame, positions_frame, stock_position
from live.batch import apply_batch, check_batch
from live.book import Book
from live.canonical import seed_records
from live.event_archive import write_archive_file
from live.records import PositionRecord, Record, decode, encode, kind_of, position_key
from live.rules import check_reservation, keys_read, reservation_keys, reserve_line
from live.state import ApplyResult, LiveStateUnavailable, ReservationRequest, StockPosition

T = TypeVar("T")
P = ParamSpec("P")


def _unavailable_when_unreachable(method: Callable[P, T]) -> Callable[P, T]:
    """Redis refusing, dropping or still loading its data: ``LiveStateUnavailable``, which the
    service answers with a 503 (a MULTI/EXEC ran whole or not at all; retrying is safe)."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise LiveStateUnavailable(f"the live state's Redis did not answer: {exc}") from exc

    return call


class RedisLiveState:
    """``LiveState`` in the Redis at ``url`` under the key prefix ``prefix``."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        # A failed call is tried once more at once (a connection a restart dropped), not redis-py's
        # default 3 retries over seconds of backoff: while Redis is down, a request fails fast.
        self._redis = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1))

    def _rec(self, key: str) -> str:
        return f"{self.prefix}:rec:{key}"

    def _index(self, kind: str, sku_id: str) -> str:
        return f"{self.prefix}:sku:{kind}:{sku_id}"

    def _seen(self, event_id: str) -> str:
        return f"{self.prefix}:seen:{event_id}"

    @property
    def log_stream(self) -> str:
        return f"{self.prefix}:log"

    def _optimistic(self, step: Callable[[redis.client.Pipeline], T]) -> T:
        """Run ``step`` (WATCHed reads, then MULTI writes) until no watched key changed under it."""
        while True:
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    return step(pipe)
                except redis.WatchError:
                    continue

    @staticmethod
    def _loader(pipe: redis.client.Pipeline, rec: Callable[[str], str]) -> Callable[[list[str]], dict]:
        def load(keys: list[str]) -> dict:
            names = [rec(key) for key in keys]
            pipe.watch(*names)
            return dict(zip(keys, pipe.mget(names), strict=True))

        return load

    def _write(self, pipe: redis.client.Pipeline, changes: Mapping[str, Record], created: Iterable[str]) -> None:
        """Queue the records and, for the new ones, their place in the SKU index."""
        if not changes:
            return
        pipe.mset({self._rec(key): encode(record) for key, record in changes.items()})
        members: dict[str, list[str]] = defaultdict(list)
        for key in created:
            members[self._index(kind_of(key), changes[key].sku_id)].append(key)
        for index, keys in members.items():
            pipe.sadd(index, *keys)

    @_unavailable_when_unreachable
    def apply(self, events: Sequence[Mapping[str, Any]]) -> ApplyResult:
        checked = check_batch(events)
        seen_names = [self._seen(event_id) for event_id in checked.event_ids]

        named = list(dict.fromkeys(key for _, event in checked.valid for key in keys_read(event)))

        def step(pipe: redis.client.Pipeline) -> ApplyResult:
            # one WATCH and one MGET for the ids and the records the events name
            book, already = Book(self._loader(pipe, self._rec)), set()
            names = seen_names + [self._rec(key) for key in named]
            if names:
                pipe.watch(*names)
                values = pipe.mget(names)
                seen, records = values[:len(seen_names)], values[len(seen_names):]
                already = {i for i, hit in zip(checked.event_ids, seen, strict=True) if hit}
                book.preload(dict(zip(named, records, strict=True)))
            outcome = apply_batch(checked, book, already)
            pipe.multi()
            self._write(pipe, outcome.book_changes, outcome.created)
            if outcome.applied:
                pipe.mset({self._seen(e["event_id"]): 1 for e in outcome.applied})
                pipe.xadd(self.log_stream, {"events": json.dumps(outcome.applied, separators=(",", ":"))})
            pipe.execute()
            return outcome.result

        return self._optimistic(step)

    @_unavailable_when_unreachable
    def reserve(self, requests: Sequence[ReservationRequest]) -> list[int]:
        for request in requests:
            check_reservation(request)

        def step(pipe: redis.client.Pipeline) -> list[int]:
            book = Book(self._loader(pipe, self._rec))
            book.prefetch(key for request in requests for key in reservation_keys(request))
            granted = [reserve_line(request, book) for request in requests]
            pipe.multi()
            self._write(pipe, book.changes(), book.created())
            pipe.execute()
            return granted

        return self._optimistic(step)

    @_unavailable_when_unreachable
    def seed(self, stock: pd.DataFrame, open_pos: pd.DataFrame, as_of: pd.Timestamp) -> None:
        """Replace the stock, PO and order-line records by those of the canonical tables at ``as_of``.

        Run it before consumers and workers start: it is not atomic with concurrent events.
        """
        records = seed_records(stock, open_pos, as_of)
        for pattern in (f"{self.prefix}:rec:*", f"{self.prefix}:sku:*"):
            names = list(self._redis.scan_iter(match=pattern, count=1000))
            for start in range(0, len(names), 1000):
                self._redis.delete(*names[start:start + 1000])
        with self._redis.pipeline(transaction=True) as pipe:
            self._write(pipe, records, records)
            pipe.execute()

    def _records(self, kind: str, sku_ids: Sequence[str]) -> list[Any]:
        skus = list(dict.fromkeys(sku_ids))
        if not skus:
            return []
        with self._redis.pipeline(transaction=False) as pipe:
            for sku_id in skus:
                pipe.smembers(self._index(kind, sku_id))
            keys = sorted({member.decode() for members in pipe.execute() for member in members})
        if not keys:
            return []
        return [decode(key, text) for key, text in zip(keys, self._redis.mget([self._rec(k) for k in keys]),
                                                        strict=True) if text is not None]

    @_unavailable_when_unreachable
    def position(self, sku_id: str, location_id: str) -> StockPosition | None:
        key = position_key(sku_id, location_id)
        found = decode(key, self._redis.get(self._rec(key)))
        if not isinstance(found, PositionRecord):
            return None
        return stock_position(found, self._records("po", [sku_id]))

    @_unavailable_when_unreachable
    def positions(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        return positions_frame(self._records("pos", sku_ids))

    @_unavailable_when_unreachable
    def open_purchase_orders(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        return open_purchase_orders_frame(self._records("po", sku_ids))

    @_unavailable_when_unreachable
    def applied_events(self) -> list[NormalizedEvent]:
        """The event log still in Redis (not flushed yet), in the order applied."""
        events: list[NormalizedEvent] = []
        for _, fields in self._redis.xrange(self.log_stream):
            events.extend(json.loads(fields[b"events"]))
        return events

    @_unavailable_when_unreachable
    def flush_log(self, folder: Path) -> int:
        """Move the log from Redis to a file of ``folder`` (written durably, then trimmed)."""
        entries = self._redis.xrange(self.log_stream)
        if not entries:
            return 0
        events = [event for _, fields in entries for event in json.loads(fields[b"events"])]
        first, last = entries[0][0].decode(), entries[-1][0].decode()
        milliseconds, sequence = (int(part) for part in first.split("-"))
        write_archive_file(folder, f"{milliseconds:015d}-{sequence:06d}", events)
        milliseconds, sequence = (int(part) for part in last.split("-"))
        self._redis.xtrim(self.log_stream, minid=f"{milliseconds}-{sequence + 1}", approximate=False)
        return len(events)

    def close(self) -> None:
        self._redis.close()
