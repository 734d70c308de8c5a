"""A simulated world sent as events and compacted gives back its canonical tables.

Compared on the columns events carry: every column of ``purchase_orders`` but ``is_expedited``,
every column of ``asn_events``, every column of ``order_lines`` but ``backordered_quantity``, and
``on_hand`` of ``inventory_snapshots`` (its other columns depend on reservations and transfers
the tables do not itemize).
"""

from __future__ import annotations

import pandas as pd
import pytest

from contracts.tables import CANONICAL_TABLES
from live.compaction import compact
from live.world_events import world_events
from simulation import SimulationConfig, simulate

COMPARED = {
    "purchase_orders": ["po_id", "supplier_id", "sku_id", "location_id", "quantity", "order_date",
                        "promised_date", "received_date", "received_quantity"],
    "asn_events": ["asn_id", "po_id", "event_time", "eta", "quantity"],
    "order_lines": ["order_id", "line_id", "sku_id", "location_id", "quantity", "requested_date",
                    "shipped_quantity", "shipped_date"],
    "inventory_snapshots": ["snapshot_date", "sku_id", "location_id", "on_hand"],
}


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    config = SimulationConfig(seed=3, n_skus=6, n_locations=2, n_suppliers=3, n_days=60, n_customers=30)
    return simulate(config).tables


def _same(name: str, compacted: pd.DataFrame, original: pd.DataFrame) -> None:
    columns, key = COMPARED[name], list(CANONICAL_TABLES[name].key)
    left = compacted[columns].sort_values(key, ignore_index=True)
    right = original[columns].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(left, right.astype(left.dtypes.to_dict()))


def test_a_world_replayed_as_events_compacts_to_the_same_tables(world, store):
    events = world_events(world)
    for start in range(0, len(events), 250):
        result = store.apply(events[start:start + 250])
        assert result.rejected == []
    tables = compact(store.applied_events())
    for name in COMPARED:
        _same(name, tables[name], world[name])


def test_the_live_state_ends_where_the_world_ends(world, store):
    store.apply(world_events(world))
    snapshots = world["inventory_snapshots"]
    last = snapshots[snapshots["snapshot_date"] == snapshots["snapshot_date"].max()]
    skus = sorted(last["sku_id"].unique())
    live = store.positions(skus).merge(last, on=["sku_id", "location_id"], suffixes=("", "_world"))
    assert len(live) == len(last)
    assert (live["on_hand"] == live["on_hand_world"]).all()
    po = world["purchase_orders"]
    assert sorted(store.open_purchase_orders(skus)["po_id"]) == sorted(po.loc[po["received_date"].isna(), "po_id"])
