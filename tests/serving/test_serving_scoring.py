"""What the OMS gets per line: probability, risk level, promise date, reasons and one action."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from serving_helpers import TODAY, auth

from serving.registry import LoadedModel
from serving.runtime import RISK, Components, build_runtime
from serving.schemas import BatchOut
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply


@pytest.fixture
def scenario(online_table, risk_model, service_settings):
    """Stock and POs chosen so that each action has one line that calls for it."""
    free = {  # (sku, location) -> free units; everything else 0
        ("SKU000", "DC1"): 10,
        ("SKU000", "DC2"): 100,
        ("SKU002", "DC1"): 4,
    }
    stock = online_table[["sku_id", "location_id"]].copy()
    stock["on_hand"] = [float(free.get((s, loc), 0)) for s, loc in stock.itertuples(index=False)]
    stock["allocated"] = 0.0
    inbound = pd.DataFrame(
        {
            "po_id": ["PO1", "PO2", "PO3"],
            "sku_id": ["SKU000", "SKU001", "SKU003"],
            "location_id": ["DC1", "DC1", "DC1"],
            "quantity": [500.0, 500.0, 500.0],
            "promised_date": pd.to_datetime(["2026-03-20", "2026-03-05", "2026-03-25"]),
            "delay_p10": 0.0,
            "delay_p50": 1.0,
            "delay_p90": 3.0,
        }
    )
    table = online_table.drop(columns="available").merge(stock, on=["sku_id", "location_id"])
    table["available"] = table.pop("on_hand") - table.pop("allocated")
    components = Components(
        models={RISK: LoadedModel(RISK, "7", "registry", risk_model)},
        reader=FrameFeatureReader(table),
        supply=FrameSupply(stock, inbound),
    )
    return build_runtime(service_settings, components, today=lambda: TODAY)


def _line(line_id, sku, qty, date="2026-03-10"):
    return {
        "line_id": line_id,
        "sku_id": sku,
        "location_id": "DC1",
        "quantity": qty,
        "requested_date": date,
    }


ORDER = {
    "order_id": "O9",
    "customer_id": "C1",
    "customer_tier": "silver",
    "lines": [
        _line("fits", "SKU000", 5),
        _line("donor", "SKU000", 50),
        _line("po_on_time", "SKU001", 20),
        _line("po_late", "SKU003", 20),
        _line("partial", "SKU002", 10),
    ],
}


def _score(client, runtime, body=ORDER):
    from serving.service import app

    app.state.runtime = runtime
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 200, r.text
    return r.json()


def test_each_line_gets_the_action_its_supply_calls_for(client, scenario):
    out = _score(client, scenario)
    lines = {line["line_id"]: line for line in out["lines"]}
    assert out["model_version"] == "backorder_risk/7" and len(out["request_id"]) == 32
    assert lines["fits"]["action"]["action"] == "allocate"
    assert lines["fits"]["promise_date"] == "2026-03-02"
    donor = lines["donor"]["action"]
    assert (donor["action"], donor["source_location_id"], donor["quantity"]) == (
        "reallocate",
        "DC2",
        45.0,
    )
    assert lines["po_on_time"]["action"]["action"] == "none"
    assert "PO2" in lines["po_on_time"]["action"]["expected_effect"]
    late = lines["po_late"]
    assert (late["action"]["action"], late["action"]["po_id"]) == ("expedite", "PO3")
    assert late["promise_date"] > "2026-03-10"
    partial = lines["partial"]["action"]
    assert (partial["action"], partial["quantity"]) == ("split", 4.0)
    assert "6 are not covered" in partial["expected_effect"]
    assert lines["partial"]["promise_date"] is None


def test_risk_and_reasons_follow_the_shortfall(client, runtime):
    body = {**ORDER, "lines": [_line("small", "SKU005", 1), _line("huge", "SKU006", 900)]}
    out = _score(client, runtime, body)
    small, huge = out["lines"]
    assert huge["backorder_probability"] > small["backorder_probability"]
    assert huge["risk_level"] in {"medium", "high"}
    features = [r["feature"] for r in huge["reasons"]]
    assert set(features) & {
        "shortfall_qty",
        "quantity_over_available",
        "fits_available",
        "line_quantity",
    }
    assert all(r["contribution"] > 0 for r in huge["reasons"])


class _NoExplanations:
    """A risk model with probabilities only (no TreeSHAP, no coefficients)."""

    def __init__(self, model) -> None:
        self.model = model
        self.feature_names_in_ = model.feature_names_in_

    def predict_proba(self, frame):
        return self.model.predict_proba(frame)


def test_a_model_that_cannot_explain_still_scores_with_empty_reasons(client, risk_model, components, service_settings):
    models = {RISK: LoadedModel(RISK, "8", "registry", _NoExplanations(risk_model))}
    runtime = build_runtime(service_settings, replace(components, models=models), today=lambda: TODAY)
    out = _score(client, runtime)
    assert [line["reasons"] for line in out["lines"]] == [[]] * len(ORDER["lines"])
    assert all(0.0 <= line["backorder_probability"] <= 1.0 for line in out["lines"])


def test_a_model_expecting_a_feature_serving_does_not_build_is_named(risk_model, components, service_settings):
    """A champion trained on a feature the online store and the request do not give is a
    deployment error that names the feature, not a silently wrong column."""
    from serving.scoring import line_columns

    model = _NoExplanations(risk_model)
    model.feature_names_in_ = [*risk_model.feature_names_in_, "weather_index"]
    models = {RISK: LoadedModel(RISK, "9", "registry", model)}
    runtime = build_runtime(service_settings, replace(components, models=models), today=lambda: TODAY)
    with pytest.raises(RuntimeError, match="weather_index"):
        runtime.scorer.score(line_columns([ORDER]), TODAY)


def test_batch_and_recommendations(client, scenario):
    from serving.service import app

    app.state.runtime = scenario
    other = {**ORDER, "order_id": "O10", "lines": ORDER["lines"][:1]}
    answer = client.post("/v1/score/batch", json={"orders": [ORDER, other]}, headers=auth("oms-key"))
    assert BatchOut.model_validate_json(answer.content).model_dump_json() == answer.text  # serialized by order
    batch = answer.json()
    assert [o["order_id"] for o in batch["orders"]] == ["O9", "O10"]
    assert {o["request_id"] for o in batch["orders"]} == {batch["request_id"]}
    recs = client.post(
        "/v1/recommendations", json={"orders": [ORDER]}, headers=auth("planner-key")
    ).json()["recommendations"]
    assert "po_on_time" not in {r["line_id"] for r in recs}
    saved = [r["action"]["expected_units_saved"] for r in recs]
    assert saved == sorted(saved, reverse=True) and len(recs) == 4


def test_forecast_quantiles_and_po_eta(client, demand_history):
    body = {"sku_id": "SKU004", "location_id": "DC2", "horizon_days": 14}
    r = client.post("/v1/forecast", json=body, headers=auth("planner-key"))
    assert r.status_code == 200, r.text
    points = r.json()["points"]
    assert len(points) == 14 and points[0]["ds"] == "2026-03-02"
    assert all(p["p10"] <= p["p50"] <= p["p90"] for p in points)
    recent = demand_history.query("sku_id == 'SKU004' and location_id == 'DC2'").tail(28)["y"]
    assert points[0]["p50"] == recent.median()
    missing = client.post(
        "/v1/forecast", json={**body, "sku_id": "NOPE"}, headers=auth("planner-key")
    )
    assert missing.status_code == 404 and missing.json()["detail"][0]["field"] == "sku_id"

    eta = client.get("/v1/eta/PO1", headers=auth("planner-key")).json()
    # promised 2026-03-20, delay p50 2 days, p90 6 days (conftest inbound)
    assert (eta["eta_p50"], eta["eta_p90"]) == ("2026-03-22", "2026-03-26")
    assert client.get("/v1/eta/NOPE", headers=auth("planner-key")).status_code == 404
    assert client.get("/v1/eta/PO1", headers=auth("oms-key")).status_code == 403


def test_served_inputs_are_what_training_builds_for_the_same_lines(runtime, online_table):
    """The request path computes request-time features on arrays; training on frames with
    ``request_features``. Same lines, same moment, same stock: the same model inputs."""
    from features.order_line import request_features
    from serving.scoring import line_columns

    order = {**ORDER, "lines": [*ORDER["lines"], _line("far", "SKU004", 3, "2026-04-30")]}
    served = runtime.scorer.features(line_columns([order]), TODAY + pd.Timedelta(hours=15))
    lines = pd.DataFrame(order["lines"])
    online = lines[["sku_id", "location_id"]].merge(online_table, on=["sku_id", "location_id"], how="left")
    requests = lines.assign(
        request_time=TODAY + pd.Timedelta(hours=15), customer_tier=order["customer_tier"]
    )
    offline = pd.concat([online, request_features(requests, online)], axis=1)[list(served.columns)]
    pd.testing.assert_frame_equal(served, offline, check_dtype=False)
    assert served["days_until_requested"].iloc[-1] == 59  # calendar days from the request's day
