"""Settings come from defaults, a YAML file and BACKORDER_* variables, in that order of strength."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from settings import load_settings

# The key "k" with the oms role, as a settings entry.
K_HASH = "scrypt$16384$8$1$8_LbVYiDDLdtZjnZdx68fw$G3uRW2TGiCHvTRqq1gWhEHYogUR0iFFxbu3XgcZShMw"
HASHED_YAML = "{k: {hash: '" + K_HASH + "', roles: [oms]}}"


def test_embedded_defaults_keep_everything_under_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    settings = load_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / 'data' / 'mlflow' / 'mlflow.db'}"
    assert settings.online_store == "sqlite"
    assert not (tmp_path / "data").exists(), "loading settings must not create folders"


def test_yaml_file_then_environment_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "prod.yaml"
    config.write_text(
        f"profile: production\nonline_store: redis\nallow_dev_key: false\napi_keys: {HASHED_YAML}\n"
        "mlflow_tracking_uri: postgresql://127.0.0.1:5432/test\ndata_dir: /srv/radar\n"
    )
    monkeypatch.setenv("BACKORDER_ONLINE_STORE", "sqlite")
    settings = load_settings(config)
    assert settings.profile == "production"
    assert settings.tracking_uri == "postgresql://127.0.0.1:5432/test"
    assert str(settings.data_dir) == "/srv/radar"
    assert settings.online_store == "sqlite"


def test_config_file_named_by_environment_variable(tmp_path, monkeypatch):
    config = tmp_path / "radar.yaml"
    config.write_text("service_port: 3100\n")
    monkeypatch.setenv("BACKORDER_CONFIG", str(config))
    assert load_settings().service_port == 3100


def test_invalid_values_name_the_field(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKORDER_ONLINE_STORE", "cassandra")
    with pytest.raises(ValidationError, match="online_store"):
        load_settings()


def test_unknown_keys_in_the_file_are_rejected(tmp_path):
    config = tmp_path / "typo.yaml"
    config.write_text("onlin_store: redis\n")
    with pytest.raises(ValidationError, match="onlin_store"):
        load_settings(config)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_settings(tmp_path / "nope.yaml")


def test_artifact_store_is_the_data_folder_or_an_s3_location(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    assert load_settings().artifact_root == tmp_path / "data" / "mlflow" / "artifacts"
    monkeypatch.setenv("BACKORDER_MLFLOW_ARTIFACT_ROOT", "s3://radar-artifacts/mlflow")
    monkeypatch.setenv("BACKORDER_MLFLOW_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "")  # restored after the test
    settings = load_settings()
    assert settings.artifact_root == "s3://radar-artifacts/mlflow"

    from settings.registry_client import use_artifact_store

    use_artifact_store(settings)  # MLflow's S3 client reads its endpoint from this variable
    assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:9000"

    for field, value in (
        ("MLFLOW_ARTIFACT_ROOT", "/srv/artifacts"),
        ("MLFLOW_ARTIFACT_ROOT", "s3://Bad_Bucket/x"),
        ("MLFLOW_S3_ENDPOINT_URL", "127.0.0.1:9000"),
    ):
        monkeypatch.setenv(f"BACKORDER_{field}", value)
        with pytest.raises(ValidationError, match=field.lower()):
            load_settings()
        monkeypatch.delenv(f"BACKORDER_{field}")
