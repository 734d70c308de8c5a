"""The live state in Redis (production profile): every worker and consumer shares it.

Records are JSON strings under ``<prefix>:rec:<key>``, indexed by SKU in sets; an applied event
id is a key ``<prefix>:seen:<event_id>`` that expires after the idempotency window; the event
log is the stream ``<prefix>:log`` (one entry per applied batch or reservation call). A call
reads the event ids and records it needs (MGET), applies the rules in Python, then sends one
script (``_COMMIT``) that checks every value read is still what was read and only then writes
records, event ids and the log entry: if another client changed any of them meanwhile, nothing
is written and the call starts again from fresh reads. So an event is applied with its id and
its log entry or not at all, and two reservations never take the same unit. Seeding, rare and
large, uses WATCH and MULTI/EXEC instead.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import redis

from contracts.event_validation import NormalizedEvent
from live.answers import (
    open_purchase_orders_frame,
    order_line_records,
    positions_frame,
    stock_frames,
    stock_position,
)
from live.batch import apply_batch, check_batch, reserve_batch
from live.book import Book
from live.canonical import seed_records
from live.event_archive import write_archive_file
from live.records import (
    OrderLineRecord,
    PositionRecord,
    Record,
    decode,
    encode,
    kind_of,
    position_key,
)
from live.rules import check_reservation, keys_read
from live.state import ApplyResult, LiveStateUnavailable, ReservationRequest, StockPosition
from settings.redis_retry import fail_fast_retry

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

# A call's writes, made only if nothing it read has changed since (a script runs alone, so the
# check and the writes are one atomic step). KEYS: the n keys read, the m records to write, the j
# index sets to add to, the k applied event ids, the log stream. ARGV: n, m, j, k, the
# idempotency window (ms), the log entry ('' for none), the n values read ('' where absent), the
# m records, the j index members. Returns 0, having written nothing, when a value read changed.
_COMMIT = """
local n, m, j, k = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, n do
  if (redis.call('GET', KEYS[i]) or '') ~= ARGV[6 + i] then return 0 end
