"""Each what-if knob moves outcomes against the default world in the direction a planner expects."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from simulation import Knobs, SimulationConfig, simulate

pytestmark = pytest.mark.slow
SEEDS = (1, 2)


@pytest.fixture(scope="module")
def runs() -> Callable[..., list]:
    """Both seeds' runs of the world with these knobs, simulated once however many tests read it."""
    worlds: dict[tuple, list] = {}

    def run(**knobs: float) -> list:
        key = tuple(sorted(knobs.items()))
        if key not in worlds:
            worlds[key] = [
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
        return worlds[key]

    return run


def _total(runs: list, metric: str) -> float:
    return sum(run.metrics[metric] for run in runs)


def _late_po_share(runs: list) -> float:
    po = pd.concat([run.tables["purchase_orders"] for run in runs])
    po = po[po["received_date"].notna()]
    return float((po["received_date"] > po["promised_date"]).mean())


def test_longer_lead_times_mean_more_backorders(runs):
    assert _total(runs(lead_time_scale=2.0), "backordered_units") > _total(
        runs(), "backordered_units"
    )


def test_more_volatile_demand_means_a_lower_fill_rate(runs):
    default, volatile = runs(), runs(demand_volatility=2.5)
    assert _total(volatile, "fill_rate") < _total(default, "fill_rate")


def test_more_safety_stock_means_fewer_backorders_and_more_inventory(runs):
    default, padded = runs(), runs(safety_stock_factor=2.0)
    assert _total(padded, "backordered_units") < _total(default, "backordered_units")
    assert _total(padded, "avg_inventory_value") > _total(default, "avg_inventory_value")


def test_more_disruptions_mean_more_late_purchase_orders(runs):
    assert _late_po_share(runs(disruption_frequency=4.0)) > _late_po_share(runs())


def test_promotions_mean_more_demand(runs):
    quiet, default = runs(promotion_intensity=0.0), runs()
    assert _total(default, "ordered_units") > _total(quiet, "ordered_units")
    assert sum(len(r.tables["promotions"]) for r in quiet) == 0
