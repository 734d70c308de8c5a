"""Online store down: 503 naming the cause; registry down at start-up: the cached champions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from serving_helpers import TODAY, auth, order

from serving.prediction_log import read_prediction_log
from serving.registry import ModelUnavailable, load_champions
from serving.runtime import RISK, Components, build_runtime
from serving.supply import FrameSupply


class SqliteFeatureReader:
    """A minimal online store: one SQLite table keyed by sku_id and location_id."""

    def __init__(self, path: Path, table: pd.DataFrame) -> None:
        self.path = path
        with sqlite3.connect(path) as conn:
            table.to_sql("features", conn, index=False)
        conn.close()
        self.feature_names = [c for c in table.columns if c not in ("sku_id", "location_id")]

    def read_values(self, entity_rows) -> np.ndarray:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
            stored = pd.read_sql_query("SELECT * FROM features", conn)
        conn.close()
        keys = pd.DataFrame({k: entity_rows[k] for k in ("sku_id", "location_id")})
        out = keys.merge(stored, on=["sku_id", "location_id"], how="left")
        return out[self.feature_names].to_numpy(dtype="float64")


def test_unreachable_online_store_answers_503_and_logs_nothing(
    client, service_settings, components, online_table, tmp_path
):
    from serving.service import app

    store = tmp_path / "online.db"
    components.reader = SqliteFeatureReader(store, online_table)
    runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    app.state.runtime = runtime
    ok = client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    assert ok.status_code == 200

    store.unlink()  # the store goes away under a running service
    r = client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json()["error"] == "feature store unavailable"
    assert r.json()["detail"][0]["field"] == "feature_store"
    assert len(read_prediction_log(runtime.log.path.parent)) == 2  # only the good request
    metrics = runtime.metrics_text()
    assert "backorder_feature_store_unavailable_total 1" in metrics
    assert "backorder_scored_lines_total 2" in metrics
    runtime.log.close()


def _registry_loader(registry: Path):
    """A real loader over a directory registry: ``<name>@<alias>.joblib`` plus a version file."""

    def load(name: str, alias: str):
        base = registry / f"{name}@{alias}"
        return joblib.load(base.with_suffix(".joblib")), base.with_suffix(".version").read_text()

    return load


def test_registry_down_at_start_up_serves_the_cached_champion(
    client, service_settings, components, risk_model, tmp_path
):
    from serving.service import app

    registry = tmp_path / "registry"
    registry.mkdir()
    joblib.dump(risk_model, registry / f"{RISK}@champion.joblib")
    (registry / f"{RISK}@champion.version").write_text("12")
    cache = service_settings.model_cache_dir

    first = load_champions([RISK], _registry_loader(registry), cache)
    assert (first[RISK].source, first[RISK].version) == ("registry", "12")

    for path in registry.iterdir():  # the registry is gone at the next start-up
        path.unlink()
    registry.rmdir()
    models = load_champions([RISK], _registry_loader(registry), cache)
    assert (models[RISK].source, models[RISK].version) == ("cache", "12")

    components.models = models
    runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    app.state.runtime = runtime
    assert client.get("/readyz").status_code == 200
    status = client.get("/v1/status").json()
    assert status["ready"] and status["models"][0]["source"] == "cache"
    assert any("local cache" in note for note in status["notes"])
    scored = client.post("/v1/score", json=order(1), headers=auth("oms-key")).json()
    assert scored["model_version"] == f"{RISK}/12"
    runtime.log.close()


def test_no_registry_and_no_cache_is_not_ready(
    client, service_settings, online_table, stock, inbound, tmp_path
):
    from serving.service import app

    with pytest.raises(ModelUnavailable, match="no cached copy"):
        load_champions([RISK], _registry_loader(tmp_path / "none"), tmp_path / "empty")
    components = Components(models={}, reader=None, supply=FrameSupply(stock, inbound.iloc[:0]))
    runtime = build_runtime(service_settings, components)
    app.state.runtime = runtime
    assert client.get("/readyz").status_code == 503
    r = client.post("/v1/score", json=order(1), headers=auth("oms-key"))
    assert r.status_code == 503 and r.json()["error"] == "not ready"
    runtime.log.close()


def test_a_registry_that_says_no_champion_is_believed_over_the_cache(tmp_path, caplog):
    """A model that never passed its gate (or whose champion was retired): the registry answers,
    so a cached copy from before is not served, and nothing is logged as a failure."""
    from mlflow import MlflowClient

    from serving.registry import NoChampion, mlflow_loader

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cache = tmp_path / "cache"
    cache.mkdir()
    joblib.dump("an old champion", cache / "lead_time.joblib")
    (cache / "lead_time.json").write_text('{"name": "lead_time", "version": "3"}')
    loader = mlflow_loader(uri)
    # A registry without the model may be the wrong database: the cached copy stands in.
    assert load_champions(["lead_time"], loader, cache)["lead_time"].source == "cache"
    MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("lead_time")
    caplog.clear()
    with caplog.at_level("WARNING", logger="serving"):
        with pytest.raises(NoChampion, match="no version is champion"):
            load_champions(["lead_time"], loader, cache)
    assert not caplog.records
