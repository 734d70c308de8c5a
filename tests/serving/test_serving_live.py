"""Events in, answers that see the stock as it is now: /v1/events, /v1/stock, scoring and reserving
against the live state."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pandas as pd
import pytest
import redis
from serving_helpers import TODAY, auth

from live.answers import positions_frame
from live.compaction import replay
from live.records import PositionRecord
from live.redis_state import RedisLiveState
from serving.lifecycle import leased, reload_runtime
from serving.live_supply import seed_if_empty
from serving.runtime import Runtime, build_runtime

REDIS_URL = "redis://127.0.0.1:6379/0"

AT = "2026-03-02T08:00:00Z"


def _event(event_id: str, type_: str, **fields) -> dict:
    return {"event_id": event_id, "type": type_, "occurred_at": AT, **fields}


def _count(event_id: str, sku: str, on_hand: int, location: str = "DC1") -> dict:
    return _event(event_id, "stock_counted", sku_id=sku, location_id=location, on_hand=on_hand)


def _order(order_id: str, sku: str, quantity: float, reserve: bool = True, date: str = "2026-03-05") -> dict:
    line = {"line_id": "1", "sku_id": sku, "location_id": "DC1", "quantity": quantity, "requested_date": date}
    return {"order_id": order_id, "customer_id": "C1", "customer_tier": "gold", "lines": [line], "reserve": reserve}


def _post_events(client, events, key="erp-key"):
    return client.post("/v1/events", json={"events": events}, headers=auth(key))


def _score_line(client, body) -> dict:
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 200, r.text
    return r.json()["lines"][0]


def test_a_bad_event_is_rejected_with_its_reason_and_the_good_ones_apply(live_client):
    events = [
        _count("e1", "SKU000", 30),
        _event("e2", "stock_counted", sku_id="SKU000", location_id="DC1", on_hand=-5),
        42,
        _event("e3", "no_such_type"),
        _count("e1", "SKU000", 30),
        _count("e4", "SKU002", 7),
    ]
    r = _post_events(live_client, events)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    rejected = {x["index"]: x for x in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3]
    assert rejected[1]["event_id"] == "e2" and any("on_hand" in e for e in rejected[1]["errors"])
    assert rejected[2]["event_id"] is None
    assert any("type" in e for e in rejected[3]["errors"])
    stock = live_client.get("/v1/stock/SKU002/DC1", headers=auth("oms-key")).json()
    assert stock["on_hand"] == 7


def test_events_need_the_oms_or_erp_role_and_a_list_body(live_client):
    assert _post_events(live_client, [_count("r1", "SKU000", 1)], key="oms-key").status_code == 200
    assert _post_events(live_client, [_count("r2", "SKU000", 1)], key="planner-key").status_code == 403
    r = live_client.post("/v1/events", json={"events": {"not": "a list"}}, headers=auth("erp-key"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "events"
    too_many = [_count(f"m{i}", "SKU000", 1) for i in range(1001)]
    assert _post_events(live_client, too_many).status_code == 422


def test_stock_shows_the_position_its_open_pos_and_a_404_body_for_unknown(live_client):
    asn = _event("s2", "asn_received", po_id="PO1", eta="2026-03-25", quantity=40)
    _post_events(live_client, [_count("s1", "SKU001", 12), asn])
    r = live_client.get("/v1/stock/SKU001/DC1", headers=auth("planner-key"))
    assert r.status_code == 200, r.text
    stock = r.json()
    assert (stock["on_hand"], stock["reserved"], stock["available"], stock["in_transit"]) == (12, 0, 12, 0)
    assert stock["open_pos"] == [
        {"po_id": "PO1", "supplier_id": "SUP1", "quantity": 40, "promised_date": "2026-03-20", "eta": "2026-03-25"}
    ]
    assert stock["as_of"].startswith("2026-03-02T08:00")
    missing = live_client.get("/v1/stock/NOPE/DC1", headers=auth("oms-key"))
    assert missing.status_code == 404
    assert missing.json()["error"] == "unknown SKU-location"
    assert missing.json()["detail"][0]["field"] == "sku_id"
    assert live_client.get("/v1/stock/SKU001/DC1", headers=auth("erp-key")).status_code == 403


def test_a_count_changes_the_promise_the_action_and_the_stock_features(live_client, live_runtime):
    body = _order("O1", "SKU003", 10, reserve=False)
    before = _score_line(live_client, body)
    assert before["promise_date"] is None and before["action"]["action"] != "allocate"
    _post_events(live_client, [_count("c1", "SKU003", 50)])
    after = _score_line(live_client, body)
    assert (after["promise_date"], after["action"]["action"]) == ("2026-03-02", "allocate")
    assert after["reserved_quantity"] is None
    served = live_runtime.scorer.features(
        {"sku_id": pd.Series(["SKU003"]).to_numpy(object), "location_id": pd.Series(["DC1"]).to_numpy(object),
         "quantity": pd.Series([10.0]).to_numpy(), "requested_date": pd.to_datetime(["2026-03-05"]).to_numpy(),
         "customer_tier": pd.Series(["gold"]).to_numpy(object), "_path": pd.Series(["lines.0"]).to_numpy(object)},
        TODAY,
    )
    assert (served["available"].iloc[0], served["shortfall_qty"].iloc[0]) == (50.0, 0.0)


def test_a_reserving_score_holds_stock_and_a_cancellation_releases_it(live_client):
    _post_events(live_client, [_count("k1", "SKU004", 15)])
    first = _score_line(live_client, _order("O1", "SKU004", 10))
    assert (first["action"]["action"], first["reserved_quantity"]) == ("allocate", 10.0)
    second = _score_line(live_client, _order("O2", "SKU004", 10))
    assert second["reserved_quantity"] == 5.0 and second["action"]["action"] != "allocate"
    assert second["promise_date"] is None  # 5 of 10 from stock, no PO for the rest
    stock = live_client.get("/v1/stock/SKU004/DC1", headers=auth("oms-key")).json()
    assert (stock["reserved"], stock["available"]) == (15, 0)
    again = _score_line(live_client, _order("O1", "SKU004", 10))  # a retry keeps its reservation
    assert (again["reserved_quantity"], again["action"]["action"]) == (10.0, "allocate")
    line = {"order_id": "O1", "line_id": "1", "sku_id": "SKU004", "location_id": "DC1"}
    cancel = _event("k2", "order_cancelled", **line, quantity=10)
    assert _post_events(live_client, [cancel], key="oms-key").json()["accepted"] == 1
    assert live_client.get("/v1/stock/SKU004/DC1", headers=auth("oms-key")).json()["available"] == 10
    assert _score_line(live_client, _order("O3", "SKU004", 10))["reserved_quantity"] == 10.0


def test_reserving_scores_are_in_the_event_log_and_a_replay_gives_the_same_stock(live_client, live):
    _post_events(live_client, [_count("r1", "SKU004", 15)])
    _score_line(live_client, _order("O1", "SKU004", 10))
    _score_line(live_client, _order("O2", "SKU004", 10))
    logged = live.applied_events()
    held = [(e["order_id"], e["reserved"], e["occurred_at"]) for e in logged if e["type"] == "order_reserved"]
    assert held == [("O1", 10, TODAY.isoformat()), ("O2", 5, TODAY.isoformat())]  # at the service's clock
    book, _ = replay(logged)  # the log from an empty state: the SKU-locations its events name
    replayed = positions_frame(r for r in book.records().values() if isinstance(r, PositionRecord))
    live_now = live.positions(["SKU004"]).query("location_id == 'DC1'").reset_index(drop=True)
    assert live_now.to_dict("records") == replayed.query("sku_id == 'SKU004'").to_dict("records")
    assert live_now["reserved"].tolist() == [15]


def test_a_reload_closes_the_old_live_state_once_its_last_request_ends(service_settings, components):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    name = f"test-reload-{uuid.uuid4().hex[:12]}"

    def build() -> Runtime:
        live = RedisLiveState(REDIS_URL, name)
        live.position("SKU001", "DC1")  # its connection is open from here
        return build_runtime(service_settings, replace(components, live=live), today=lambda: TODAY)

    def connections(expected: int) -> int:
        deadline = time.monotonic() + 5
        while True:  # the server drops a closed connection from its list at its next turn
            found = sum(c["name"] == f"{name}:live" for c in client.client_list())
            if found == expected or time.monotonic() > deadline:
                return found

    state = SimpleNamespace(runtime=build())
    with leased(lambda: state.runtime) as old:
        reload_runtime(state, build)
        assert connections(2) == 2  # a request still running on the old runtime keeps its store
        assert old.components.live.position("SKU001", "DC1") is None
    assert connections(1) == 1
    reload_runtime(state, build)
    assert connections(1) == 1
    state.runtime.close()
    assert connections(0) == 0
    client.close()


def test_the_openapi_spec_documents_each_event_type(live_client):
    from contracts.events import EVENTS

    spec = live_client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    variants = schemas["EventsIn"]["properties"]["events"]["items"]["oneOf"]
    assert [v["title"] for v in variants] == [e.type for e in EVENTS]
    counted = variants[0]
    assert counted["properties"]["on_hand"]["minimum"] == 0
    assert {"event_id", "type", "occurred_at", "sku_id"} <= set(counted["required"])
    assert "/v1/stock/{sku_id}/{location_id}" in spec["paths"]


def test_seeding_happens_only_into_an_empty_store(live, live_client):
    stock = pd.DataFrame({"sku_id": ["SKU000"], "location_id": ["DC1"], "on_hand": [99.0], "allocated": [0.0]})
    columns = ["po_id", "supplier_id", "sku_id", "location_id", "quantity", "promised_date", "asn_eta"]
    empty_inbound = pd.DataFrame(columns=columns)
    assert seed_if_empty(live, stock, empty_inbound, TODAY) == 0
    assert live.position("SKU000", "DC1").on_hand == 0


def test_start_up_seeds_an_empty_store_once_from_the_canonical_tables(tmp_path):
    from test_serving_production import write_canonical

    from serving.live_supply import LiveSupply
    from serving.runtime import production_components, reseed_live_state
    from settings import load_settings

    write_canonical(tmp_path / "data" / "canonical")
    settings = load_settings(data_dir=tmp_path / "data", serving_as_of="2026-03-02")

    def no_registry(name: str, alias: str):
        raise RuntimeError("registry down")

    first = production_components(settings, loader=no_registry)
    assert isinstance(first.supply, LiveSupply) and first.live is not None
    assert any("live state seeded" in note for note in first.notes)
    position = first.live.position("A", "DC1")
    assert (position.on_hand, position.reserved) == (9, 2)  # the last snapshot by the serving date
    open_pos = first.live.position("B", "DC1").open_pos
    assert {po.po_id: po.eta for po in open_pos} == {"P-asn": pd.Timestamp("2026-03-08")}
    first.live.apply([_count("after-start", "A", 50)])
    first.live.close()

    again = production_components(settings, loader=no_registry)
    assert again.live.position("A", "DC1").on_hand == 50  # a restart keeps what events made
    assert not any("live state seeded" in note for note in again.notes)
    again.live.close()

    replayed = production_components(settings, loader=no_registry, reseed_live=True)  # a replay's next day
    assert replayed.live.position("A", "DC1").on_hand == 9
    replayed.live.apply([_count("after-replay", "A", 70)])
    replayed.live.close()
    assert reseed_live_state(settings) == 2  # after a rebuild of the canonical tables (the demo's end)
    reseeded = production_components(settings, loader=no_registry)
    assert reseeded.live.position("A", "DC1").on_hand == 9
    reseeded.live.close()


def test_a_po_created_live_gets_the_lead_time_models_delays_and_an_asn_moves_its_median(live):
    from test_serving_production import ConstantDelays

    from serving.live_supply import LiveSupply, PoDelays

    model = ConstantDelays()  # every line 1 / 2 / 4 days late
    supply = LiveSupply(live, PoDelays(model, lambda: TODAY, {"SKU005": "c1"}))
    created = _event("p1", "po_created", po_id="PO-NEW", supplier_id="S1", sku_id="SKU005",
                     location_id="DC1", quantity=30, promised_date="2026-03-10")
    live.apply([created])
    rows = supply.supply(["SKU005"])
    assert rows.po_id.tolist() == ["PO-NEW"] and rows.delay.tolist() == [[1.0, 2.0, 4.0]]
    assert model.seen["category"].tolist() == ["c1"] and model.seen["order_date"].tolist() == [TODAY]
    model.seen = None
    live.apply([_event("p2", "asn_received", po_id="PO-NEW", eta="2026-03-17", quantity=30)])
    rows = supply.supply(["SKU005"])
    assert rows.delay.tolist() == [[1.0, 7.0, 7.0]]  # announced 7 days late: median and band move
    assert model.seen is None  # predicted once per PO line version
