"""The policy hook's contract: allocation order, decision validation, config errors."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import DailyDecisions, Knobs, SimulationConfig, scenario_config, simulate
from simulation.engine import allocate


def test_allocation_serves_priority_first_and_non_split_lines_keep_their_reservation():
    on_hand = np.array([5, 10])
    line_n = np.array([0, 0, 0, 1])
    remaining = np.array([3, 4, 1, 4])
    allow_split = np.array([True, False, True, True])
    ship, reserved = allocate(on_hand, line_n, remaining, allow_split, None)
    # FIFO on SKU-location 0: line 0 ships 3; line 1 (no split) cannot get 4 of the remaining 2,
    # so it reserves them and line 2 behind it gets nothing.
    assert ship.tolist() == [3, 0, 0, 4] and reserved.tolist() == [0, 2, 0, 0]
    ship, _ = allocate(on_hand, line_n, remaining, allow_split, np.array([2.0, 1.0, 0.0, 0.0]))
    assert ship.tolist() == [0, 4, 1, 4]


class _Fixed:
    def __init__(self, **decisions):
        self.decisions = decisions

    def decide(self, view):
        quantity = self.decisions.get("order_quantity", np.zeros(len(view.on_hand), dtype=np.int64))
        return DailyDecisions(**{**self.decisions, "order_quantity": quantity})


@pytest.mark.parametrize(
    "decisions, field",
    [
        ({"order_quantity": np.array([1, 2])}, "order_quantity"),
        ({"order_quantity": np.full(6, -1)}, "order_quantity"),
        ({"expedite_po": np.array([10**6])}, "expedite_po"),
        (
            {
                "transfer_from": np.array([0]),
                "transfer_to": np.array([4]),
                "transfer_quantity": np.array([1]),
            },
            "transfer",
        ),
        ({"allocation_priority": np.array([1.0, 2.0, 3.0] * 1000)}, "allocation_priority"),
    ],
)
def test_bad_decisions_are_rejected_naming_the_field(decisions, field):
    config = SimulationConfig(n_skus=3, n_locations=2, n_suppliers=2, n_days=5, n_customers=10)
    with pytest.raises(ValueError, match=field):
        simulate(config, _Fixed(**decisions))


def test_a_policy_that_never_orders_runs_out_of_stock():
    config = SimulationConfig(
        seed=4, n_skus=10, n_locations=2, n_suppliers=3, n_days=150, n_customers=20
    )
    starved = simulate(config, _Fixed())
    assert starved.metrics["purchase_orders"] == 0
    assert starved.metrics["fill_rate"] < simulate(config).metrics["fill_rate"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_skus": 0}, "n_skus"),
        ({"n_locations": 1}, "n_locations"),
        ({"service_level": 1.2}, "service_level"),
        ({"tier_shares": (0.5, 0.5, 0.5)}, "tier_shares"),
    ],
)
def test_bad_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        SimulationConfig(**kwargs)


def test_bad_knob_and_unknown_scenario_are_clear_errors():
    with pytest.raises(ValueError, match="disruption_frequency"):
        Knobs(disruption_frequency=-1)
    with pytest.raises(ValueError, match="unknown scenario 'chaos'"):
        scenario_config("chaos")
    assert scenario_config("long_lead_times", lead_time_scale=3.0).knobs.lead_time_scale == 3.0
    assert scenario_config("supplier_disruption").knobs.disruption_frequency > 1
