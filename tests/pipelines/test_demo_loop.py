"""`backorder demo`: the whole loop once on the embedded defaults, again with nothing to redo, then
on the production profile (PostgreSQL registry, Redis online store, real API keys) against the
services on this machine."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import redis
from mlflow import MlflowClient
from typer.testing import CliRunner

from pipelines.cli import app
from serving.prediction_log import read_prediction_log
from tests.conftest import throwaway_database, write_production_config

pytestmark = pytest.mark.slow

SMALL_WORLD = ["--skus", "20", "--days", "180", "--replay-days", "3"]
MODELS = ("backorder_risk", "sku_location_risk", "demand", "lead_time")
# On this small world the lead-time model loses to the per-supplier delay quantiles, so it stays a
# challenger and those quantiles serve; the other three beat their baselines.
CHAMPIONS = ("backorder_risk", "sku_location_risk", "demand")
LEAD_TIME_FALLBACK = "lead_time does not pass the gate; the service uses the supplier delay quantiles"
# Lines the stack prints on its own: Feast's materialize banner, tqdm bars, MLflow's event log and
# registration messages, Python warnings. The demo prints its progress and results only.
THIRD_PARTY_LINE = re.compile(
    r"Materializing|feature views from|\d+it/s|\d+%\||INFO mlflow|WARNING mlflow|Successfully registered|"
    r"Created version|Warning:|DeprecationWarning"
)


def _run_demo(*args: str):
    result = CliRunner().invoke(app, ["demo", *SMALL_WORLD, *args])
    assert result.exit_code == 0, result.output
    return result


def _assert_loop_outputs(data: Path, tracking_uri: str) -> None:
    """What an engineer looks for after the demo: champions, a filled log, monitoring and report."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    for name in CHAMPIONS:
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    lead_time = client.get_registered_model("lead_time")
    assert "champion" not in lead_time.aliases and "challenger" in lead_time.aliases
    log = read_prediction_log(data / "prediction_log")
    assert len(log) > 200 and log["model_version"].eq("backorder_risk/1").all()
    summary = json.loads((data / "reports" / "monitoring" / "summary.json").read_text())
    assert set(summary["models"]) == {"backorder_risk", "demand", "lead_time"}
    assert summary["dry_run"] is True and summary["window"]["lines"] == len(log)
    assert summary["models"]["backorder_risk"]["drift"]["verdict"] == "not enough data yet"  # one logged day
    page = (data / "reports" / "latest" / "index.html").read_text()
    for section in ("at-risk", "recommendations", "suppliers", "forecast", "what-if"):
        assert f'id="{section}"' in page
    assert "Open PO delays: supplier delay quantiles of" in page
    assert (data / "reports" / "latest" / "at_risk.csv").exists()


@pytest.fixture
def production_settings(tmp_path):
    """A settings file for the production profile on a fresh database and Redis namespace."""
    database = f"demo_{uuid.uuid4().hex[:12]}"
    project = f"demo_{uuid.uuid4().hex[:12]}"
    with throwaway_database(database) as uri:
        config = write_production_config(
            tmp_path / "production.yaml", tmp_path / "production", uri, project, ["oms", "planner"]
        )
        yield config, uri, project
        mlflow.set_tracking_uri(None)
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(b"*" + project.encode() + b"*"):
            client.delete(key)
        client.close()


def _registered_versions(tracking_uri: str) -> dict[str, list[str]]:
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    return {name: [str(v.version) for v in client.search_model_versions(f"name = '{name}'")] for name in MODELS}


@pytest.mark.postgres
@pytest.mark.redis
def test_demo_runs_the_loop_reruns_nothing_and_runs_on_the_production_profile(
    production_settings, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    embedded = f"sqlite:///{data / 'mlflow' / 'mlflow.db'}"
    first = _run_demo()
    _assert_loop_outputs(data, embedded)
    assert LEAD_TIME_FALLBACK in " ".join(first.output.split())  # the console wraps long lines
    assert "planner report:" in first.output and "mlflow ui --backend-store-uri" in first.output
    assert "make serve" in first.output
    assert "live state seeded with" in first.output  # the service starts on the data's last day
    assert not [line for line in first.output.splitlines() if THIRD_PARTY_LINE.search(line)], first.output

    rerun = _run_demo()  # unchanged data: nothing retrained, nothing promoted
    assert all(f"up to date: {name} v1" in rerun.output for name in MODELS)
    assert _registered_versions(embedded) == {name: ["1"] for name in MODELS}
    client = MlflowClient(tracking_uri=embedded)
    for name in CHAMPIONS:
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"

    # The production profile on a folder holding the same world: the simulated tables, as-of
    # outputs and feature tables are up to date; models, champions and online features go to its
    # own stores.
    config, uri, project = production_settings
    for folder in ("canonical", "asof", "features"):
        shutil.copytree(data / folder, tmp_path / "production" / folder)
    production = _run_demo("--config", str(config))
    assert not [line for line in production.output.splitlines() if THIRD_PARTY_LINE.search(line)]
    assert "as-of outputs unchanged" in production.output
    _assert_loop_outputs(tmp_path / "production", uri)
    assert not (tmp_path / "production" / "mlflow" / "mlflow.db").exists()  # the registry is PostgreSQL
    assert not (tmp_path / "production" / "online_store.db").exists()  # the online store is Redis
    client = redis.Redis(host="127.0.0.1", port=6379)
    assert any(True for _ in client.scan_iter(b"*" + project.encode() + b"*", count=1000))
    client.close()
    # Same world, same champions: the rerun's replay and the production one score every line as the
    # first embedded replay did.
    both_embedded = _scored_lines(data).groupby(level=[0, 1])  # the rerun logged the replay again
    embedded_log, rerun_log = both_embedded.first(), both_embedded.last()
    assert both_embedded.size().eq(2).all()
    np.testing.assert_allclose(rerun_log, embedded_log, atol=1e-9)
    production_log = _scored_lines(tmp_path / "production")
    assert len(production_log) == len(embedded_log)
    np.testing.assert_allclose(production_log.reindex(embedded_log.index), embedded_log, atol=1e-9)


def _scored_lines(data: Path) -> pd.Series:
    """Backorder probability per (order_id, line_id) in the folder's prediction log."""
    log = read_prediction_log(data / "prediction_log")
    probability = [outputs["backorder_probability"] for outputs in log["outputs"]]
    return pd.Series(probability, index=pd.MultiIndex.from_frame(log[["order_id", "line_id"]]))
