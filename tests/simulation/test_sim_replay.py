"""Replay from a cut-off: one history, continued under different policies, faces one world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import BaselinePolicy, SimulationConfig, simulate
from simulation.run import checkpoint

CUTOFF = 60


@pytest.fixture(scope="module")
def config() -> SimulationConfig:
    return SimulationConfig(seed=5, n_skus=20, n_locations=2, n_suppliers=5, n_days=120, n_customers=60)


@pytest.fixture(scope="module")
def start(config):
    return checkpoint(config, CUTOFF)


@pytest.fixture(scope="module")
def replays(start, config, eager_policy):
    return start.resume(BaselinePolicy.from_config(config)), start.resume(eager_policy)


def test_history_then_resume_equals_one_uninterrupted_run(start, replays, config) -> None:
    full = simulate(config)
    log = replays[0].log
    assert int(log.line_backordered.sum()) == full.metrics["backordered_units"]
    np.testing.assert_array_equal(log.on_hand.ravel(), full.tables["inventory_snapshots"]["on_hand"].to_numpy())
    np.testing.assert_array_equal(log.line_shipped_day >= 0, full.tables["order_lines"]["shipped_date"].notna())


def test_both_policies_share_the_history_and_the_starting_state(start, replays, eager_policy) -> None:
    base, eager = (r.log for r in replays)
    assert start.state.day == CUTOFF  # resuming works on a copy
    for name in ("on_hand", "allocated", "in_transit", "backordered"):
        np.testing.assert_array_equal(getattr(base, name)[:CUTOFF], getattr(eager, name)[:CUTOFF])
        assert not np.array_equal(getattr(base, name)[CUTOFF:], getattr(eager, name)[CUTOFF:]) or name == "allocated"
    again = start.resume(eager_policy)
    np.testing.assert_array_equal(again.log.on_hand, eager.on_hand)


def test_replayed_days_see_the_same_demand_and_supplier_delays(start, replays) -> None:
    base, eager = replays
    for key in ("order_lines", "ordered_units", "days", "first_day"):
        assert base.metrics[key] == eager.metrics[key]
    # Demand is pre-drawn: the units ordered per day are the world's, whatever the policy.
    lines = start.demand.line_day >= CUTOFF
    assert base.metrics["ordered_units"] == int(start.demand.line_quantity[lines].sum())

    def replay_po(log):
        po = pd.DataFrame(log.purchase_orders)
        po = po[(po["order_day"] >= CUTOFF) & ~po["expedited"] & (po["quantity"] >= 2)]
        po["delay"] = po["arrival_day"] - po["promised_day"]
        po["short"] = po["received_quantity"] < po["quantity"]  # from 2 units on, short is the draw's
        return po.set_index(["order_day", "n", "slot"])

    a, b = replay_po(base.log), replay_po(eager.log)
    common = a.index.intersection(b.index)
    assert len(common) >= 10  # both policies ordered the same SKU-location on the same day
    np.testing.assert_array_equal(a.loc[common, "delay"], b.loc[common, "delay"])
    np.testing.assert_array_equal(a.loc[common, "short"], b.loc[common, "short"])
    assert base.metrics["backordered_units"] != eager.metrics["backordered_units"]


def test_history_tables_hold_nothing_dated_on_or_after_the_cutoff(start) -> None:
    tables = start.history_tables()
    edge = pd.Timestamp(start.world.date(CUTOFF))
    assert pd.to_datetime(tables["orders"]["order_time"]).max() < edge
    assert pd.to_datetime(tables["inventory_snapshots"]["snapshot_date"]).max() < edge
    po = tables["purchase_orders"]
    assert pd.to_datetime(po["order_date"]).max() < edge
    assert pd.to_datetime(po["received_date"]).max() < edge
    assert po["received_date"].isna().any()  # lines open at the cut-off stay open
    assert pd.to_datetime(tables["asn_events"]["event_time"]).max() < edge
    assert pd.to_datetime(tables["promotions"]["announced_date"]).max() < edge
    assert set(tables["order_lines"]["order_id"]) <= set(tables["orders"]["order_id"])


def test_cutoff_must_lie_inside_the_horizon(config) -> None:
    with pytest.raises(ValueError, match="cutoff"):
        checkpoint(config, config.n_days)
