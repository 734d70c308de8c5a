"""Apply the events of a Redis stream to the live state, each once, none lost.

Producers ``XADD`` entries whose field ``event`` holds one event as JSON. Consumers of one group
read with ``XREADGROUP``, apply a batch, and ``XACK`` its entries only once ``apply`` returned, so
a consumer that dies holds its entries pending: a consumer restarted under the same name reads
them again first, and any other consumer takes them over (``XAUTOCLAIM``) once they have been
idle ``claim_idle_ms``. Re-delivery applies nothing twice: the live state de-duplicates by
``event_id``. An entry that cannot be applied (bad JSON, a field refused by validation, a rule
it breaks) is moved to the dead-letter stream with its reasons, in the same MULTI as its XACK.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from live.state import ApplyResult, LiveState, LiveStateUnavailable

Entry = tuple[bytes, dict[bytes, bytes]]


@dataclass
class ConsumeStats:
    """What a consumer did: entries read, events applied, duplicates and dead letters."""

    read: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0

    def add(self, other: ConsumeStats) -> None:
        self.read += other.read
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.dead_lettered += other.dead_lettered


@dataclass(frozen=True)
class StreamNames:
    stream: str
    group: str
    dead_letter: str


def produce(client: redis.Redis, stream: str, events: list[dict[str, Any]]) -> list[bytes]:
    """Add events to the stream as a producer would (one entry per event, field ``event``)."""
    with client.pipeline(transaction=False) as pipe:
        for event in events:
            pipe.xadd(stream, {"event": json.dumps(event)})
        return pipe.execute()


class StreamConsumer:
    """One named consumer of the group, applying batches to ``state``."""

    def __init__(self, client: redis.Redis, state: LiveState, names: StreamNames, consumer: str,
                 batch_size: int = 500, claim_idle_ms: int = 30_000,
                 on_applied: Callable[[ApplyResult], None] | None = None) -> None:
        """``on_applied`` gets each batch's ``ApplyResult`` once the batch is acknowledged (the
        service's alert re-check of what the events touched)."""
        self.client, self.state, self.names, self.consumer = client, state, names, consumer
        self.batch_size, self.claim_idle_ms, self.on_applied = batch_size, claim_idle_ms, on_applied
        self._own_pending_done = False
        self._next_claim = 0.0  # monotonic time of the next look for stale entries of others

    def ensure_group(self) -> None:
        """Create the group (reading from the stream's start) unless it exists."""
        try:
            self.client.xgroup_create(self.names.stream, self.names.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, block_ms: int | None) -> list[Entry]:
        """The next batch: this consumer's own pending entries first, then stale ones of others, then new."""
        streams = {self.names.stream: "0" if not self._own_pending_done else ">"}
        if not self._own_pending_done:
            entries = self._entries(self.client.xreadgroup(self.names.group, self.consumer, streams,
                                                           count=self.batch_size))
            if entries:
                return entries
            self._own_pending_done = True
        if time.monotonic() >= self._next_claim:
            claimed = self.client.xautoclaim(self.names.stream, self.names.group, self.consumer,
                                             min_idle_time=self.claim_idle_ms, start_id="0-0", count=self.batch_size)
            entries = [entry for entry in claimed[1] if entry[1]]
            if entries:
                return entries
            # nothing stale now: look again once an entry read now could have become stale
            self._next_claim = time.monotonic() + self.claim_idle_ms / 2000
        streams = {self.names.stream: ">"}
        return self._entries(self.client.xreadgroup(self.names.group, self.consumer, streams,
                                                    count=self.batch_size, block=block_ms))

    @staticmethod
    def _entries(reply: Any) -> list[Entry]:
        return [entry for _, entries in reply or [] for entry in entries if entry[1]]

    def process(self, entries: list[Entry]) -> ConsumeStats:
        """Apply the entries' events, dead-letter what cannot be applied, then acknowledge all."""
        events: list[Any] = []
        sources: list[tuple[bytes, bytes]] = []  # entry id and text of each event handed to apply
        dead: list[tuple[bytes, bytes, list[str]]] = []
        for entry_id, fields in entries:
            raw = fields.get(b"event", b"")
            try:
                events.append(json.loads(raw))
            except ValueError:
                dead.append((entry_id, raw, ["event: not valid JSON"]))
                continue
            sources.append((entry_id, raw))
        result = self.state.apply(events) if events else ApplyResult(0, 0)
        dead.extend((*sources[r.index], r.errors) for r in result.rejected)
        with self.client.pipeline(transaction=True) as pipe:
            for entry_id, raw, errors in dead:
                pipe.xadd(self.names.dead_letter, {"event": raw, "reason": "; ".join(errors), "entry_id": entry_id})
            pipe.xack(self.names.stream, self.names.group, *[entry_id for entry_id, _ in entries])
            pipe.execute()
        if self.on_applied is not None and result.accepted:
            self.on_applied(result)
        return ConsumeStats(len(entries), result.accepted, result.duplicates, len(dead))

    def run(self, block_ms: int = 1000, until_idle: bool = False, max_batches: int | None = None,
            on_batch: Callable[[ConsumeStats], None] | None = None) -> ConsumeStats:
        """Consume until stopped (``until_idle``: until a read finds nothing); survives Redis restarts."""
        total = ConsumeStats()
        batches = 0
        group_ready = False  # made once, and again after a lost connection (a restarted Redis)
        while max_batches is None or batches < max_batches:
            try:
                if not group_ready:
                    self.ensure_group()
                    group_ready = True
                entries = self.read(block_ms)
                if not entries:
                    if until_idle:
                        return total
                    continue
                stats = self.process(entries)
            except (redis.ConnectionError, redis.TimeoutError, LiveStateUnavailable):
                time.sleep(0.2)  # Redis restarting: nothing was acknowledged, so the batch comes again
                self._own_pending_done = group_ready = False
                continue
            total.add(stats)
            batches += 1
            if on_batch is not None:
                on_batch(stats)
        return total

