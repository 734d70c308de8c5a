"""The decision-engine policy in the simulator's closed loop, on small worlds."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from policy import DecisionPolicy, frames
from simulation import DailyDecisions, SimulationConfig, StateView, scenario_config, simulate
from simulation.policy import checked

# The service level the history-fallback policy (no trained sources) is checked at; the
# benchmark's model-fed policy runs at ``POLICY.service_level``.
FALLBACK_SERVICE_LEVEL = 0.85


class Recorder:
    """Wraps a policy: checks every day's decisions as the simulator does and keeps them.

    The view is deep-copied: the simulator's arrays move on after the decision.
    """

    def __init__(self, policy: DecisionPolicy) -> None:
        self.policy = policy
        self.days: list[tuple[StateView, DailyDecisions]] = []

    def decide(self, view: StateView) -> DailyDecisions:
        decisions = checked(self.policy.decide(view), view)
        self.days.append((copy.deepcopy(view), decisions))
        return decisions


@pytest.fixture(scope="module")
def small() -> SimulationConfig:
    return SimulationConfig(seed=3, n_skus=6, n_locations=3, n_suppliers=3, n_days=60)


@pytest.fixture(scope="module")
def recorded(small: SimulationConfig) -> Recorder:
    recorder = Recorder(DecisionPolicy(small.n_suppliers, FALLBACK_SERVICE_LEVEL))
    simulate(small, recorder)
    return recorder


def test_every_decision_is_accepted_and_all_levers_are_used(recorded: Recorder) -> None:
    assert len(recorded.days) == 60
    decided = [d for _, d in recorded.days]
    assert sum(int(d.order_quantity.sum()) for d in decided) > 0
    assert sum(len(d.transfer_from) for d in decided) > 0
    assert all(d.allocation_priority is not None for v, d in recorded.days if len(v.line_id))


def test_same_world_same_decisions(small: SimulationConfig, recorded: Recorder) -> None:
    again = Recorder(DecisionPolicy(small.n_suppliers, FALLBACK_SERVICE_LEVEL))
    simulate(small, again)
    for (_, first), (_, second) in zip(recorded.days, again.days, strict=True):
        np.testing.assert_array_equal(first.order_quantity, second.order_quantity)
        np.testing.assert_array_equal(first.order_slot, second.order_slot)
        np.testing.assert_array_equal(first.transfer_quantity, second.transfer_quantity)
        np.testing.assert_array_equal(first.expedite_po, second.expedite_po)


def test_never_ships_below_the_sources_protected_stock(recorded: Recorder) -> None:
    """A source keeps its own P90 demand to the need date (plus backlog owed) on hand."""
    policy = recorded.policy
    moves = 0
    for view, decisions in recorded.days:
        if not len(decisions.transfer_from):
            continue
        demand = frames.demand_quantiles(view, policy.horizon, policy.window)
        owed = np.maximum(view.backlog - view.on_hand, 0)
        keep = demand[:, 2] + owed
        free = view.on_hand - np.minimum(view.backlog, view.on_hand)
        sent = np.bincount(
            decisions.transfer_from, weights=decisions.transfer_quantity, minlength=len(free)
        )
        stock = free + view.inbound_transfers
        assert (sent <= free).all()
        assert (stock - sent >= keep - 1e-6)[sent > 0].all()
        moves += int((sent > 0).sum())
    assert moves > 0


@pytest.mark.slow
def test_fewer_backorders_than_the_erp_baseline_under_supplier_disruption() -> None:
    config = scenario_config(
        "supplier_disruption", seed=11, n_skus=12, n_locations=3, n_suppliers=4, n_days=240
    )
    baseline = simulate(config).metrics
    model = simulate(config, DecisionPolicy(config.n_suppliers, FALLBACK_SERVICE_LEVEL)).metrics
    assert model["backordered_units"] < baseline["backordered_units"]
