"""The production profile with MLflow's artifacts in an S3-compatible object store.

``scripts/s3-server`` (moto's S3 server on 127.0.0.1) holds the artifacts, PostgreSQL the
registry, Redis the online store and the live state. A risk model is trained and registered with
``training.tracking.log_training_run``; ``bentoml serve`` (the production profile's 2 workers)
loads it from the bucket and scores the committed example order. The model is fitted on generated
labels over the world's real online features: this checks where artifacts go and come from; the
model's quality is the training tests' business.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import boto3
import pandas as pd
import pytest
import redis
from bentoml_serve import bentoml_serve, call_json
from generated_world import generated_risk_model

from tests.conftest import REPO_ROOT, TEST_OMS_KEY, free_port, throwaway_database, write_production_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

EXAMPLE = REPO_ROOT / "examples" / "score_request.json"
BUCKET, PREFIX = "backorder-artifacts", "mlflow"
# Any credentials do for the local server; boto3 needs some to sign its requests.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> str:
    """``scripts/s3-server`` on a free port with the test's bucket; stopped afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "s3-server.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "s3-server"), str(port), BUCKET], stdout=subprocess.PIPE, stderr=sink
        )
    try:
        line = process.stdout.readline().decode()  # printed once the bucket exists
        assert line.startswith("S3 server on"), f"scripts/s3-server did not start:\n{log.read_text()[-2000:]}"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


@pytest.fixture(scope="module")
def production(tmp_path_factory, s3_endpoint):
    """Production settings on a 300-SKU world (the example order's SKUs) with a fresh PostgreSQL
    database and Redis namespace, the S3 artifact store, and the Feast store materialized."""
    from features.feature_store import apply_definitions
    from pipelines.commands.features import materialize_latest, write_feature_tables
    from pipelines.commands.simulate import write_simulation
    from settings import load_settings
    from simulation import scenario_config

    root = tmp_path_factory.mktemp("production")
    database = project = f"s3_{uuid.uuid4().hex[:12]}"
    with throwaway_database(database) as uri:
        config = write_production_config(
            root / "production.yaml", root / "data", uri, project, ["oms"],
            mlflow_artifact_root=f"s3://{BUCKET}/{PREFIX}",
            mlflow_s3_endpoint_url=s3_endpoint,
            serving_as_of="2024-03-30",  # the world's last day
        )
        with pytest.MonkeyPatch.context() as patch:
            for name, value in CREDENTIALS.items():
                patch.setenv(name, value)
            patch.delenv("BACKORDER_CONFIG", raising=False)
            patch.chdir(root)
            settings = load_settings(config)
            write_simulation(scenario_config("baseline", seed=0, n_skus=300, n_days=90), settings.canonical_dir)
            write_feature_tables(settings, horizon=14, forecasts=None)
            apply_definitions(settings)
            materialize_latest(settings)
            yield settings
        import mlflow

        mlflow.set_tracking_uri(None)
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"*{project}*", count=1000):
            client.delete(key)
        client.close()


def _register_champion(settings) -> str:
    """Fit a small risk model on the served features, log and register it, make it champion."""
    from mlflow import MlflowClient

    from features.feature_store import OnlineReader, open_store
    from serving.runtime import ONLINE_SERVICE, RISK
    from settings.registry_client import use_artifact_store
    from training.tracking import CHAMPION, TrainingRecord, configure, log_training_run

    keys = pd.read_parquet(settings.canonical_dir / "inventory_snapshots.parquet")[["sku_id", "location_id"]]
    keys = keys.drop_duplicates().reset_index(drop=True)
    served = OnlineReader(open_store(settings), ONLINE_SERVICE).read(keys)
    model = generated_risk_model(pd.concat([keys, served[["available", "days_of_cover", "lead_time_days"]]], axis=1))
    use_artifact_store(settings)
    experiment = configure(settings.tracking_uri, settings.artifact_root, RISK)
    record = TrainingRecord(
        model_name=RISK,
        params={"n_estimators": model.n_estimators},
        metrics={},
        feature_names=tuple(model.feature_names_in_),
        holdout_period="none",
        data_identity={"train": "generated labels"},
    )
    example = pd.DataFrame([[1.0] * model.n_features_in_], columns=list(model.feature_names_in_))
    version = log_training_run(record, model, example, experiment)
    MlflowClient().set_registered_model_alias(RISK, CHAMPION, version.version)
    return MlflowClient().get_logged_model(version.source.removeprefix("models:/")).artifact_location


def test_production_profile_serves_the_example_order_from_models_in_the_object_store(production, s3_endpoint):
    settings = production
    location = _register_champion(settings)
    assert location.startswith(f"s3://{BUCKET}/{PREFIX}/backorder_risk/")

    bucket = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    stored = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]}
    model_prefix = location.removeprefix(f"s3://{BUCKET}/")
    assert {f"{model_prefix}/MLmodel", f"{model_prefix}/artifacts/estimator.joblib"} <= stored
    assert not (settings.data_dir / "mlflow").exists()  # nothing of MLflow's on local disk

    env = {**CREDENTIALS, "BACKORDER_CONFIG": str(settings.config_file), "BENTOML_HOME": str(settings.bentoml_home)}
    # The settings name the S3 endpoint, not the environment.
    with bentoml_serve("serving.service:RiskService", env, settings.data_dir / "serve.log", cwd=REPO_ROOT,
                       unset=["MLFLOW_S3_ENDPOINT_URL"], ready_within=180) as base:
        status, body = call_json(base, "GET", "/readyz", None, TEST_OMS_KEY)[:2]
        assert status == 200 and body["models"]["backorder_risk"] == {"version": "1", "source": "registry"}
        order = json.loads(EXAMPLE.read_text())
        status, body = call_json(base, "POST", "/v1/score", order, TEST_OMS_KEY)[:2]
        assert status == 200, body
        assert body["model_version"] == "backorder_risk/1"
        assert [line["line_id"] for line in body["lines"]] == [line["line_id"] for line in order["lines"]]
        assert all(0.0 <= line["backorder_probability"] <= 1.0 for line in body["lines"])
    assert not (settings.data_dir / "mlflow").exists()
