"""Requests per API key: a token bucket per key, refilled at ``per_second`` up to ``burst``.

With a Redis online store (the production profile) the buckets live in Redis, shared by all
workers, and are updated by one Lua script (read, refill, take, write: atomic, on Redis' clock).
Otherwise, and while Redis cannot be reached, each worker keeps its own buckets in memory.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from serving.auth import ROLES, Caller
from settings import Settings
from settings.sections import RateLimit, RateLimitSettings

logger = logging.getLogger(__name__)

# Redis answers on the same host or network; a slower answer counts as unreachable, and after a
# failure requests are counted per worker for a pause before Redis is tried again.
REDIS_TIMEOUT_SECONDS = 0.1
REDIS_PAUSE_SECONDS = 1.0


class Buckets(Protocol):
    def take(self, bucket: str, limit: RateLimit) -> float:
        """Take a token from ``bucket``: 0 if there was one, else the seconds until there is."""
        ...


class MemoryBuckets:
    """Buckets in this process's memory (one set per worker). Only known keys reach them, so
    there are as many buckets as configured keys."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # bucket -> (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, bucket: str, limit: RateLimit) -> float:
        now = self.clock()
        with self._lock:
            tokens, counted = self._buckets.get(bucket, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - counted) * limit.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / limit.per_second
            self._buckets[bucket] = (tokens - 1 if wait == 0 else tokens, now)
        return wait


# KEYS[1]: the bucket's hash; ARGV: per_second, burst. Returns the seconds to wait as a string
# (Lua numbers returned to Redis are cut to integers).
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'counted')
local tokens = tonumber(saved[1]) or burst
local counted = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - counted) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'counted', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets in Redis under ``prefix``, shared by every worker; a full bucket expires, so idle
    keys leave nothing behind. While Redis fails, ``fallback`` (this worker's) counts instead."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        fallback: Buckets | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.fallback = fallback or MemoryBuckets()
        self.clock = clock
        self._take = client.register_script(TAKE_SCRIPT)
        self._failed_at: float | None = None

    def take(self, bucket: str, limit: RateLimit) -> float:
        if self._failed_at is not None and self.clock() - self._failed_at < REDIS_PAUSE_SECONDS:
            return self.fallback.take(bucket, limit)
        try:
            wait = float(self._take(keys=[self.prefix + bucket], args=[limit.per_second, limit.burst]))
        except redis.RedisError as exc:
            if self._failed_at is None:
                logger.warning("rate limit: Redis unreachable, counting per worker until it is back: %r", exc)
            self._failed_at = self.clock()
            return self.fallback.take(bucket, limit)
        self._failed_at = None
        return wait


class RateLimiter:
    """The limit of each caller (the most generous of its roles' limits, else the default) and
    the buckets that enforce it."""

    def __init__(self, settings: RateLimitSettings, buckets: Buckets) -> None:
        unknown = sorted(set(settings.per_role) - set(ROLES))
        if unknown:
            raise ValueError(f"rate_limit.per_role: unknown role(s) {unknown}; expected some of {ROLES}")
        self.default = RateLimit(per_second=settings.per_second, burst=settings.burst)
        self.per_role = dict(settings.per_role)
        self.buckets = buckets

    def limit_of(self, roles: Iterable[str]) -> RateLimit:
        overrides = [self.per_role[r] for r in roles if r in self.per_role]
        return max(overrides, key=lambda r: (r.per_second, r.burst), default=self.default)

    def retry_after(self, caller: Caller) -> int:
        """0 if ``caller`` may go on, else the whole seconds after which a retry will be admitted."""
        wait = self.buckets.take(caller.key_id, self.limit_of(caller.roles))
        return 0 if wait == 0 else max(1, math.ceil(wait))


def rate_limiter(settings: Settings) -> RateLimiter | None:
    """The service's limiter: None when turned off; buckets in Redis when the online store is
    Redis (under the Feast project's name), else in this process."""
    if not settings.rate_limit.enabled:
        return None
    buckets: Buckets = MemoryBuckets()
    if settings.online_store == "redis":
        buckets = RedisBuckets(redis_client(settings.redis_connection_string), f"{settings.feast_project}:rate_limit:")
    return RateLimiter(settings.rate_limit, buckets)


def redis_client(connection_string: str) -> redis.Redis:
    """A client for Feast's connection string: ``host:port`` then ``,key=value`` options
    (``db``, ``password``, ``ssl``). Connects on first use."""
    address, *options = connection_string.split(",")
    host, _, port = address.partition(":")
    extra = dict(option.split("=", 1) for option in options if "=" in option)
    return redis.Redis(
        host=host or "127.0.0.1",
        port=int(port or 6379),
        db=int(extra.get("db", 0)),
        password=extra.get("password"),
        ssl=extra.get("ssl", "false").lower() == "true",
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
