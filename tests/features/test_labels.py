"""Labels look strictly after the snapshot, and windows past the data end are never negatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_tables, sku_location_table
from features.demand import order_demand
from features.labels import order_line_labels

DAY0 = pd.Timestamp("2024-05-01")


def day(n: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def _table(frame_of, backordered: list[int], short_line_day: int | None = None, horizon: int = 3):
    snaps = [
        {
            "snapshot_date": day(d),
            "sku_id": "SKU-1",
            "location_id": "DC-1",
            "on_hand": 0,
            "allocated": 0,
            "in_transit": 0,
            "backordered": b,
        }
        for d, b in enumerate(backordered)
    ]
    lines, orders = [], []
    if short_line_day is not None:
        orders = [
            {
                "order_id": "O",
                "customer_id": "C",
                "customer_tier": "gold",
                "order_time": day(short_line_day) + pd.Timedelta(hours=3),
                "allow_split": True,
            }
        ]
        lines = [
            {
                "order_id": "O",
                "line_id": "1",
                "sku_id": "SKU-1",
                "location_id": "DC-1",
                "quantity": 2,
                "requested_date": day(short_line_day + 2),
                "backordered_quantity": 2,
            }
        ]
    return sku_location_table(
        frame_of("inventory_snapshots", snaps),
        order_demand(frame_of("order_lines", lines), frame_of("orders", orders)),
        frame_of("promotions", []),
        frame_of("purchase_orders", []),
        frame_of("asn_events", []),
        frame_of("sku_suppliers", []),
        horizon=horizon,
    )


def test_backorder_in_the_next_h_days_and_not_on_the_snapshot_day(frame_of):
    table = _table(frame_of, [0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0], horizon=3)
    labels = table.set_index("snapshot_date")["label"]
    assert labels.loc[day(1)] == 0  # window days 2..4
    assert labels.loc[day(2)] == 1  # window days 3..5 contains the backorder
    assert labels.loc[day(4)] == 1
    assert labels.loc[day(5)] == 0  # the snapshot's own day is not in its window
    assert not table["label_complete"].iloc[-3:].any()
    assert (table["label"].iloc[-3:] == -1).all()


def test_a_backordered_order_line_makes_the_window_positive(frame_of):
    table = _table(frame_of, [0] * 12, short_line_day=6, horizon=2)
    assert np.flatnonzero(table["label"].to_numpy() == 1).tolist() == [4, 5]


def test_build_drops_incomplete_windows(world):
    built = build_feature_tables(world, horizon=14)
    last = world["inventory_snapshots"]["snapshot_date"].max()
    assert built.sku_location_labels["snapshot_date"].max() == last - pd.Timedelta(days=14)
    assert set(built.sku_location_labels["label"].unique()) == {0, 1}
    assert "label" not in built.sku_location_features.columns


def test_order_line_label_backordered_late_or_unknown(frame_of):
    lines = pd.DataFrame(
        {
            "requested_date": [day(5)] * 6,
            "shipped_date": [day(4), day(7), pd.NaT, day(5), day(3), pd.NaT],
            "backordered_quantity": pd.array([0, 0, 0, 0, 3, pd.NA], dtype="Int64"),
        }
    )
    labels = order_line_labels(lines, data_end=pd.Timestamp(day(5)))
    # on time; shipped late; not shipped by the requested date; shipped on the requested date
    assert labels["label"].tolist()[:4] == [0, 1, 1, 0]
    unknown = order_line_labels(lines, data_end=pd.Timestamp(day(4)))
    assert unknown["label"].tolist()[2] == -1 and not unknown["label_complete"].iloc[2]
    assert labels["label"].iloc[4] == 1  # backordered, even though it shipped early
    assert labels["label"].iloc[5] == 1  # backorder status unknown, but past due and unshipped
    assert not unknown["label_complete"].iloc[5]  # unknown backorder status and not yet due


@pytest.mark.parametrize("horizon", [0, -2])
def test_non_positive_horizon_is_rejected(frame_of, horizon):
    with pytest.raises(ValueError, match="horizon"):
        _table(frame_of, [0] * 5, horizon=horizon)
