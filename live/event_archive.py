"""The event log's durable part: JSON-lines files the Redis log is flushed to.

Redis keeps the log in a stream, in memory; ``backorder events flush`` writes its entries to a
new file in the archive folder (fsynced) and only then trims them from the stream. A flush cut
short after the write and before the trim writes the same events again next time, so reading
the archive keeps each ``event_id`` once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from contracts.event_validation import NormalizedEvent


def write_archive_file(folder: Path, name: str, events: list[NormalizedEvent]) -> Path:
    """Write ``events`` to ``<folder>/<name>.jsonl`` durably (written aside, fsynced, renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    partial = path.with_suffix(".jsonl.partial")
    with partial.open("w") as out:
        out.writelines(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return path


def read_archive(folder: Path) -> list[NormalizedEvent]:
    """The archived events in the order they were applied (files sort by their first stream id)."""
    if not folder.exists():
        return []
    events: list[NormalizedEvent] = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open() as lines:
            events.extend(json.loads(line) for line in lines if line.strip())
    return events


def once_each(events: Iterable[NormalizedEvent]) -> list[NormalizedEvent]:
    """The events with each ``event_id`` kept once (its first occurrence)."""
    seen: set[str] = set()
    kept = []
    for event in events:
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            kept.append(event)
    return kept
