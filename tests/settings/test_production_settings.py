"""A production profile needs keys of its own: settings with the development key or without any
key do not load, and the service exits once with the message instead of restarting workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import load_settings

# The key "k" with the oms role, as a settings entry.
K_HASH = "scrypt$16384$8$1$8_LbVYiDDLdtZjnZdx68fw$G3uRW2TGiCHvTRqq1gWhEHYogUR0iFFxbu3XgcZShMw"
HASHED_KEYS = {"k": {"hash": K_HASH, "roles": ["oms"]}}
HASHED_YAML = "{k: {hash: '" + K_HASH + "', roles: [oms]}}"

REPO = Path(__file__).resolve().parents[2]


def test_production_with_the_dev_key_does_not_load(tmp_path):
    config = tmp_path / "production.yaml"
    config.write_text(f"profile: production\nallow_dev_key: true\napi_keys: {HASHED_YAML}\n")
    with pytest.raises(ValidationError, match="allow_dev_key"):
        load_settings(config)


def test_production_with_the_default_dev_key_setting_does_not_load(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKORDER_PROFILE", "production")
    with pytest.raises(ValidationError, match="allow_dev_key"):
        load_settings(data_dir=tmp_path, api_keys={"k": ["oms"]})


def test_production_without_api_keys_does_not_load(tmp_path):
    with pytest.raises(ValidationError, match="api_keys"):
        load_settings(data_dir=tmp_path, profile="production", allow_dev_key=False)


def test_production_with_its_own_keys_loads(tmp_path):
    settings = load_settings(data_dir=tmp_path, profile="production", allow_dev_key=False, api_keys=HASHED_KEYS)
    assert settings.profile == "production" and not settings.allow_dev_key


@pytest.mark.slow
def test_the_service_exits_once_with_the_message(tmp_path):
    config = tmp_path / "production.yaml"
    config.write_text(f"profile: production\nallow_dev_key: true\napi_keys: {HASHED_YAML}\n")
    env = {
        **os.environ,
        "BACKORDER_CONFIG": str(config),
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "true",
    }
    bentoml = Path(sys.executable).parent / "bentoml"
    command = [str(bentoml), "serve", "serving.service:RiskService", "--host", "127.0.0.1", "--port", "3917"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    assert "allow_dev_key: the development key is refused in the production profile" in done.stderr
    assert "Traceback" not in done.stderr
