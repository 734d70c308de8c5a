"""Input limits and error bodies: repeated ids, body size, auth before the body, strict types,
and one ``{error, detail}`` body without internals for every error status."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import warnings

import pytest
from serving_helpers import SKUS, auth, order

from serving.schemas import MAX_LINES, MAX_ORDERS
from settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.applications import Starlette
    from starlette.testclient import TestClient


def _problems(r) -> dict[str, str]:
    assert set(r.json()) == {"error", "detail"}, r.text
    return {d["field"]: d["problem"] for d in r.json()["detail"]}


def _raw(client, body: bytes, key: str | None = "oms-key", path: str = "/v1/score"):
    headers = {"Content-Type": "application/json", **(auth(key) if key else {})}
    return client.post(path, content=body, headers=headers)


# Repeated ids


def test_a_batch_with_a_repeated_order_id_is_refused_naming_it(client):
    r = client.post("/v1/score/batch", json={"orders": [order(1), order(2)]}, headers=auth("oms-key"))
    assert r.status_code == 422
    assert "'O1' at orders 0, 1" in _problems(r)["orders"]


def test_an_order_with_a_repeated_line_id_is_refused_naming_it(client, runtime):
    from serving.prediction_log import read_prediction_log

    body = order(3)
    body["lines"][2]["line_id"] = "L0"
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 422
    assert "'L0' at lines 0, 2" in _problems(r)["lines"]
    assert read_prediction_log(runtime.log.path.parent).empty


# Body size


def test_a_body_over_the_limit_is_413_before_it_is_parsed(client, runtime):
    runtime.max_body_bytes = 2048
    body = b"{not json" + b" " * 4096
    r = _raw(client, body)
    assert r.status_code == 413
    assert "2048 bytes" in _problems(r)["body"]
    assert r.json()["error"] == "body too large"


def test_a_chunked_body_is_counted_as_it_streams(client, runtime):
    runtime.max_body_bytes = 2048
    chunks = (b" " * 1000 for _ in range(5))  # no Content-Length: sent chunked
    r = client.post("/v1/score", content=chunks, headers={**auth("oms-key"), "Content-Type": "application/json"})
    assert r.status_code == 413
    small = (part for part in (json.dumps(order(1)).encode(),))
    r = client.post("/v1/score", content=small, headers={**auth("oms-key"), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_the_default_limit_holds_a_full_batch_with_the_longest_ids():
    def ident(prefix: str, i: int) -> str:
        return f"{prefix}{i}".ljust(64, "x")

    batch = {
        "orders": [
            {
                "order_id": ident("O", o),
                "customer_id": ident("C", o),
                "customer_tier": "bronze",
                "lines": [
                    {
                        "line_id": ident("L", i),
                        "sku_id": ident("S", i),
                        "location_id": ident("D", i),
                        "quantity": 999999.5,
                        "requested_date": "2026-03-10",
                    }
                    for i in range(MAX_LINES)
                ],
            }
            for o in range(MAX_ORDERS)
        ]
    }
    limit = Settings.model_fields["max_body_bytes"].default
    assert len(json.dumps(batch).encode()) <= limit < 10_000_000


def test_the_default_limit_refuses_a_10_mb_body(client, runtime):
    assert runtime.max_body_bytes == Settings.model_fields["max_body_bytes"].default
    r = _raw(client, b" " * 10_000_000)
    assert r.status_code == 413


# Auth before the body


def test_the_key_is_checked_before_the_body_is_read(client, runtime):
    assert _raw(client, b"{not json", key=None).status_code == 401
    assert _raw(client, b"{not json", key="planner-key").status_code == 403
    runtime.max_body_bytes = 2048
    r = _raw(client, b" " * 4096, key=None)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert _raw(client, b"{not json").status_code == 422


# Strict types


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("quantity", True, "valid number"),
        ("quantity", "40", "valid number"),
        ("requested_date", 0, "ISO date"),
        ("requested_date", 1773100800, "ISO date"),
        ("requested_date", "2026-03-10T00:00:00", "ISO date"),
        ("requested_date", "20260310", "ISO date"),
    ],
)
def test_numbers_and_dates_are_not_coerced(client, field, value, problem):
    body = order(2)
    body["lines"][1][field] = value
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 422
    assert problem in _problems(r)[f"lines.1.{field}"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_quantity_that_is_not_finite_is_reported_as_such(client, literal):
    text = json.dumps(order(2)).replace('"quantity": 15', f'"quantity": {literal}')
    r = _raw(client, text.encode())
    assert r.status_code == 422
    assert _problems(r)["lines.1.quantity"] == "Input should be a finite number"


@pytest.mark.parametrize(("days", "status"), [("7", 422), (True, 422), (2.5, 422), (2.0, 200), (2, 200)])
def test_horizon_days_must_be_a_json_integer(client, days, status):
    body = {"sku_id": "SKU000", "location_id": "DC1", "horizon_days": days}
    r = client.post("/v1/forecast", json=body, headers=auth("planner-key"))
    assert r.status_code == status, r.text
    if status == 422:
        assert "valid integer" in _problems(r)["horizon_days"]
    else:
        assert len(r.json()["points"]) == 2


def test_an_unknown_location_is_reported_on_location_id(client):
    body = order(3)
    body["lines"][1]["location_id"] = "DC9"
    body["lines"][2]["sku_id"] = "NOSUCHSKU"
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 422
    problems = _problems(r)
    assert problems["lines.1.location_id"] == "unknown location 'DC9'"
    assert "unknown SKU 'NOSUCHSKU'" in problems["lines.2.sku_id"]
    assert set(problems) == {"lines.1.location_id", "lines.2.sku_id"}


# One error body, no internals


def test_unknown_route_and_method_have_the_error_body(client):
    r = client.get("/v1/nowhere", headers=auth("oms-key"))
    assert r.status_code == 404
    assert "path" in _problems(r)
    r = client.get("/v1/score", headers=auth("oms-key"))
    assert r.status_code == 405
    assert "method" in _problems(r)


def test_an_internal_error_is_a_500_body_without_internals(client, runtime, monkeypatch, caplog):
    from serving.service import in_process_app

    def fail(*_args, **_kwargs):
        raise KeyError("/srv/backorder/data/online_store.db: table sku_location_stats")

    monkeypatch.setattr(runtime.scorer, "score", fail)
    quiet = TestClient(in_process_app(), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="serving.service"):
        r = quiet.post("/v1/score", json=order(), headers=auth("oms-key"))
    assert r.status_code == 500
    assert r.json()["error"] == "internal error"
    assert "/srv" not in r.text and "sku_location_stats" not in r.text
    reference = _problems(r)["service"].split("reference ")[1].split()[0]
    assert reference in caplog.text and "sku_location_stats" in caplog.text


def test_a_503_body_holds_no_store_internals(client, runtime, monkeypatch, caplog):
    def broken(_rows):
        raise sqlite3.OperationalError("no such table: backorder_radar_sku_location_stats")

    monkeypatch.setattr(runtime.scorer.reader, "read_values", broken)
    with caplog.at_level(logging.WARNING, logger="serving.service"):
        r = client.post("/v1/score", json=order(), headers=auth("oms-key"))
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert "no such table" not in r.text and "backorder_radar" not in r.text
    assert _problems(r)["feature_store"] == "online feature store unreachable"
    assert "no such table" in caplog.text


def test_a_missing_report_does_not_show_server_paths(client, runtime, tmp_path):
    runtime.reports_dir = tmp_path / "reports"
    r = client.get("/v1/reports/latest", headers=auth("planner-key"))
    assert r.status_code == 404
    assert str(tmp_path) not in r.text
    assert "no report yet" in _problems(r)["path"]


def test_a_request_past_the_deadline_is_a_504_with_the_error_body():
    from serving.middleware import RequestDeadline

    async def slow(scope, receive, send):
        await asyncio.sleep(5)

    app = Starlette()
    app.mount("/", RequestDeadline(slow, seconds=0.05))
    r = TestClient(app).get("/anything")
    assert r.status_code == 504
    assert r.json()["error"] == "timeout"
    assert "0.05 s" in _problems(r)["request"]


def test_the_spec_documents_the_error_statuses(client):
    responses = client.get("/openapi.json").json()["paths"]["/v1/score"]["post"]["responses"]
    assert {"404", "413", "422", "500", "503", "504"} <= set(responses)


def test_skus_are_still_scored_at_every_known_location(client):
    body = order(3)
    for line, location in zip(body["lines"], ["DC1", "DC2", "DC3"], strict=True):
        line["location_id"] = location
        line["sku_id"] = SKUS[5]
    line_ids = [line["line_id"] for line in body["lines"]]
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 200, r.text
    assert [line["line_id"] for line in r.json()["lines"]] == line_ids


def test_start_up_notes_name_the_failed_part_not_its_error(service_settings, stock, inbound, caplog):
    from serving.runtime import DEMAND, LEAD_TIME, RISK, production_components
    from serving.supply import FrameSupply

    def registry_down(name, alias):
        raise RuntimeError(f"no such table: registered_models in {service_settings.data_dir}/mlflow.db")

    with caplog.at_level(logging.WARNING):
        components = production_components(
            service_settings, loader=registry_down, supply=FrameSupply(stock, inbound)
        )
    notes = " ".join(components.notes)
    assert all(any(n.startswith(name) for n in components.notes) for name in (RISK, DEMAND, LEAD_TIME))
    assert any(n.startswith("feature store") for n in components.notes)
    assert "no such table" not in notes and str(service_settings.data_dir) not in notes
    assert "no such table" in caplog.text
