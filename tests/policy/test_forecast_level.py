"""The replay's demand source corrects a forecaster whose level is off, per category, from what it has seen."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from features.timeseries import ID, TIME
from policy.forecasts import ForecastDemand, WorldKeys
from simulation import SimulationConfig
from simulation.world import generate_world

FIRST_DAY = 150


class FlatForecaster:
    """Forecasts 4 units a day for every series whatever it saw (a model whose level is off)."""

    spec = SimpleNamespace(horizon=7)

    def anchor(self, frame: pd.DataFrame) -> FlatForecaster:
        return self

    def predict(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        return future[[ID, TIME]].assign(p10=2.0, p50=4.0, p90=6.0, mean=4.0)


@pytest.fixture()
def world_and_demand():
    world = generate_world(SimulationConfig(seed=1, n_skus=8, n_locations=2, n_suppliers=2, n_days=200))
    keys = WorldKeys(world)
    first = keys.category == keys.category[0]
    units = np.where(first, 3.4, 4.4)[None, :] * np.ones((200, len(first)))  # true daily demand
    return keys, first, units


def quantiles_on(source: ForecastDemand, units: np.ndarray, day: int) -> np.ndarray:
    for today in range(FIRST_DAY, day + 1):  # the policy asks every day
        result = source.quantiles(SimpleNamespace(day=today, demand_history=units[: today + 1]), 7)
    return result


def source(keys: WorldKeys, units: np.ndarray, level_window: int = 28) -> ForecastDemand:
    promotions = pd.DataFrame(columns=["n", "announced_day", "start_day", "end_day", "discount"])
    models = SimpleNamespace(demand=FlatForecaster())
    history = units[FIRST_DAY - 120 : FIRST_DAY]
    return ForecastDemand(models, keys, history, FIRST_DAY, promotions, 120, 2, level_window, 0)


def test_a_biased_forecast_is_brought_to_the_observed_level_of_each_category(world_and_demand) -> None:
    keys, first, units = world_and_demand
    demand = source(keys, units)
    start = quantiles_on(demand, units, FIRST_DAY)
    np.testing.assert_allclose(start[:, 1], 28.0)  # no forecast scored yet: the model as it is
    later = quantiles_on(demand, units, FIRST_DAY + 20)
    np.testing.assert_allclose(later[first, 1], 7 * 3.4)  # 3.4 units a day seen where 4 were forecast
    np.testing.assert_allclose(later[~first, 1], 7 * 4.4)
    assert (later[:, 2] > later[:, 1]).all() and (later[:, 0] < later[:, 1]).all()


def test_without_a_level_window_the_model_level_stands(world_and_demand) -> None:
    keys, _, units = world_and_demand
    later = quantiles_on(source(keys, units, level_window=0), units, FIRST_DAY + 20)
    np.testing.assert_allclose(later[:, 1], 28.0)
