"""The SQLite online store moved away and back: 503s while it is gone (no empty file in its place,
no internals in the body), /readyz and /v1/status say so, and scoring recovers by itself."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest
from serving_helpers import TODAY, auth, order

from serving.runtime import build_runtime

VIEW = "stock_features"


@pytest.fixture
def feast_reader(service_settings, online_table, tmp_path):
    """A real Feast store (this project's SQLite online store) holding ``online_table``."""
    from feast import FeatureService, FeatureView, Field, FileSource
    from feast.types import Float64

    from features.feast_repo.definitions import LOCATION, SKU, TTL
    from features.feature_store import OnlineReader, open_store

    service_settings.feature_repo_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(service_settings)
    names = [c for c in online_table.columns if c not in ("sku_id", "location_id")]
    view = FeatureView(
        name=VIEW,
        entities=[SKU, LOCATION],
        ttl=TTL,
        schema=[Field(name=n, dtype=Float64) for n in names],
        source=FileSource(
            name="stock_source", path=str(tmp_path / "unused.parquet"), timestamp_field="event_timestamp"
        ),
        online=True,
    )
    store.apply([SKU, LOCATION, view, FeatureService(name="risk_test", features=[view])])
    store.write_to_online_store(VIEW, online_table.assign(event_timestamp=pd.Timestamp("2026-03-01", tz="UTC")))
    return OnlineReader(open_store(service_settings), "risk_test")  # as the service opens it


def _until(check, seconds: float = 5.0):
    """Poll ``check`` until it returns something true (or the time is up); its last answer."""
    deadline = time.monotonic() + seconds
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


@pytest.mark.slow  # Feast's import and apply: seconds
def test_store_moved_away_and_back_recovers_without_a_reload(client, service_settings, components, feast_reader):
    from serving.service import app

    components.reader = feast_reader
    runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    runtime.store_health.ttl = 0.1
    runtime.scorer.store_retry_seconds = 0.2
    app.state.runtime = runtime
    path = service_settings.online_store_path
    assert client.get("/readyz").status_code == 200

    os.replace(path, path.with_suffix(".away"))
    score = client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    assert score.status_code == 503 and score.json()["error"] == "feature store unavailable"
    for internal in ("sqlite", "table", VIEW, service_settings.feast_project, str(path)):
        assert internal not in score.text.lower(), internal
    assert not path.exists()  # no empty store created in its place
    ready = _until(lambda: (r := client.get("/readyz")).status_code == 503 and r)
    assert ready and "feature store" in ready.json()["missing"]
    assert client.get("/v1/status").json()["feature_store"] == "unavailable"

    os.replace(path.with_suffix(".away"), path)
    back = _until(lambda: client.post("/v1/score", json=order(2), headers=auth("oms-key")).status_code == 200)
    assert back, "scoring did not recover by itself"
    assert _until(lambda: client.get("/readyz").status_code == 200)
    assert client.get("/v1/status").json()["feature_store"] == "connected"
    runtime.close()
