"""Requests per API key: over its token bucket a key gets 429 with ``Retry-After``, before its body
is read; other keys, a turned-off limit and per-role limits; buckets shared through Redis."""

from __future__ import annotations

import uuid

import pytest
import redis
from serving_helpers import KEYS, TODAY, auth, order

from serving.auth import Caller
from serving.rate_limit import MemoryBuckets, RateLimiter, RedisBuckets, rate_limiter, redis_client
from serving.runtime import build_runtime
from settings import load_settings
from settings.sections import RateLimit, RateLimitSettings

SLOW = {"per_second": 0.2, "burst": 2}  # two at once, then one every 5 s


@pytest.fixture
def rate_limit() -> dict:
    return {**SLOW, "per_role": {"planner": {"per_second": 100, "burst": 100}}}


@pytest.fixture
def runtime(tmp_path, monkeypatch, components, rate_limit):
    """The service's runtime with a tight limit for the default and a loose one for planners."""
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    keys = {**KEYS, "both-key": ["oms", "planner"]}
    settings = load_settings(data_dir=tmp_path / "data", api_keys=keys, rate_limit=rate_limit)
    return build_runtime(settings, components, today=lambda: TODAY)


def test_a_key_over_its_limit_gets_429_with_retry_after_before_its_body_is_read(client):
    for _ in range(SLOW["burst"]):
        assert client.post("/v1/score", json=order(), headers=auth("oms-key")).status_code == 200
    refused = client.post("/v1/score", content=b"{not json", headers=auth("oms-key"))
    assert refused.status_code == 429  # not 400: refused before the body is parsed
    assert refused.headers["Retry-After"] == "5"
    body = refused.json()
    assert body["error"] == "rate limited" and body["detail"][0]["field"] == "api_key"


def test_keys_have_buckets_of_their_own_and_invalid_keys_take_no_token(client):
    for _ in range(5):
        assert client.post("/v1/score", json=order(), headers=auth("nope")).status_code == 401
    for _ in range(SLOW["burst"]):
        assert client.post("/v1/score", json=order(), headers=auth("oms-key")).status_code == 200
    assert client.post("/v1/score", json=order(), headers=auth("oms-key")).status_code == 429
    assert client.post("/v1/admin/reload", headers=auth("admin-key")).status_code == 200


def test_a_key_gets_the_most_generous_limit_of_its_roles(client):
    for _ in range(10):
        assert client.post("/v1/score", json=order(), headers=auth("both-key")).status_code == 200
        assert client.get("/v1/eta/PO1", headers=auth("planner-key")).status_code == 200


@pytest.mark.parametrize("rate_limit", [{**SLOW, "enabled": False}])
def test_a_turned_off_limit_admits_every_request(client):
    for _ in range(SLOW["burst"] + 3):
        assert client.post("/v1/score", json=order(), headers=auth("oms-key")).status_code == 200


def test_open_routes_are_not_limited(client):
    for _ in range(SLOW["burst"] + 3):
        assert client.get("/v1/status").status_code == 200


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    limit = RateLimit(per_second=2, burst=3)
    assert [buckets.take("k", limit) for _ in range(4)] == [0, 0, 0, 0.5]
    now[0] = 0.5  # one token back
    assert buckets.take("k", limit) == 0 and buckets.take("k", limit) == 0.5
    now[0] = 100.0  # full again, never more than the burst
    assert [buckets.take("k", limit) for _ in range(4)] == [0, 0, 0, 0.5]


def test_retry_after_is_whole_seconds_never_zero():
    limiter = RateLimiter(RateLimitSettings(per_second=4, burst=1), MemoryBuckets(clock=lambda: 0.0))
    caller = Caller(key_id="k", roles=frozenset({"oms"}))
    assert limiter.retry_after(caller) == 0
    assert limiter.retry_after(caller) == 1  # a quarter second, rounded up


def test_an_unknown_role_in_the_limits_is_refused():
    with pytest.raises(ValueError, match="superuser"):
        RateLimiter(RateLimitSettings(per_role={"superuser": RateLimit(per_second=1, burst=1)}), MemoryBuckets())


def test_the_limit_is_set_by_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKORDER_RATE_LIMIT__ENABLED", "false")
    monkeypatch.setenv("BACKORDER_RATE_LIMIT__PER_SECOND", "7")
    settings = load_settings(data_dir=tmp_path)
    assert not settings.rate_limit.enabled and settings.rate_limit.per_second == 7
    assert rate_limiter(settings) is None


@pytest.fixture
def redis_prefix():
    prefix = f"test_rate_limit_{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis(host="127.0.0.1", port=6379)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


@pytest.mark.redis
def test_workers_share_the_buckets_in_redis(redis_prefix):
    limit = RateLimit(per_second=0.1, burst=3)
    workers = [RedisBuckets(redis_client("127.0.0.1:6379"), redis_prefix) for _ in range(2)]
    waits = [workers[i % 2].take("k", limit) for i in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert 9 < waits[3] <= 10  # one token at 0.1/s
    assert workers[0].take("other", limit) == 0
    ttl = workers[0].client.pttl(redis_prefix + "k")
    assert 0 < ttl <= 31_000  # an idle bucket expires once it would be full again


@pytest.mark.redis
def test_the_production_limiter_keeps_its_buckets_in_redis_under_the_project(tmp_path):
    settings = load_settings(
        data_dir=tmp_path,
        online_store="redis",
        feast_project=f"test_rate_limit_{uuid.uuid4().hex[:12]}",
        rate_limit={"per_second": 1, "burst": 1},
    )
    limiter = rate_limiter(settings)
    assert isinstance(limiter.buckets, RedisBuckets)
    caller = Caller(key_id="k", roles=frozenset({"oms"}))
    try:
        assert limiter.retry_after(caller) == 0 and limiter.retry_after(caller) == 1
        assert limiter.buckets.client.exists(f"{settings.feast_project}:rate_limit:k")
    finally:
        limiter.buckets.client.delete(f"{settings.feast_project}:rate_limit:k")


def test_an_unreachable_redis_falls_back_to_the_worker_s_own_buckets(caplog):
    now = [0.0]
    unreachable = redis_client("127.0.0.1:1")  # nothing listens there
    buckets = RedisBuckets(unreachable, "unused:", MemoryBuckets(clock=lambda: 0.0), clock=lambda: now[0])
    limit = RateLimit(per_second=1, burst=2)
    assert [buckets.take("k", limit) for _ in range(3)] == [0, 0, 1]
    now[0] = 5.0  # Redis is tried again after the pause, and still fails
    assert buckets.take("k", limit) == 1
    assert len([r for r in caplog.records if "Redis unreachable" in r.getMessage()]) == 1
