"""`backorder demo`: the whole loop once, on the embedded defaults and on the production profile
(PostgreSQL registry, Redis online store, real API keys) against the services on this machine."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import mlflow
import psycopg2
import pytest
import redis
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from pipelines.cli import app
from serving.prediction_log import read_prediction_log

pytestmark = pytest.mark.slow

SMALL_WORLD = ["--skus", "40", "--days", "240"]
MODELS = ("backorder_risk", "sku_location_risk", "demand", "lead_time")
POSTGRES_DSN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


def _run_demo(*args: str):
    result = CliRunner().invoke(app, ["demo", *SMALL_WORLD, *args])
    assert result.exit_code == 0, result.output
    return result


def _assert_loop_outputs(data: Path, tracking_uri: str) -> None:
    """What an engineer looks for after the demo: champions, a filled log, monitoring and report."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    for name in MODELS:
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    log = read_prediction_log(data / "prediction_log")
    assert len(log) > 200 and log["model_version"].eq("backorder_risk/1").all()
    summary = json.loads((data / "reports" / "monitoring" / "summary.json").read_text())
    assert set(summary["models"]) == {"backorder_risk", "demand", "lead_time"}
    assert summary["dry_run"] is True and summary["window"]["lines"] == len(log)
    assert summary["models"]["backorder_risk"]["drift"]["verdict"] == "not enough data yet"  # one logged day
    page = (data / "reports" / "latest" / "index.html").read_text()
    for section in ("at-risk", "recommendations", "suppliers", "forecast", "what-if"):
        assert f'id="{section}"' in page
    assert (data / "reports" / "latest" / "at_risk.csv").exists()


def test_demo_runs_the_loop_and_a_rerun_redoes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = _run_demo()
    data = tmp_path / "data"
    _assert_loop_outputs(data, f"sqlite:///{data / 'mlflow' / 'mlflow.db'}")
    assert "planner report:" in first.output and "mlflow ui --backend-store-uri" in first.output
    assert "make serve" in first.output
    assert "live state seeded with" in first.output  # the service starts on the data's last day

    _run_demo()  # unchanged data: nothing retrained, nothing promoted
    client = MlflowClient(tracking_uri=f"sqlite:///{data / 'mlflow' / 'mlflow.db'}")
    for name in MODELS:
        assert [str(v.version) for v in client.search_model_versions(f"name = '{name}'")] == ["1"]
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"


@pytest.fixture
def production_settings(tmp_path):
    """A settings file for the production profile on a fresh database and Redis namespace."""
    database = f"demo_{uuid.uuid4().hex[:12]}"
    project = f"demo_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    uri = f"postgresql://postgres@127.0.0.1:5432/{database}"
    config = tmp_path / "production.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "profile": "production",
                "data_dir": str(tmp_path / "data"),
                "mlflow_tracking_uri": uri,
                "online_store": "redis",
                "redis_connection_string": "127.0.0.1:6379",
                "feast_project": project,
                "live": {"key_prefix": f"{project}:live"},  # removed with the project's keys below
                "allow_dev_key": False,
                "api_keys": {"test-oms-key": ["oms", "planner"]},
            }
        )
    )
    yield config, uri, project
    mlflow.set_tracking_uri(None)
    client = redis.Redis(host="127.0.0.1", port=6379)
    for key in client.scan_iter(b"*" + project.encode() + b"*"):
        client.delete(key)
    client.close()
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
    admin.close()


@pytest.mark.postgres
@pytest.mark.redis
def test_demo_runs_on_the_production_profile(production_settings, tmp_path, monkeypatch):
    config, uri, project = production_settings
    monkeypatch.chdir(tmp_path)
    _run_demo("--config", str(config))

    _assert_loop_outputs(tmp_path / "data", uri)
    assert not (tmp_path / "data" / "mlflow" / "mlflow.db").exists()  # the registry is PostgreSQL
    assert not (tmp_path / "data" / "online_store.db").exists()  # the online store is Redis
    client = redis.Redis(host="127.0.0.1", port=6379)
    assert any(True for _ in client.scan_iter(b"*" + project.encode() + b"*", count=1000))
    client.close()
