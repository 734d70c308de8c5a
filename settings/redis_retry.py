"""How the service's Redis clients retry: a failed call is tried once more at once.

One retry covers a connection that a Redis restart dropped; redis-py's default (3 retries over
seconds of backoff) would hold a request for seconds while Redis is down, where the service
should answer 503 at once.
"""

from __future__ import annotations

from redis.backoff import NoBackoff
from redis.retry import Retry


def fail_fast_retry() -> Retry:
    """One immediate retry, no backoff."""
    return Retry(NoBackoff(), 1)
