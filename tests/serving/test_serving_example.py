"""``examples/score_request.json`` is a valid order of the default demo world (`backorder demo`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from serving_helpers import TODAY, auth

from serving.registry import LoadedModel
from serving.runtime import RISK, Components, build_runtime
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "score_request.json"


def test_example_ids_exist_in_the_default_demo_world():
    from simulation import scenario_config
    from simulation.world import generate_world

    world = generate_world(scenario_config("baseline", seed=0, n_skus=300, n_days=730))  # = demo
    pairs = set(zip(world.sku_ids[world.sku_of], world.location_ids[world.location_of], strict=True))
    lines = json.loads(EXAMPLE.read_text())["lines"]
    assert len(lines) == 10
    assert {(line["sku_id"], line["location_id"]) for line in lines} <= pairs


def test_example_scores_line_by_line(client, service_settings, risk_model):
    """Served by a runtime whose store knows the example's SKU-locations: 200, one answer per line."""
    from serving.service import app

    body = json.loads(EXAMPLE.read_text())
    keys = pd.DataFrame([(x["sku_id"], x["location_id"]) for x in body["lines"]], columns=["sku_id", "location_id"])
    rng = np.random.default_rng(0)
    stock = keys.assign(on_hand=rng.integers(0, 80, len(keys)).astype(float), allocated=0.0)
    table = keys.assign(
        available=stock["on_hand"], demand_mean_28d=rng.gamma(2.0, 3.0, len(keys)), lead_time_mean=12.0
    )
    inbound = pd.DataFrame(
        columns=["po_id", "sku_id", "location_id", "quantity", "promised_date", "delay_p10", "delay_p50", "delay_p90"]
    ).astype({"quantity": float, "promised_date": "datetime64[ns]", "delay_p10": float, "delay_p50": float,
              "delay_p90": float})
    components = Components(
        models={RISK: LoadedModel(RISK, "1", "registry", risk_model)},
        reader=FrameFeatureReader(table),
        supply=FrameSupply(stock, inbound),
    )
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 200, r.text
    assert [line["line_id"] for line in r.json()["lines"]] == [line["line_id"] for line in body["lines"]]
    app.state.runtime.log.close()
