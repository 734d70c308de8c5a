"""The serving tests' components, shared with the fault tests here (``client`` is in tests/conftest.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SERVING_TESTS = Path(__file__).resolve().parents[1] / "serving"
sys.path.insert(0, str(SERVING_TESTS))  # serving_helpers, imported by name as in tests/serving


def _serving_conftest():
    """tests/serving/conftest.py as a module of its own name (one module per process)."""
    name = "serving_tests_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SERVING_TESTS / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_fixtures = _serving_conftest()
stock = _fixtures.stock
online_table = _fixtures.online_table
inbound = _fixtures.inbound
risk_model = _fixtures.risk_model
service_settings = _fixtures.service_settings
demand_history = _fixtures.demand_history
components = _fixtures.components
runtime = _fixtures.runtime
live = _fixtures.live
live_runtime = _fixtures.live_runtime
live_client = _fixtures.live_client


def pytest_collection_modifyitems(items):
    for item in items:
        if "reliability" in Path(str(item.path)).parts:
            item.add_marker(pytest.mark.filterwarnings("ignore:.*httpx.*"))