end
for i = 1, m do redis.call('SET', KEYS[n + i], ARGV[6 + n + i]) end
for i = 1, j do redis.call('SADD', KEYS[n + m + i], ARGV[6 + n + m + i]) end
for i = 1, k do redis.call('SET', KEYS[n + m + j + i], '1', 'PX', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('XADD', KEYS[n + m + j + k + 1], '*', 'events', ARGV[6]) end
return 1
"""

# The records of some SKUs in one round trip: the members of their index sets (KEYS), then each
# member's record (ARGV[1] is the record key prefix); a flat reply of key, record, key, record...
_RECORDS_OF = """
local out = {}
for _, index in ipairs(KEYS) do
  for _, key in ipairs(redis.call('SMEMBERS', index)) do
    out[#out + 1] = key
    out[#out + 1] = redis.call('GET', ARGV[1] .. key)
  end
end
return out
"""



class RedisLiveState:
    """``LiveState`` in the Redis at ``url`` under the key prefix ``prefix``; an applied event id
    is recognised for ``idempotency_window_seconds``. Its connections are named ``<prefix>:live``."""

    def __init__(self, url: str, prefix: str, idempotency_window_seconds: float = 7 * 86400) -> None:
        self.prefix = prefix
        self._window_ms = max(int(idempotency_window_seconds * 1000), 1)
        self._redis = redis.Redis.from_url(url, client_name=f"{prefix}:live", retry=fail_fast_retry())
        self._records_of = self._redis.register_script(_RECORDS_OF)

    def _rec(self, key: str) -> str:
        return f"{self.prefix}:rec:{key}"

    def _index(self, kind: str, sku_id: str) -> str:
        return f"{self.prefix}:sku:{kind}:{sku_id}"

    def _order_index(self, order_id: str) -> str:
        return f"{self.prefix}:order:{order_id}"

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

    def _reader(self, read: dict[str, bytes | None]) -> Callable[[list[str]], dict]:
        """A ``Book`` loader (one MGET) that notes every value it read in ``read``, by Redis key."""
        def load(keys: list[str]) -> dict:
            names = [self._rec(key) for key in keys]
            values = self._redis.mget(names)
            read.update(zip(names, values, strict=True))
            return dict(zip(keys, values, strict=True))

        return load

    def _index_members(self, changes: Mapping[str, Record], created: Iterable[str]) -> list[tuple[str, str]]:
        """(index set, record key) of each record new to the store: its SKU's, and for an order
        line its order's too."""
        members = []
        for key in sorted(created):
            record = changes[key]
            members.append((self._index(kind_of(key), record.sku_id), key))
            if isinstance(record, OrderLineRecord):
                members.append((self._order_index(record.order_id), key))
        return members

    def _write(self, pipe: redis.client.Pipeline, changes: Mapping[str, Record], created: Iterable[str]) -> None:
        """Queue the records and, for the new ones, their place in the SKU index."""
        if not changes:
            return
        pipe.mset({self._rec(key): encode(record) for key, record in changes.items()})
        members: dict[str, list[str]] = defaultdict(list)
        for index, key in self._index_members(changes, created):
            members[index].append(key)
        for index, keys in members.items():
            pipe.sadd(index, *keys)

    def _commit(self, read: Mapping[str, bytes | None], changes: Mapping[str, Record], created: Iterable[str],
                applied_ids: list[str], logged: list[NormalizedEvent]) -> bool:
        """Write the changes, the applied ids and the log entry with ``_COMMIT`` unless a value in
        ``read`` changed meanwhile; False (nothing written) if one did."""
        if not changes and not applied_ids and not logged:
            return True  # nothing to write: the reads (one MGET each) are the answer
        writes = {self._rec(key): encode(record) for key, record in changes.items()}
        members = self._index_members(changes, created)
        seen = [self._seen(event_id) for event_id in applied_ids]
        keys = [*read, *writes, *(index for index, _ in members), *seen, self.log_stream]
        entry = json.dumps(logged, separators=(",", ":")) if logged else ""
        args = [len(read), len(writes), len(members), len(seen), self._window_ms, entry,
                *(value or b"" for value in read.values()), *writes.values(), *(key for _, key in members)]
        return bool(self._redis.eval(_COMMIT, len(keys), *keys, *args))

    @_unavailable_when_unreachable
    def apply(self, events: Sequence[Mapping[str, Any]]) -> ApplyResult:
        checked = check_batch(events)
        seen_names = [self._seen(event_id) for event_id in checked.event_ids]
        named = list(dict.fromkeys(key for _, event in checked.valid for key in keys_read(event)))
        while True:
            # one MGET for the ids and the records the events name; the book reads the rest
            read: dict[str, bytes | None] = {}
            book, already = Book(self._reader(read)), set()
            names = seen_names + [self._rec(key) for key in named]
            if names:
                values = self._redis.mget(names)
                read.update(zip(names, values, strict=True))
                seen, records = values[:len(seen_names)], values[len(seen_names):]
                already = {i for i, hit in zip(checked.event_ids, seen, strict=True) if hit}
                book.preload(dict(zip(named, records, strict=True)))
            outcome = apply_batch(checked, book, already)
            applied_ids = [event["event_id"] for event in outcome.applied]
            if self._commit(read, outcome.book_changes, outcome.created, applied_ids, outcome.applied):
                return outcome.result

    @_unavailable_when_unreachable
    def reserve(self, requests: Sequence[ReservationRequest], at: datetime | None = None) -> list[int]:
        for request in requests:
            check_reservation(request)
        while True:
            read: dict[str, bytes | None] = {}
            book = Book(self._reader(read))
            granted, events = reserve_batch(requests, book, at)
            if self._commit(read, book.changes(), book.created(), [], events):
                return granted

    @_unavailable_when_unreachable
    def seed(self, stock: pd.DataFrame, open_pos: pd.DataFrame, as_of: pd.Timestamp,
             only_if_empty: bool = False) -> bool:
        """Replace the stock, PO and order-line records by those of the canonical tables at ``as_of``
        and forget the applied event ids (``LiveState.seed``), in one MULTI/EXEC; returns whether
        it did.

        With ``only_if_empty``, only when the store holds no position of the seed's SKUs, checked
        under WATCH: of workers seeding at once exactly one seeds, and an event applied to those
        SKUs meanwhile makes the seed look again (and find the store no longer empty).
        """
        records = seed_records(stock, open_pos, as_of)
        indexes = [self._index("pos", sku_id) for sku_id in dict.fromkeys(stock["sku_id"].tolist())]

        def step(pipe: redis.client.Pipeline) -> bool:
            if only_if_empty and indexes:
                pipe.watch(*indexes)
                if any(pipe.exists(*indexes[i:i + 1000]) for i in range(0, len(indexes), 1000)):
                    return False
            patterns = [f"{self.prefix}:{kind}:*" for kind in ("rec", "sku", "order", "seen")]
            names = [name for pattern in patterns for name in self._redis.scan_iter(match=pattern, count=1000)]
            pipe.multi()
            for start in range(0, len(names), 1000):
                pipe.delete(*names[start:start + 1000])
            self._write(pipe, records, records)
            pipe.execute()
            return True

        return self._optimistic(step)

    def _records(self, kinds: Sequence[str], sku_ids: Sequence[str]) -> list[Any]:
        """The records of ``kinds`` of ``sku_ids`` in one round trip (``_RECORDS_OF``)."""
        indexes = [self._index(kind, sku_id) for sku_id in dict.fromkeys(sku_ids) for kind in kinds]
        if not indexes:
            return []
        reply = self._records_of(keys=indexes, args=[f"{self.prefix}:rec:"])
        return [decode(key.decode(), text) for key, text in zip(reply[::2], reply[1::2], strict=True)
                if text is not None]

    @_unavailable_when_unreachable
    def position(self, sku_id: str, location_id: str) -> StockPosition | None:
        key = position_key(sku_id, location_id)
        found = decode(key, self._redis.get(self._rec(key)))
        if not isinstance(found, PositionRecord):
            return None
        return stock_position(found, self._records(["po"], [sku_id]))

    @_unavailable_when_unreachable
    def order_lines(self, order_id: str) -> list[OrderLineRecord]:
        """The order's line records: its index set, then one MGET."""
        keys = sorted(member.decode() for member in self._redis.smembers(self._order_index(order_id)))
        values = self._redis.mget([self._rec(key) for key in keys]) if keys else []
        records = (decode(key, value) for key, value in zip(keys, values, strict=True))
        return order_line_records(order_id, records)

    @_unavailable_when_unreachable
    def positions(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        return positions_frame(self._records(["pos"], sku_ids))

    @_unavailable_when_unreachable
    def open_purchase_orders(self, sku_ids: Sequence[str]) -> pd.DataFrame:
        return open_purchase_orders_frame(self._records(["po"], sku_ids))

    def stock(self, sku_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        return stock_frames(self._records(["pos", "po"], sku_ids))

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
