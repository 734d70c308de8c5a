"""A runtime's life in a running service: leased by each request, swapped by a reload, closed
once the last request that leased it has finished.

A reload builds the new runtime beside the old one and swaps the pointer in one assignment;
requests that started on the old runtime finish on it (its prediction log still open), and the
old runtime is closed by whichever comes last: the swap, or the end of its last request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from serving.runtime import Runtime


class Closable(Protocol):
    leases: Leases

    def close(self) -> None: ...


class Leases:
    """How many requests use a runtime, and whether it has been retired (swapped out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._retired = False
        self._closed = False

    def acquire(self) -> bool:
        """One more request; False once the runtime is retired (the caller takes the current one)."""
        with self._lock:
            if self._retired:
                return False
            self._count += 1
            return True

    def release(self) -> bool:
        """One request fewer; True when this was the last one of a retired runtime (close it now)."""
        with self._lock:
            self._count -= 1
            return self._take_close()

    def retire(self) -> bool:
        """No new requests; True when none is running (close it now), else the last one closes it."""
        with self._lock:
            self._retired = True
            return self._take_close()

    def _take_close(self) -> bool:
        close = self._retired and self._count == 0 and not self._closed
        self._closed = self._closed or close
        return close


@contextmanager
def leased(current: Callable[[], Closable]) -> Iterator[Any]:
    """The current runtime, kept open until the block ends even if a reload swaps it meanwhile."""
    refused = None
    while True:
        runtime = current()
        if runtime.leases.acquire():
            break
        # Retired between reading the pointer and leasing it: the pointer already names its successor.
        if runtime is refused:
            raise RuntimeError("the current runtime is retired; only a reload retires a runtime")
        refused = runtime
    try:
        yield runtime
    finally:
        if runtime.leases.release():
            runtime.close()


def retire(runtime: Closable) -> None:
    """Take a swapped-out runtime out of service; closed now or when its last request ends."""
    if runtime.leases.retire():
        runtime.close()


class ReloadRefused(RuntimeError):
    """A reload that would make things worse; the current runtime keeps serving."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.problems = [(field, problem)]


_reloading = threading.Lock()  # one reload at a time: each swap retires what it replaced


def reload_runtime(state: Any, build: Callable[[], Runtime]) -> Runtime:
    """Build a runtime with ``build`` and swap it into ``state.runtime``; the old one is retired.

    Refused (``ReloadRefused``, nothing swapped) when the model registry does not answer (the
    current champions are the best known) or when the new runtime could not score while the
    current one can. Counters carry over, so totals survive the reload.
    """
    with _reloading:
        current: Runtime = state.runtime
        if current.registry is not None and not current.registry.reachable():
            current.count("reloads_refused")
            raise ReloadRefused(
                "registry",
                f"the model registry did not answer within {current.registry.timeout_seconds:g} s; "
                "the current models keep serving",
            )
        fresh = build()
        if fresh is current:
            return current
        if current.scorer is not None and fresh.scorer is None:
            fresh.close()
            current.count("reloads_refused")
            missing = ", ".join(fresh.readiness()["missing"]) or "scorer"
            problem = f"the reloaded service could not score ({missing} missing); the current one keeps serving"
            raise ReloadRefused("service", problem)
        fresh.counters = current.counters
        state.runtime = fresh
        current.count("reloads")
        retire(current)
        return fresh
