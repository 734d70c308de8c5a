"""API keys stored as salted hashes: named callers, 401 for a wrong key, no plain key at rest."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from serving_helpers import KEYS, auth
from typer.testing import CliRunner

import serving.auth
from alerts.detection import order_lines_at_risk
from pipelines.cli import app
from serving.auth import AuthError, KeyRing
from serving.key_hashing import hash_key
from settings import load_settings

KEY = "s3cret-planner-key"


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing({"planning-team": {"hash": hash_key(KEY), "roles": ["planner", "oms"]}})


def test_a_hashed_key_authenticates_with_its_roles_and_name(ring):
    caller = ring.check(f"Bearer {KEY}", "planner")
    assert caller.roles == {"planner", "oms"}
    assert caller.name == "planning-team"
    assert caller.label == "key:planning-team"


def test_a_wrong_key_is_401_and_a_missing_role_403(ring):
    with pytest.raises(AuthError) as wrong:
        ring.check("Bearer not-the-key", "planner")
    assert wrong.value.status == 401
    with pytest.raises(AuthError) as role:
        ring.check(f"Bearer {KEY}", "admin")
    assert role.value.status == 403


def test_a_verified_key_does_not_pay_scrypt_again(monkeypatch):
    ring = KeyRing({"oms-system": {"hash": hash_key(KEY), "roles": ["oms"]}})
    calls = []
    real = serving.auth.verify_key
    monkeypatch.setattr(serving.auth, "verify_key", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        ring.check(f"Bearer {KEY}", "oms")
        with pytest.raises(AuthError):
            ring.check("Bearer wrong", "oms")
    assert len(calls) == 2  # one verification of the right key, one of the wrong one


def test_a_malformed_hash_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="api_keys"):
        KeyRing({"x": {"hash": "sha1$abc", "roles": ["oms"]}})


def test_production_refuses_plain_text_keys_and_accepts_hashed_ones(tmp_path):
    with pytest.raises(ValidationError, match="plain-text keys are refused"):
        load_settings(data_dir=tmp_path, profile="production", allow_dev_key=False, api_keys={"k": ["oms"]})
    settings = load_settings(
        data_dir=tmp_path, profile="production", allow_dev_key=False,
        api_keys={"oms-system": {"hash": hash_key(KEY), "roles": ["oms"]}},
    )
    assert KeyRing.from_settings(settings.api_keys, False).check(f"Bearer {KEY}", "oms").name == "oms-system"


def test_keys_add_prints_the_key_once_and_writes_only_its_hash(tmp_path):
    config = tmp_path / "backorder.yaml"
    config.write_text("profile: production\nallow_dev_key: false\n")
    result = CliRunner().invoke(
        app,
        ["keys", "add", "--name", "oms-system", "--role", "oms", "--role", "planner", "--settings-file", str(config)],
    )
    assert result.exit_code == 0, result.output
    key = result.output.splitlines()[1].strip()
    written = config.read_text()
    assert key and key not in written
    entry = yaml.safe_load(written)["api_keys"]["oms-system"]
    assert entry["roles"] == ["oms", "planner"]
    settings = load_settings(config, data_dir=tmp_path)
    caller = KeyRing.from_settings(settings.api_keys, False).check(f"Bearer {key}", "planner")
    assert caller.name == "oms-system" and caller.roles == {"oms", "planner"}


@pytest.fixture
def service_settings(tmp_path, monkeypatch):
    """The serving tests' keys plus a hashed planner key named ``planning-team``."""
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    hashed = {"planning-team": {"hash": hash_key(KEY), "roles": ["planner"]}}
    return load_settings(data_dir=tmp_path / "data", api_keys={**KEYS, **hashed})


def test_an_acknowledgement_over_http_records_the_hashed_keys_name(client, runtime):
    scored = pd.DataFrame({
        "order_id": ["O1"], "line_id": "1", "sku_id": ["SKU000"], "location_id": ["DC1"],
        "quantity": [400], "backorder_probability": [0.95],
    })
    opened = runtime.alerts.record(order_lines_at_risk(scored, runtime.alerts.cfg), datetime(2026, 3, 2)).opened
    path = f"/v1/exceptions/{opened[0]['id']}/acknowledge"
    assert client.post(path, json={}, headers=auth("not-the-key")).status_code == 401
    acked = client.post(path, json={}, headers=auth(KEY))
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == "key:planning-team"
