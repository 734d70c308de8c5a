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


class ReloadTimedOut(ReloadRefused):
    """No new runtime within the reload's bound: nothing is swapped, the current runtime keeps serving."""


_reloading = threading.Lock()  # one reload at a time: each swap retires what it replaced


def reload_runtime(state: Any, build: Callable[[], Runtime]) -> Runtime:
    """Build a runtime with ``build`` and swap it into ``state.runtime``; the old one is retired.

    Refused (``ReloadRefused``, nothing swapped) when the model registry does not answer (the
    current champions are the best known) or when the new runtime could not score while the
    current one can. Counters carry over, so totals survive the reload.

    Bounded by the current runtime's ``reload_timeout_seconds``: a build not done by then
    (a registry that answers its health check, then hangs) is abandoned with ``ReloadTimedOut``.
    A thread cannot be stopped from outside, so the build runs on to its end (each registry
    call is bounded by the registry settings), then its runtime is closed and never swapped in;
    until then a further reload waits for it (within its own bound).
    """
    current: Runtime = state.runtime
    seconds = current.reload_timeout_seconds
    if not _reloading.acquire(timeout=seconds):
        current.count("reloads_refused")
        raise ReloadTimedOut("reload", f"an earlier reload was still loading after {seconds:g} s; nothing was swapped")
    try:
        if current.registry is not None and not current.registry.reachable():
            current.count("reloads_refused")
            raise ReloadRefused(
                "registry",
                f"the model registry did not answer within {current.registry.timeout_seconds:g} s; "
                "the current models keep serving",
            )
    except BaseException:
        _reloading.release()
        raise
    reload = _Reload(state, current, build)
    threading.Thread(target=reload.run, name="reload", daemon=True).start()
    return reload.result(seconds)


class _Reload:
    """One reload's build, on a thread of its own (which releases the reload lock when it ends),
    and the decision taken once, under a lock: swap its runtime in, or discard it (abandoned)."""

    def __init__(self, state: Any, current: Runtime, build: Callable[[], Runtime]) -> None:
        self.state, self.current, self.build = state, current, build
        self._decide = threading.Lock()
        self._done = threading.Event()
        self._abandoned = self._decided = False
        self._outcome: Runtime | BaseException | None = None

    def run(self) -> None:
        try:
            try:
                fresh: Runtime | None = self.build()
            except BaseException as exc:  # handed to the waiting request, which raises it
                fresh, self._outcome = None, exc
            with self._decide:
                if self._abandoned:
                    if fresh is not None and fresh is not self.current:
                        fresh.close()
                    self.current.count("reloads_abandoned")
                    return
                if fresh is not None:
                    try:
                        self._outcome = _swap(self.state, self.current, fresh)
                    except BaseException as exc:
                        self._outcome = exc
                self._decided = True
        finally:
            self._done.set()
            _reloading.release()

    def result(self, seconds: float) -> Runtime:
        """The swapped-in runtime, once decided within ``seconds``; else the reload is abandoned."""
        self._done.wait(seconds)
        with self._decide:
            if not self._decided:
                self._abandoned = True
                self.current.count("reloads_refused")
                raise ReloadTimedOut(
                    "reload",
                    f"no new runtime within {seconds:g} s: the reload was abandoned and nothing is swapped; "
                    "the current models keep serving (the loading under way ends at its next registry "
                    "timeout and is discarded)",
                )
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome


def _swap(state: Any, current: Runtime, fresh: Runtime) -> Runtime:
    """Put ``fresh`` in service in place of ``current`` (refused if it could not score while ``current`` can)."""
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
