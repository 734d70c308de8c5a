"""Bad input gets a 422 whose body names the field and the problem; never a 5xx."""

from __future__ import annotations

from serving_helpers import auth, order

from serving.schemas import MAX_LINES


def _problems(client, body) -> dict[str, str]:
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 422, r.text
    return {d["field"]: d["problem"] for d in r.json()["detail"]}


def test_unknown_sku_names_the_line(client):
    body = order(3)
    body["lines"][1]["sku_id"] = "NOSUCHSKU"
    problems = _problems(client, body)
    assert list(problems) == ["lines.1.sku_id"]
    assert "unknown SKU 'NOSUCHSKU'" in problems["lines.1.sku_id"]


def test_negative_quantity(client):
    body = order(2)
    body["lines"][0]["quantity"] = -3
    problems = _problems(client, body)
    assert "greater than 0" in problems["lines.0.quantity"]


def test_unparseable_date(client):
    body = order(2)
    body["lines"][1]["requested_date"] = "next tuesday"
    problems = _problems(client, body)
    assert "date" in problems["lines.1.requested_date"]


def test_too_many_lines(client):
    problems = _problems(client, order(MAX_LINES + 1))
    assert f"at most {MAX_LINES}" in problems["lines"]


def test_unknown_tier_missing_field_and_extra_field(client):
    body = order(1, customer_tier="platinum")
    del body["customer_id"]
    body["lines"][0]["colour"] = "red"
    problems = _problems(client, body)
    assert "gold" in problems["customer_tier"]
    assert problems["customer_id"] == "Field required"
    assert "lines.0.colour" in problems


def test_body_that_is_not_json(client):
    r = client.post(
        "/v1/score",
        content=b"{not json",
        headers={**auth("oms-key"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["problem"].startswith("JSON decode error")


def test_batch_errors_name_the_order_and_line(client):
    bad = order(2, order_id="O2")
    bad["lines"][1]["sku_id"] = "GHOST"
    r = client.post("/v1/score/batch", json={"orders": [order(1), bad]}, headers=auth("oms-key"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "orders.1.lines.1.sku_id"


def test_rejected_requests_are_not_logged(client, runtime):
    from serving.prediction_log import read_prediction_log

    body = order(2)
    body["lines"][0]["sku_id"] = "NOSUCHSKU"
    client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert read_prediction_log(runtime.log.path.parent).empty
