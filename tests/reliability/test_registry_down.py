"""The model registry down (its port closed): start-up takes seconds and serves the cached
champions; a reload answers 503 at once and the running models keep serving. A registry that
answers its health check and then hangs: the reload answers 504 within its bound, and the
abandoned load is discarded when it ends, never swapped in."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError
from serving_helpers import KEYS, TODAY, auth, order

from serving.registry import load_champions, mlflow_loader, registry_down
from serving.runtime import RISK, build_runtime, production_components
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply
from settings import load_settings
from settings.registry_client import limit_registry_requests
from tests.conftest import free_port


@pytest.fixture
def registry_down_settings(tmp_path, monkeypatch, risk_model):
    """Settings whose tracking server is a closed port on 127.0.0.1, with a cached champion."""
    port = free_port()  # nothing listens there
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for variable in ("TIMEOUT", "MAX_RETRIES", "BACKOFF_FACTOR", "BACKOFF_JITTER"):
        monkeypatch.delenv(f"MLFLOW_HTTP_REQUEST_{variable}", raising=False)  # restored afterwards
    settings = load_settings(
        data_dir=tmp_path / "data", api_keys=KEYS, mlflow_tracking_uri=f"http://127.0.0.1:{port}"
    )
    load_champions([RISK], lambda name, alias: (risk_model, "4"), settings.model_cache_dir)
    return settings


def test_registry_limits_are_settings_with_defaults_of_seconds(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    defaults = load_settings()
    assert defaults.registry_timeout_seconds <= 5 and defaults.registry_retries <= 2
    monkeypatch.setenv("BACKORDER_REGISTRY_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValidationError, match="registry_timeout_seconds"):
        load_settings()


def test_mlflow_gives_up_on_a_closed_port_within_the_registry_settings(registry_down_settings):
    limit_registry_requests(registry_down_settings)
    started = time.perf_counter()
    with pytest.raises(Exception):  # noqa: B017 - MLflow's own error for an unreachable server
        mlflow_loader(registry_down_settings.tracking_uri)(RISK, "champion")
    assert time.perf_counter() - started < 10


@pytest.mark.slow  # the production start-up path imports MLflow and Feast
def test_start_up_and_reload_with_the_registry_down(
    registry_down_settings, client, stock, inbound, online_table, monkeypatch
):
    import features.feature_store  # noqa: F401  (Feast's import is not the registry's time)
    from serving.service import RiskService, app

    supply = FrameSupply(stock, inbound)
    started = time.perf_counter()
    components = production_components(registry_down_settings, supply=supply, today=lambda: TODAY)
    assert time.perf_counter() - started < 15
    assert components.models[RISK].source == "cache" and components.models[RISK].version == "4"

    components.reader = FrameFeatureReader(online_table)  # no Feast repository in this test
    runtime = build_runtime(registry_down_settings, components, today=lambda: TODAY)
    app.state.runtime = runtime
    assert client.post("/v1/score", json=order(2), headers=auth("oms-key")).status_code == 200

    def rebuild():
        raise AssertionError("a reload with the registry down must not rebuild the service")

    monkeypatch.setattr(RiskService.inner, "runtime_factory", staticmethod(rebuild))
    started = time.perf_counter()
    reload = client.post("/v1/admin/reload", headers=auth("admin-key"))
    assert time.perf_counter() - started < registry_down_settings.registry_timeout_seconds + 1
    assert reload.status_code == 503 and reload.headers["Retry-After"] == "5"
    assert reload.json()["error"] == "reload refused" and reload.json()["detail"][0]["field"] == "registry"
    assert app.state.runtime is runtime
    scored = client.post("/v1/score", json=order(2, order_id="O2"), headers=auth("oms-key"))
    assert scored.status_code == 200 and scored.json()["model_version"] == f"{RISK}/4"
    assert "backorder_reloads_refused_total 1" in runtime.metrics_text()
    runtime.close()


class HangingRegistry(BaseHTTPRequestHandler):
    """A tracking server that answers its health check, then never answers a model request."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.rstrip("/") == "/health":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")
            return
        time.sleep(30)

    def log_message(self, *_) -> None:
        pass


@pytest.fixture
def hanging_registry_settings(tmp_path, monkeypatch, risk_model):
    server = ThreadingHTTPServer(("127.0.0.1", 0), HangingRegistry)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    for variable in ("TIMEOUT", "MAX_RETRIES", "BACKOFF_FACTOR", "BACKOFF_JITTER"):
        monkeypatch.delenv(f"MLFLOW_HTTP_REQUEST_{variable}", raising=False)  # restored afterwards
    settings = load_settings(
        data_dir=tmp_path / "data", api_keys=KEYS, mlflow_tracking_uri=f"http://127.0.0.1:{server.server_port}",
        registry_timeout_seconds=1, registry_retries=0, reload_timeout_seconds=1,
    )
    load_champions([RISK], lambda name, alias: (risk_model, "4"), settings.model_cache_dir)
    yield settings
    server.shutdown()
    server.server_close()


@pytest.mark.slow  # the reload loads through MLflow (its import and its timeouts)
def test_a_reload_stuck_on_the_registry_answers_504_in_time_and_never_swaps(
    hanging_registry_settings, client, stock, inbound, online_table, monkeypatch
):
    import features.feature_store  # noqa: F401  (Feast's import is not the reload's time)
    from serving.service import RiskService, app

    settings = hanging_registry_settings
    supply = FrameSupply(stock, inbound)

    def build():
        components = production_components(settings, supply=supply, today=lambda: TODAY)
        components.reader = FrameFeatureReader(online_table)  # no Feast repository in this test
        return build_runtime(settings, components, today=lambda: TODAY)

    cached = production_components(settings, loader=registry_down, supply=supply, today=lambda: TODAY)
    cached.reader = FrameFeatureReader(online_table)
    runtime = build_runtime(settings, cached, today=lambda: TODAY)
    app.state.runtime = runtime
    monkeypatch.setattr(RiskService.inner, "runtime_factory", staticmethod(build))

    started = time.perf_counter()
    reload = client.post("/v1/admin/reload", headers=auth("admin-key"))
    assert time.perf_counter() - started < settings.reload_timeout_seconds + 1
    assert reload.status_code == 504 and reload.headers["Retry-After"] == "5"
    body = reload.json()
    assert body["error"] == "reload timed out" and body["detail"][0]["field"] == "reload"
    assert "nothing is swapped" in body["detail"][0]["problem"]

    # The abandoned load ends at the registry's timeouts; its runtime is discarded, never swapped in.
    deadline = time.monotonic() + 20
    while "backorder_reloads_abandoned_total 1" not in runtime.metrics_text():
        assert time.monotonic() < deadline, "the abandoned reload never ended"
        time.sleep(0.1)
    assert app.state.runtime is runtime
    scored = client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    assert scored.status_code == 200 and scored.json()["model_version"] == f"{RISK}/4"
    assert "backorder_reloads_total 0" in runtime.metrics_text()

    # Nothing is left holding the reload: the next one (here from the cache) swaps as usual.
    monkeypatch.setattr(RiskService.inner, "runtime_factory", staticmethod(
        lambda: build_runtime(settings, cached, today=lambda: TODAY)
    ))
    assert client.post("/v1/admin/reload", headers=auth("admin-key")).status_code == 200
    assert app.state.runtime is not runtime
    app.state.runtime.close()
