"""The production profile served for real (``bentoml serve``, 2 workers, online store and live
state in a Redis of the test's own) while clients score: Redis stopped and started again, a
worker and then the whole server killed with SIGKILL. Every answer is a 200 or a documented
503, /readyz tells the truth, scoring recovers without a reload, and every line answered 200 is
in the prediction log with the probability the client was given."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest
from feast_world import write_feast_store
from generated_world import generated_online_table, generated_stock
from served import Answer, RedisServer, Served, production_env
from serving_helpers import KEYS, SKUS, order

from serving.key_hashing import hash_key
from serving.prediction_log import read_prediction_log
from serving.scoring import Scorer
from settings import load_settings

pytestmark = pytest.mark.slow

CLIENTS = 4
AT = "2026-03-02T09:00:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A Redis of its own holding the generated world's online features, and the served service on it."""
    data = tmp_path_factory.mktemp("production")
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    settings = load_settings(
        data_dir=data, profile="production", allow_dev_key=False,
        api_keys={key: {"hash": hash_key(key), "roles": roles} for key, roles in KEYS.items()},
        online_store="redis", redis_connection_string=f"127.0.0.1:{redis.port}",
    )
    write_feast_store(settings, generated_online_table(generated_stock()))
    served = Served(data, production_env(data, redis.url, redis.port))
    try:
        served.start()
        yield redis, served, settings
    finally:
        served.stop()
        redis.stop()


class Load:
    """``CLIENTS`` threads calling the service until stopped, every answer kept with its time."""

    def __init__(self, served: Served, request: Callable[[int, int], tuple[str, str, dict | None, str]]) -> None:
        self.served, self.request = served, request
        self.answers: list[tuple[float, str, dict | None, Answer]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(c,)) for c in range(CLIENTS)]

    def _run(self, client: int) -> None:
        n = 0
        while not self._stop.is_set():
            method, path, body, key = self.request(client, n)
            answer = self.served.call(method, path, body, key)
            self.answers.append((time.monotonic(), path, body, answer))
            if answer.status is None:
                time.sleep(0.1)  # the server is down: try again shortly, as a client would
            n += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def since(self, moment: float) -> list[Answer]:
        return [answer for at, _, _, answer in list(self.answers) if at >= moment]


def _order(client: int, n: int) -> dict:
    body = order(3, order_id=f"C{client}-{n}")
    for i, line in enumerate(body["lines"]):
        line["sku_id"] = SKUS[(client * 7 + n + i) % len(SKUS)]
    return body


def _mixed(client: int, n: int) -> tuple[str, str, dict | None, str]:
    """Scores, with one client posting stock counts and reading stock (the event routes)."""
    if client == 0 and n % 2 == 0:
        count = {"event_id": f"e{n}", "type": "stock_counted", "occurred_at": AT,
                 "sku_id": "SKU005", "location_id": "DC1", "on_hand": 40 + n % 5}
        return "POST", "/v1/events", {"events": [count]}, "erp-key"
    if client == 0:
        return "GET", "/v1/stock/SKU005/DC1", None, "planner-key"
    return "POST", "/v1/score", _order(client, n), "oms-key"


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_redis_restarted_under_load(world):
    redis, served, _ = world
    with Load(served, _mixed) as load:
        time.sleep(1.5)
        redis.stop()
        stopped = time.monotonic()
        assert _until(lambda: served.get("/readyz")[0] == 503, 5), "/readyz still 200 with Redis stopped"
        down = served.call("GET", "/readyz")
        readyz_during = []
        while time.monotonic() < stopped + 5:  # the outage
            readyz_during.append(served.get("/readyz")[0])
            time.sleep(0.2)
        redis.start()
        restarted = time.monotonic()
        recovered = _until(lambda: served.call("POST", "/v1/score", _order(9, 0)).status == 200, 20)
        assert recovered, "scoring did not recover by itself after Redis came back"
        assert _until(lambda: served.get("/readyz")[0] == 200, 5)
        time.sleep(Scorer.store_retry_seconds)  # the other worker's pause after its failed read
        after = time.monotonic()
        time.sleep(1.0)

    refused = [a for a in load.since(stopped) if a.status == 503]
    others = [(path, a.status, a.raw[:300]) for _, path, _, a in load.answers if a.status not in (200, 503)]
    assert not others, others[:5]
    assert refused, "no request was refused while Redis was down: the test measured nothing"
    assert all(a.documented() for a in refused), [a.raw[:200] for a in refused if not a.documented()][:3]
    assert "feature store" in down.json()["missing"]
    assert set(readyz_during) == {503}, readyz_during
    assert [a.status for a in load.since(after)] and {a.status for a in load.since(after)} == {200}
    assert restarted - stopped >= 5
    stock = served.call("GET", "/v1/stock/SKU005/DC1", key="planner-key")
    assert stock.status == 200 and 40 <= stock.json()["on_hand"] <= 44  # the counted stock survived


def test_kill_9_loses_no_answered_line(world):
    _, served, settings = world
    score = lambda client, n: ("POST", "/v1/score", _order(client, n), "oms-key")  # noqa: E731
    with Load(served, score) as load:
        assert _until(lambda: len({a.worker for a in load.since(0) if a.status == 200}) == 2, 20)
        workers = {a.worker for a in load.since(0) if a.worker}
        os.kill(int(next(iter(workers))), signal.SIGKILL)  # one worker, mid-request
        killed = time.monotonic()
        assert _until(lambda: any(a.status == 200 for a in load.since(killed + 0.5)), 10), "the other worker stopped"
        assert _until(lambda: any(a.worker not in workers for a in load.since(killed) if a.worker), 120), (
            "no new worker took the killed one's place"
        )
        served.kill()  # then the whole service
        served.start()
        restarted = time.monotonic()
        assert _until(lambda: len([a for a in load.since(restarted) if a.status == 200]) >= 8, 20)

    answered = [(a.json(), body) for _, _, body, a in load.answers if a.status == 200]
    assert {a.status for _, _, _, a in load.answers} <= {200, 503, None}
    assert all(a.documented() for _, _, _, a in load.answers if a.status == 503)
    logged = read_prediction_log(settings.prediction_log_dir)
    probability = {
        (r, line): out["backorder_probability"]
        for r, line, out in zip(logged["request_id"], logged["line_id"], logged["outputs"], strict=True)
    }
    given = {(body["request_id"], line["line_id"]): line["backorder_probability"] for body, _ in answered
             for line in body["lines"]}
    assert len(given) >= 3 * 20
    missing = [key for key in given if key not in probability]
    assert not missing, f"{len(missing)} of {len(given)} answered lines are not in the prediction log"
    assert {key: probability[key] for key in given} == given
