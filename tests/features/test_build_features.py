"""Building in SKU groups gives exactly the one-pass tables; inputs are checked by name."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_feature_tables


def test_sku_groups_and_order_day_pieces_give_the_same_tables_as_one_pass(world):
    whole = build_feature_tables(world, skus_per_group=1_000, lines_per_piece=10**9)
    grouped = build_feature_tables(world, skus_per_group=1, lines_per_piece=1)  # one SKU, one day per piece
    for name, frame in whole.as_dict().items():
        pd.testing.assert_frame_equal(getattr(grouped, name), frame, obj=name)
    assert whole.sku_location_features["sku_id"].nunique() == 3
    assert whole.order_line_labels["event_timestamp"].dt.floor("D").nunique() > 1


def test_a_missing_column_is_named(world):
    world["purchase_orders"] = world["purchase_orders"].drop(columns=["promised_date"])
    with pytest.raises(ValueError, match="purchase_orders.*promised_date"):
        build_feature_tables(world)


def test_a_missing_table_is_named(world):
    del world["asn_events"]
    with pytest.raises(ValueError, match="asn_events"):
        build_feature_tables(world)
