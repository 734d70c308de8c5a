"""API keys and roles: 401 without a valid key, 403 for the wrong role, 200 for the right one."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError
from serving_helpers import auth, order

from serving.auth import DEV_KEY, AuthError, KeyRing, warn_dev_key_accepted
from serving.runtime import build_runtime
from settings import load_settings


def test_missing_or_unknown_key_is_401(client):
    for headers in ({}, auth("nope"), {"Authorization": "Basic b21zOmtleQ=="}):
        r = client.post("/v1/score", json=order(), headers=headers)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert "API key" in r.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    [
        ("post", "/v1/score", order(), "oms-key"),
        ("post", "/v1/recommendations", {"orders": [order()]}, "planner-key"),
        ("post", "/v1/admin/reload", None, "admin-key"),
    ],
)
def test_each_endpoint_admits_only_its_role(client, method, path, body, allowed):
    for key in ("oms-key", "planner-key", "admin-key"):
        r = client.request(method.upper(), path, json=body, headers=auth(key))
        if key == allowed:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 403
            assert "role" in r.json()["error"]


def test_dev_key_has_all_roles_in_the_embedded_profile_with_one_warning(
    service_settings, components, caplog
):
    warn_dev_key_accepted.cache_clear()
    with caplog.at_level(logging.WARNING, logger="serving.auth"):
        runtimes = [build_runtime(service_settings, components) for _ in range(2)]
    warnings = [r for r in caplog.records if r.name == "serving.auth" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and DEV_KEY in warnings[0].getMessage()  # once per process
    for runtime in runtimes:
        for role in ("oms", "planner", "admin"):
            assert role in runtime.keyring.check(f"Bearer {DEV_KEY}", role).roles


def test_production_settings_with_the_dev_key_do_not_load(tmp_path):
    with pytest.raises(ValidationError, match="allow_dev_key"):
        load_settings(data_dir=tmp_path, profile="production", allow_dev_key=True, api_keys={"k": ["oms"]})


def test_production_without_dev_key_rejects_it():
    ring = KeyRing.from_settings({"k": ["oms"]}, allow_dev_key=False)
    with pytest.raises(AuthError) as err:
        ring.check(f"Bearer {DEV_KEY}", "oms")
    assert err.value.status == 401
    assert ring.check("Bearer k", "oms").roles == {"oms"}


def test_unknown_role_in_settings_is_refused():
    with pytest.raises(ValueError, match="unknown role"):
        KeyRing({"k": ["superuser"]})


def test_every_secured_operation_in_the_spec_answers_401_without_a_key(client):
    spec = client.get("/openapi.json").json()
    secured = [
        (method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if op.get("security")
    ]
    assert len(secured) >= 6
    for method, path in secured:
        r = client.request(method.upper(), path.replace("{po_id}", "PO1"), json={})
        assert r.status_code == 401, (method, path, r.text)
