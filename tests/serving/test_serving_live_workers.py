"""Both profiles end to end: ``bentoml serve`` with 2 workers sharing the live state, in Redis
(production) or in the SQLite file of the data folder (embedded, its worker count raised to 2).

Both workers start together and seed the empty store once; an event posted to one worker changes
the other's answers; concurrent reserving clients never get
the same unit; and, as stock is counted down and reserved, the risk rises and the promise moves out.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from bentoml_serve import bentoml_serve, call_json
from serving_helpers import KEYS

from serving.key_hashing import hash_key
from tests.live.conftest import REDIS_URL, drop_prefix, redis_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.redis]

HERE = Path(__file__).parent
AT = "2026-03-02T09:00:00Z"


class Api:
    """JSON over HTTP to the served service, a new connection per request (so either worker answers)."""

    def __init__(self, base: str, profile: str, folder: Path) -> None:
        self.base, self.profile, self.folder = base, profile, folder

    def call(self, method: str, path: str, body: dict | None = None, key: str = "oms-key") -> tuple[int, dict, str]:
        status, answer, headers = call_json(self.base, method, path, body, key)
        return status, answer, headers.get("X-Worker-Pid")

    def events(self, *events: dict, key: str = "erp-key") -> dict:
        status, body, _ = self.call("POST", "/v1/events", {"events": list(events)}, key)
        assert status == 200, body
        return body

    def score(self, order: dict) -> tuple[dict, str]:
        status, body, pid = self.call("POST", "/v1/score", order)
        assert status == 200, body
        return body["lines"][0], pid


@pytest.fixture(scope="module", params=["embedded", "production"])
def served(request, tmp_path_factory):
    client = redis_or_skip()
    prefix = f"test-serving-live-{uuid.uuid4().hex[:10]}"
    data = tmp_path_factory.mktemp("served")
    env = {
        "BACKORDER_PROFILE": request.param,
        "BACKORDER_SERVICE_WORKERS": "2",
        "BACKORDER_ALLOW_DEV_KEY": "false",
        "BACKORDER_API_KEYS": json.dumps(
            {key: {"hash": hash_key(key), "roles": roles} for key, roles in KEYS.items()}
        ),
        "BACKORDER_DATA_DIR": str(data),
        "BACKORDER_LIVE__REDIS_URL": REDIS_URL,
        "BACKORDER_LIVE__KEY_PREFIX": prefix,
        "BENTOML_HOME": str(data / "bentoml"),
    }
    try:
        with bentoml_serve("live_service:RiskService", env, data / "serve.log", cwd=data, working_dir=HERE,
                           unset=["BACKORDER_CONFIG"]) as base:
            api = Api(base, request.param, data)
            _wait_for_both_workers(api)
            yield api
    finally:
        drop_prefix(client, prefix)
        client.close()


def _wait_for_both_workers(api: Api, within: float = 120.0) -> None:
    """Until the second worker is ready, the first answers every request."""
    ready: set[str] = set()
    deadline = time.monotonic() + within
    while len(ready) < 2:
        status, _, pid = api.call("GET", "/v1/status")
        if status == 200:
            ready.add(pid)
        if time.monotonic() > deadline:
            raise AssertionError(f"only worker(s) {sorted(ready)} got ready within {within:.0f} s")
        time.sleep(0.1)


def _event(event_id: str, type_: str, **fields) -> dict:
    return {"event_id": event_id, "type": type_, "occurred_at": AT, **fields}


def _count(event_id: str, sku: str, on_hand: int) -> dict:
    return _event(event_id, "stock_counted", sku_id=sku, location_id="DC1", on_hand=on_hand)


def _order(order_id: str, sku: str, quantity: int, reserve: bool = True) -> dict:
    line = {"line_id": "1", "sku_id": sku, "location_id": "DC1", "quantity": quantity, "requested_date": "2026-03-05"}
    return {"order_id": order_id, "customer_id": "C1", "customer_tier": "gold", "lines": [line], "reserve": reserve}


def _answer_from_another_worker(api: Api, order: dict, not_pid: str) -> dict:
    """Score ``order`` (without reserving) until a worker other than ``not_pid`` answers."""
    for _ in range(200):
        line, pid = api.score(order)
        if pid != not_pid:
            return line
    raise AssertionError("only one worker answered 200 requests")


def test_an_event_through_one_worker_changes_the_answer_of_the_other(served):
    order = _order("W-PROBE", "SKU020", 10, reserve=False)
    for n, on_hand in enumerate((50, 0, 50)):
        body = {"events": [_count(f"w{n}", "SKU020", on_hand)]}
        status, body, pid = served.call("POST", "/v1/events", body, "erp-key")
        assert (status, body["accepted"]) == (200, 1)
        line = _answer_from_another_worker(served, order, pid)
        assert (line["action"]["action"] == "allocate") is (on_hand == 50), (on_hand, line)


def test_concurrent_reservations_never_share_a_unit(served):
    served.events(_count("c-count", "SKU021", 50))
    orders = [_order(f"C{i}", "SKU021", 10) for i in range(12)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        lines = [line for line, _ in pool.map(served.score, orders)]
    reserved = [line["reserved_quantity"] for line in lines]
    assert sum(reserved) == 50 and sorted(reserved) == [0.0] * 7 + [10.0] * 5
    for line in lines:  # only a line that holds its units is promised from stock today
        assert (line["action"]["action"] == "allocate") is (line["reserved_quantity"] == 10.0), line
    _, stock, _ = served.call("GET", "/v1/stock/SKU021/DC1")
    assert (stock["reserved"], stock["available"]) == (50, 0)


def test_counting_down_and_reserving_raises_the_risk_and_moves_the_promise_out(served):
    """The issue's check: stock counted down and reserved, order after order (PO-LIVE: 20 units of
    SKU010 promised for 2026-03-20, expected by 2026-03-23 at 90 %)."""
    risks, promises = [], []
    for n, on_hand in enumerate((40, 30, 20, 10)):
        served.events(_count(f"d-count-{n}", "SKU010", on_hand))
        line, _ = served.score(_order(f"D{n}", "SKU010", 10))
        risks.append(line["backorder_probability"])
        promises.append(line["promise_date"])
    assert promises == ["2026-03-02", "2026-03-02", "2026-03-23", "2026-03-23"]
    assert risks == sorted(risks) and risks[-1] > risks[0], risks
    again = served.events(_count("d-count-3", "SKU010", 10))
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    _, stock, _ = served.call("GET", "/v1/stock/SKU010/DC1")
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 20, 0)
    assert [po["po_id"] for po in stock["open_pos"]] == ["PO-LIVE"]


def test_a_reload_sent_to_one_worker_reloads_every_worker(served):
    """In production the answering worker announces the reload on Redis and the other one reloads
    too, so no request is scored by the former champion afterwards. (Embedded, with its SQLite live
    state, a reload reaches the answering worker only.)"""
    if served.profile != "production":
        pytest.skip("the reload is announced through Redis, which only the production profile uses")
    (served.folder / "champion_version").write_text("2")
    status, body, _ = served.call("POST", "/v1/admin/reload", key="admin-key")
    assert status == 200 and body["models"][0]["version"] == "2", body
    deadline, answers = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        answers = {}
        for _ in range(30):
            status, body, pid = served.call("GET", "/v1/status")
            answers.setdefault(pid, set()).add(body["models"][0]["version"])
        if len(answers) == 2 and all(seen == {"2"} for seen in answers.values()):
            break
        time.sleep(0.5)
    assert len(answers) == 2 and all(seen == {"2"} for seen in answers.values()), answers
