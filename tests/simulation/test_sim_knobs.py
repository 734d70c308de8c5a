"""Each what-if knob moves outcomes in the direction a planner expects (paired on one seed)."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import Knobs, SimulationConfig, simulate

pytestmark = pytest.mark.slow
SEEDS = (1, 2)


def _runs(**knobs: float) -> list:
    return [
        simulate(
            SimulationConfig(
                seed=seed,
                n_skus=60,
                n_locations=2,
                n_suppliers=6,
                n_days=300,
                n_customers=100,
                knobs=Knobs(**knobs),
            )
        )
        for seed in SEEDS
    ]


def _total(runs: list, metric: str) -> float:
    return sum(run.metrics[metric] for run in runs)


def _late_po_share(runs: list) -> float:
    po = pd.concat([run.tables["purchase_orders"] for run in runs])
    po = po[po["received_date"].notna()]
    return float((po["received_date"] > po["promised_date"]).mean())


def test_longer_lead_times_mean_more_backorders():
    assert _total(_runs(lead_time_scale=2.0), "backordered_units") > _total(
        _runs(), "backordered_units"
    )


def test_more_volatile_demand_means_a_lower_fill_rate():
    calm, volatile = _runs(demand_volatility=0.5), _runs(demand_volatility=2.5)
    assert _total(volatile, "fill_rate") < _total(calm, "fill_rate")


def test_more_safety_stock_means_fewer_backorders_and_more_inventory():
    lean, padded = _runs(safety_stock_factor=0.5), _runs(safety_stock_factor=2.0)
    assert _total(padded, "backordered_units") < _total(lean, "backordered_units")
    assert _total(padded, "avg_inventory_value") > _total(lean, "avg_inventory_value")


def test_more_disruptions_mean_more_late_purchase_orders():
    assert _late_po_share(_runs(disruption_frequency=4.0)) > _late_po_share(
        _runs(disruption_frequency=0.0)
    )


def test_more_promotions_mean_more_demand():
    quiet, busy = _runs(promotion_intensity=0.0), _runs(promotion_intensity=3.0)
    assert _total(busy, "ordered_units") > _total(quiet, "ordered_units")
    assert sum(len(r.tables["promotions"]) for r in quiet) == 0
