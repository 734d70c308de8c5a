"""The replay's demand source never reads a freshly launched SKU as selling nothing."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from features.timeseries import ID, TIME
from policy.forecasts import ForecastDemand, WorldKeys
from simulation import SimulationConfig
from simulation.world import generate_world

FIRST_DAY = 150
LAUNCH = FIRST_DAY + 5


class BlindForecaster:
    """Forecasts zero for every series, as the trailing-mean model does at the start of a launch."""

    spec = SimpleNamespace(horizon=7)

    def anchor(self, frame: pd.DataFrame) -> BlindForecaster:
        return self

    def predict(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        return future[[ID, TIME]].assign(p10=0.0, p50=0.0, p90=0.0, mean=0.0)


def week_ahead(launch_window: int, day: int) -> np.ndarray:
    """Demand quantiles over the next 7 days on ``day``; SKU-location 0 launched on ``LAUNCH``."""
    keys = WorldKeys(generate_world(SimulationConfig(seed=1, n_skus=4, n_locations=2, n_suppliers=2, n_days=250)))
    keys.launch_day = np.where(np.arange(len(keys.sku)) == 0, LAUNCH, -500)
    units = np.full((250, len(keys.sku)), 5.0)
    units[:LAUNCH, 0] = 0.0
    promotions = pd.DataFrame(columns=["n", "announced_day", "start_day", "end_day", "discount"])
    models = SimpleNamespace(demand=BlindForecaster())
    history = units[FIRST_DAY - 120 : FIRST_DAY]
    source = ForecastDemand(models, keys, history, FIRST_DAY, promotions, 120, 2, 28, launch_window)
    for today in range(FIRST_DAY, day + 1):
        result = source.quantiles(SimpleNamespace(day=today, demand_history=units[: today + 1]), 7)
    return result


def test_a_launch_is_forecast_at_last_weeks_rate_until_its_window_ends() -> None:
    during = week_ahead(launch_window=56, day=LAUNCH + 10)
    np.testing.assert_allclose(during[0, 1], 7 * 5.0)  # selling 5 a day for 10 days
    np.testing.assert_allclose(during[1:, 1], 0.0)  # established series: the model as it is
    after = week_ahead(launch_window=56, day=LAUNCH + 60)
    np.testing.assert_allclose(after[0, 1], 0.0)


def test_without_a_launch_window_the_model_stands() -> None:
    np.testing.assert_allclose(week_ahead(launch_window=0, day=LAUNCH + 10)[:, 1], 0.0)
