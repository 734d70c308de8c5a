"""Whether the online feature store answers now, for ``/readyz`` and ``/v1/status``.

A reader may offer ``check()`` (``features.feature_store.OnlineReader`` does: the SQLite file is
there and its tables answer, or Redis answers a ping); it raises when the store cannot be read.
The answer is kept for ``ttl`` seconds, so probes polled often cost one check a second, and a
failed read on the request path marks the store down at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class StoreHealth:
    """The cached answer to "does the online store answer?" for one reader (None: no store)."""

    def __init__(self, reader: Any, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._check: Callable[[], object] | None = getattr(reader, "check", None)
        self._present = reader is not None
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._ok = self._present
        self._until = 0.0

    def ok(self) -> bool:
        """True when the store answered its last check (at most ``ttl`` seconds ago)."""
        if not self._present or self._check is None:
            return self._present
        if self._clock() < self._until:
            return self._ok
        with self._lock:  # one check at a time; the others take its answer
            if self._clock() >= self._until:
                self._record(self._probe())
            return self._ok

    def mark_down(self) -> None:
        """A read on the request path failed: report the store down until the next check."""
        with self._lock:
            self._record(False)

    def _probe(self) -> bool:
        try:
            self._check()  # type: ignore[misc]
        except Exception as exc:  # any failure (missing file, locked, refused) alike
            if self._ok:
                logger.warning("online feature store check failed: %r", exc)
            return False
        if not self._ok:
            logger.info("online feature store answers again")
        return True

    def _record(self, ok: bool) -> None:
        self._ok, self._until = ok, self._clock() + self.ttl
