"""Exception events on a Redis stream, for internal consumers (``XREAD``/consumer groups).

Each entry holds the event id, its type and the same JSON body a webhook subscriber receives;
the stream is trimmed to about ``maxlen`` entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alerts.store import ExceptionEvent
from alerts.webhooks import event_body


def publish(client: Any, stream: str, events: Sequence[ExceptionEvent], now: datetime, maxlen: int) -> list[str]:
    """Add ``events`` to ``stream`` in one round trip; returns the entry ids."""
    if not events:
        return []
    pipe = client.pipeline(transaction=False)
    for event in events:
        fields = {"event_id": event.event_id, "type": event.type, "body": event_body(event, now)}
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)
    return [i.decode() if isinstance(i, bytes) else i for i in pipe.execute()]
