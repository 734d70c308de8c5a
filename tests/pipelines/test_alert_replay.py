"""The stock-out replay sees, on each day, only what was known by the end of that day."""

from __future__ import annotations

import pandas as pd
import pytest

from alerts.quality import DAILY_COLUMNS
from pipelines.alert_replay import daily_backorders, replay_stockout_alerts
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


def test_daily_backorders_has_one_row_per_sku_location_and_day(world):
    point, full = world
    daily = daily_backorders(full)
    assert set(DAILY_COLUMNS) <= set(daily.columns)
    assert len(daily) == point.world.n_sku_locations * point.config.n_days
    assert daily["backordered_units"].sum() == full["order_lines"]["backordered_quantity"].sum()
