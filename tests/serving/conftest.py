"""Real, small serving components: a LightGBM risk model fitted on generated lines, an in-memory
feature reader, stock and open POs (``client``, the service in-process on top of them, is in
tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from generated_world import generated_online_table, generated_risk_model, generated_stock
from serving_helpers import KEYS, TODAY

from live.sqlite_state import SqliteLiveState
from serving.eta import FrameEtaLookup
from serving.live_supply import LiveStockReader, LiveSupply, PoDelays, seed_if_empty
from serving.registry import LoadedModel
from serving.runtime import RISK, Components, Runtime, build_runtime
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply
from settings import Settings, load_settings
from tests.live.conftest import redis_prefix  # noqa: F401 (the live tests' fixture, for the stream tests here)


def pytest_collection_modifyitems(items):
    for item in items:
        if "serving" in Path(str(item.path)).parts:
            item.add_marker(pytest.mark.filterwarnings("ignore:.*httpx.*"))


@pytest.fixture(scope="session")
def stock() -> pd.DataFrame:
    return generated_stock()


@pytest.fixture(scope="session")
def online_table(stock: pd.DataFrame) -> pd.DataFrame:
    return generated_online_table(stock)


@pytest.fixture(scope="session")
def inbound() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "po_id": ["PO1", "PO2"],
            "sku_id": ["SKU000", "SKU001"],
            "location_id": ["DC1", "DC1"],
            "quantity": [500.0, 500.0],
            "promised_date": pd.to_datetime(["2026-03-20", "2026-03-05"]),
            "delay_p10": [0.0, 0.0],
            "delay_p50": [2.0, 1.0],
            "delay_p90": [6.0, 3.0],
        }
    )


@pytest.fixture(scope="session")
def risk_model(online_table: pd.DataFrame) -> lgb.LGBMClassifier:
    return generated_risk_model(online_table)


@pytest.fixture
def service_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return load_settings(data_dir=tmp_path / "data", api_keys=KEYS)


class EmpiricalQuantileForecaster:
    """Seasonal-naive baseline: each day's p10/p50/p90 are the quantiles of the last 28 days."""

    def __init__(self, history: pd.DataFrame, window: int = 28) -> None:
        recent = history.sort_values("ds").groupby(["sku_id", "location_id"]).tail(window)
        grouped = recent.groupby(["sku_id", "location_id"])["y"]
        self.quantiles_ = grouped.quantile([0.1, 0.5, 0.9]).unstack()
        self.last_ds_ = history.groupby(["sku_id", "location_id"])["ds"].max()

    def __call__(self, sku_id: str, location_id: str, horizon: int) -> pd.DataFrame:
        if (sku_id, location_id) not in self.quantiles_.index:
            return pd.DataFrame()
        q = self.quantiles_.loc[(sku_id, location_id)]
        start = self.last_ds_.loc[(sku_id, location_id)] + pd.Timedelta(days=1)
        return pd.DataFrame(
            {
                "ds": pd.date_range(start, periods=horizon).date,
                "p10": q[0.1],
                "p50": q[0.5],
                "p90": q[0.9],
            }
        )


@pytest.fixture(scope="session")
def demand_history(stock: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(10)
    days = pd.date_range(TODAY - pd.Timedelta(days=90), TODAY - pd.Timedelta(days=1))
    keys = stock[["sku_id", "location_id"]]
    frame = keys.merge(pd.DataFrame({"ds": days}), how="cross")
    frame["y"] = rng.poisson(rng.gamma(2.0, 3.0, len(keys)).repeat(len(days))).astype(float)
    return frame


@pytest.fixture
def components(risk_model, online_table, stock, inbound, demand_history) -> Components:
    return Components(
        models={RISK: LoadedModel(RISK, "3", "registry", risk_model)},
        reader=FrameFeatureReader(online_table),
        supply=FrameSupply(stock, inbound),
        forecaster=EmpiricalQuantileForecaster(demand_history),
        eta=FrameEtaLookup(inbound, lambda: TODAY),
    )


@pytest.fixture
def runtime(service_settings: Settings, components: Components) -> Runtime:
    return build_runtime(service_settings, components, today=lambda: TODAY)


@pytest.fixture
def live(tmp_path):
    store = SqliteLiveState(tmp_path / "live.db")
    yield store
    store.close()


@pytest.fixture
def live_runtime(live, online_table, risk_model, service_settings, demand_history):
    """A service whose supply and stock features come from ``live``, seeded with the conftest stock
    (all SKU-locations) and one open PO."""
    stock = online_table[["sku_id", "location_id"]].assign(on_hand=0.0, allocated=0.0)
    inbound = pd.DataFrame(
        {
            "po_id": ["PO1"], "supplier_id": ["SUP1"], "sku_id": ["SKU001"], "location_id": ["DC1"],
            "quantity": [40.0], "promised_date": pd.to_datetime(["2026-03-20"]),
            "delay_p10": [0.0], "delay_p50": [1.0], "delay_p90": [3.0], "asn_eta": [pd.NaT],
        }
    )
    assert seed_if_empty(live, stock, inbound, TODAY) > 0
    delays = PoDelays(None, lambda: TODAY)
    delays.remember(inbound)
    components = Components(
        models={RISK: LoadedModel(RISK, "7", "registry", risk_model)},
        reader=LiveStockReader(FrameFeatureReader(online_table), live),
        supply=LiveSupply(live, delays),
        forecaster=EmpiricalQuantileForecaster(demand_history),
        eta=FrameEtaLookup(inbound, lambda: TODAY),
        live=live,
    )
    return build_runtime(service_settings, components, today=lambda: TODAY)


@pytest.fixture
def live_client(client, live_runtime):
    """The in-process service, serving ``live_runtime``."""
    from serving.service import app

    app.state.runtime = live_runtime
    return client
