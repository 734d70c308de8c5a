"""One batch of events through validation, de-duplication and the rules: the part every store shares.

A store calls ``apply_batch`` inside its transaction with a ``Book`` over its records and the
event ids it has already applied; it then writes the book's changes, the new event ids and
``applied`` (the normalized events, in order, for the event log) in the same atomic step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.event_validation import NormalizedEvent, validate_event
from live.book import Book
from live.records import PurchaseOrderRecord, Record
from live.rules import RuleViolation, apply_event, derived_keys, keys_read, reservation_keys, reserve_line
from live.state import ApplyResult, Rejection, ReservationRequest


@dataclass
class CheckedBatch:
    """Events that passed validation (with their position in the batch) and those refused."""

    valid: list[tuple[int, NormalizedEvent]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def event_ids(self) -> list[str]:
        return [event["event_id"] for _, event in self.valid]


def check_batch(events: Sequence[Mapping[str, Any]]) -> CheckedBatch:
    """Validate every event; done before the store's transaction so it holds no lock meanwhile."""
    checked = CheckedBatch()
    for index, raw in enumerate(events):
        event, errors = validate_event(raw)
        if event is None:
            event_id = raw.get("event_id") if isinstance(raw, Mapping) else None
            checked.rejected.append(Rejection(index, event_id if isinstance(event_id, str) else None, errors))
        else:
            checked.valid.append((index, event))
    return checked


@dataclass
class BatchOutcome:
    """The result to report, the events applied (for the log), the records to write and which of
    them are new."""

    result: ApplyResult
    applied: list[NormalizedEvent]
    book_changes: dict[str, Record]
    created: set[str]


def apply_batch(checked: CheckedBatch, book: Book, already_applied: Iterable[str]) -> BatchOutcome:
    """Apply the valid events in order, each id once; rule violations are refused, not applied."""
    seen = set(already_applied)
    fresh = [event for _, event in checked.valid if event["event_id"] not in seen]
    book.prefetch(key for event in fresh for key in keys_read(event))
    book.prefetch(key for event in fresh for key in derived_keys(event, book))
    applied: list[NormalizedEvent] = []
    rejected = list(checked.rejected)
    duplicates = 0
    for index, event in checked.valid:
        if event["event_id"] in seen:
            duplicates += 1
            continue
        try:
            apply_event(event, book)
        except RuleViolation as violation:
            rejected.append(Rejection(index, event["event_id"], [str(violation)]))
            continue
        seen.add(event["event_id"])
        applied.append(event)
    rejected.sort(key=lambda r: r.index)
    changes = book.changes()
    touched = list(dict.fromkeys((r.sku_id, r.location_id) for r in changes.values()))
    po_ids = [r.po_id for r in changes.values() if isinstance(r, PurchaseOrderRecord)]
    result = ApplyResult(len(applied), duplicates, rejected, touched, po_ids)
    return BatchOutcome(result, applied, changes, book.created())


def reserve_batch(
    requests: Sequence[ReservationRequest], book: Book, at: datetime | None = None
) -> tuple[list[int], list[NormalizedEvent]]:
    """Reserve each request in order in ``book`` (inside the store's transaction): the units each
    line holds, and the ``order_reserved`` events of the new holds, which the store appends to the
    event log with the changes. ``at``: when the reservation is made (default now, UTC)."""
    moment = at or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    book.prefetch(key for request in requests for key in reservation_keys(request))
    outcomes = [reserve_line(request, book, moment.isoformat()) for request in requests]
    return [granted for granted, _ in outcomes], [event for _, event in outcomes if event is not None]
