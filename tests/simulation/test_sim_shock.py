"""The regime-change knob: from the shock day on, deliveries are late and demand is higher."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from simulation import SimulationConfig, simulate

SHOCK = 60


def _world(**shock: object):
    config = SimulationConfig(seed=3, n_skus=20, n_locations=2, n_suppliers=4, n_days=120, n_customers=60)
    return simulate(dataclasses.replace(config, **shock)).tables


def _late_days(tables, after: bool) -> float:
    pos = tables["purchase_orders"].dropna(subset=["received_date"])
    due_after = pos["promised_date"] >= pd.Timestamp("2024-01-01") + pd.Timedelta(days=SHOCK)
    pos = pos[due_after if after else ~due_after]
    return float((pos["received_date"] - pos["promised_date"]).dt.days.mean())


def _lines_per_day(tables, after: bool) -> float:
    day = (tables["orders"]["order_time"] - pd.Timestamp("2024-01-01")).dt.days
    orders = tables["orders"][(day >= SHOCK) if after else (day < SHOCK)]
    lines = tables["order_lines"][tables["order_lines"]["order_id"].isin(orders["order_id"])]
    return len(lines) / (120 - SHOCK if after else SHOCK)


def test_shock_delays_deliveries_due_after_the_day_and_raises_demand():
    calm = _world()
    shocked = _world(shock_start_day=SHOCK, shock_delay_days=14, shock_demand_factor=2.0)
    assert _late_days(shocked, after=True) > _late_days(calm, after=True) + 7
    assert _late_days(shocked, after=False) == pytest.approx(_late_days(calm, after=False), abs=0.5)
    assert _lines_per_day(shocked, after=True) > 1.6 * _lines_per_day(calm, after=True)
    assert _lines_per_day(shocked, after=False) == pytest.approx(_lines_per_day(calm, after=False), rel=0.1)


def test_default_world_has_no_shock_and_bad_values_name_the_field():
    assert SimulationConfig().shock_start_day is None
    with pytest.raises(ValueError, match="shock_start_day"):
        SimulationConfig(n_days=100, shock_start_day=100)
    with pytest.raises(ValueError, match="shock_demand_factor"):
        SimulationConfig(shock_demand_factor=0.0)
