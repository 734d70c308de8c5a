"""The service's Prometheus counters: one set per process, handed from a runtime to the one that
replaces it at a reload, so the totals only ever grow (a counter that resets reads as a restart)."""

from __future__ import annotations

import threading

# Present from start-up, so a dashboard sees 0 rather than no series.
COUNTERS = ("scored_lines", "feature_store_unavailable", "reloads", "reloads_refused", "reloads_abandoned")


class Counters:
    """Named totals, safe to add to from the routes' threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTERS, 0)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def exposition(self) -> list[str]:
        """Prometheus text lines, ``backorder_<name>_total``."""
        lines = []
        for name, value in sorted(self.snapshot().items()):
            lines += [f"# TYPE backorder_{name}_total counter", f"backorder_{name}_total {value}"]
        return lines
