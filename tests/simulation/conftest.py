"""Small worlds and a second policy for the simulator tests."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import BaselinePolicy, DailyDecisions, SimulationConfig, StateView, simulate


class EagerPolicy:
    """A deliberately different policy: orders every day, transfers, expedites, serves gold first.

    It exercises every decision the hook offers, so common random numbers and conservation are
    tested against a policy whose POs, stock and shipments differ from the baseline's.
    """

    def decide(self, view: StateView) -> DailyDecisions:
        baseline = BaselinePolicy().decide(view).order_quantity
        daily = np.ceil(view.demand_history.mean(axis=0) * 1.5).astype(np.int64)
        quantity = np.maximum(2 * baseline, np.maximum(daily, 1))
        n_loc = view.terms.lane_transit_days.shape[0]
        source = np.flatnonzero((view.terms.location == 0) & (view.on_hand > 5))
        if view.day % 10:
            source = source[:0]
        option = view.terms.expedite_days_saved[view.po_n, view.po_slot] > 0
        late = option & ~view.po_expedited & (view.po_promised_day <= view.day + 3)
        return DailyDecisions(
            order_quantity=quantity,
            transfer_from=source,
            transfer_to=source + 1 if n_loc > 1 else source,
            transfer_quantity=np.minimum(view.on_hand[source] // 3, 5),
            expedite_po=view.po_id[late][:3],
            allocation_priority=view.line_tier.astype(float) * 1000 + view.line_order_day,
        )


@pytest.fixture(scope="session")
def small_config() -> SimulationConfig:
    return SimulationConfig(
        seed=11, n_skus=20, n_locations=2, n_suppliers=5, n_days=120, n_customers=60
    )


@pytest.fixture(scope="session")
def baseline_run(small_config):
    return simulate(small_config)


@pytest.fixture(scope="session")
def eager_run(small_config):
    return simulate(small_config, EagerPolicy())


@pytest.fixture(scope="session")
def eager_policy() -> EagerPolicy:
    return EagerPolicy()
