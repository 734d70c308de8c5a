"""The stock-out replay sees, on each day, only what was known by the end of that day."""

from __future__ import annotations

import pandas as pd
import pytest

from alerts.quality import DAILY_COLUMNS
from pipelines.alert_replay import asof_demand, daily_backorders, replay_stockout_alerts
from settings.sections import AlertsSettings
from simulation import SimulationConfig
from simulation.outcomes import canonical_tables
from simulation.policy import BaselinePolicy
from simulation.run import checkpoint

CUTOFF = 150
CFG = AlertsSettings()


@pytest.fixture(scope="module")
def world():
    point = checkpoint(SimulationConfig(seed=3, n_skus=25, n_days=200), CUTOFF)
    full = point.resume(BaselinePolicy.from_config(point.config)).log
    return point, canonical_tables(point.world, point.demand, full)


def test_alerts_of_a_day_do_not_change_when_later_data_is_removed(world):
    # history_tables drops every snapshot, ASN and PO dated on or after the cut-off
    point, full = world
    days = pd.DatetimeIndex(point.world.date([CUTOFF - 3, CUTOFF - 1]))
    with_future = replay_stockout_alerts(full, days, CFG)
    known_then = replay_stockout_alerts(point.history_tables(), days, CFG)
    assert len(with_future) > 0
    pd.testing.assert_frame_equal(with_future.reset_index(drop=True), known_then.reset_index(drop=True))


@pytest.mark.slow
def test_alerts_with_as_of_forecasts_do_not_change_when_later_data_is_removed(world):
    point, full = world
    days = pd.DatetimeIndex(point.world.date([CUTOFF - 3, CUTOFF - 1]))
    with_future = replay_stockout_alerts(full, days, CFG, asof_demand(full))
    history = point.history_tables()
    known_then = replay_stockout_alerts(history, days, CFG, asof_demand(history))
    assert len(with_future) > 0
    pd.testing.assert_frame_equal(with_future.reset_index(drop=True), known_then.reset_index(drop=True))


def test_a_burst_forecast_made_by_the_day_raises_an_alert_the_recent_mean_misses(world):
    point, full = world
    day = pd.Timestamp(point.world.date([CUTOFF - 1])[0])
    quiet = replay_stockout_alerts(full, pd.DatetimeIndex([day]), CFG)
    keys = full["inventory_snapshots"][["sku_id", "location_id"]].drop_duplicates()
    alerted = set(zip(quiet["sku_id"], quiet["location_id"], strict=True))
    sku, location = next(k for k in keys.itertuples(index=False, name=None) if k not in alerted)
    week = pd.date_range(day + pd.Timedelta(days=1), periods=7)
    burst = pd.DataFrame({"sku_id": sku, "location_id": location, "ds": week, "origin": day,
                          "p50": [1e6, 0, 0, 0, 0, 0, 0], "p90": [1e6, 0, 0, 0, 0, 0, 0]})
    warned = replay_stockout_alerts(full, pd.DatetimeIndex([day]), CFG, burst)
    assert (sku, location) in set(zip(warned["sku_id"], warned["location_id"], strict=True))
    made_later = burst.assign(origin=day + pd.Timedelta(days=1))
    later = replay_stockout_alerts(full, pd.DatetimeIndex([day]), CFG, made_later)
    pd.testing.assert_frame_equal(later, quiet)  # a forecast made after the day is not known on it


def test_daily_backorders_has_one_row_per_sku_location_and_day(world):
    point, full = world
    daily = daily_backorders(full)
    assert set(DAILY_COLUMNS) <= set(daily.columns)
    assert len(daily) == point.world.n_sku_locations * point.config.n_days
    assert daily["backordered_units"].sum() == full["order_lines"]["backordered_quantity"].sum()
