"""The SQLite online store moved away and back: 503s while it is gone (no empty file in its place,
no internals in the body), /readyz and /v1/status say so, and scoring recovers by itself."""

from __future__ import annotations

import os
import time

import pytest
from feast_world import VIEW, feast_reader, write_feast_store
from serving_helpers import TODAY, auth, order

from serving.runtime import build_runtime


@pytest.fixture
def store_reader(service_settings, online_table):
    """A real Feast store (this project's SQLite online store) holding ``online_table``."""
    write_feast_store(service_settings, online_table)
    return feast_reader(service_settings)


def _until(check, seconds: float = 5.0):
    """Poll ``check`` until it returns something true (or the time is up); its last answer."""
    deadline = time.monotonic() + seconds
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


@pytest.mark.slow  # Feast's import and apply: seconds
def test_store_moved_away_and_back_recovers_without_a_reload(client, service_settings, components, store_reader):
    from serving.service import app

    components.reader = store_reader
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
