"""Features and labels on a small world from the simulator (the canonical tables' real producer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_tables

simulation = pytest.importorskip("simulation")


@pytest.fixture(scope="module")
def simulated():
    config = simulation.scenario_config(
        "baseline", n_skus=12, n_locations=2, n_suppliers=3, n_days=120, seed=3
    )
    tables = simulation.simulate(config).tables
    return tables, build_feature_tables(tables)


def test_every_snapshot_gets_a_feature_row_and_both_label_classes_occur(simulated):
    tables, built = simulated
    assert len(built.sku_location_features) == len(tables["inventory_snapshots"])
    assert 0 < built.sku_location_labels["label"].mean() < 0.5
    assert 0 < built.order_line_labels["label"].mean() < 0.5
    assert built.sku_location_features["on_hand"].notna().all()


def test_demand_windows_match_the_simulated_order_lines(simulated):
    tables, built = simulated
    lines = tables["order_lines"].merge(tables["orders"][["order_id", "order_time"]], on="order_id")
    lines["day"] = lines["order_time"].dt.floor("D")
    feats = built.sku_location_features.sample(40, random_state=0)
    for row in feats.itertuples():
        window = lines[
            (lines["sku_id"] == row.sku_id)
            & (lines["location_id"] == row.location_id)
            & (lines["day"] > row.snapshot_date - pd.Timedelta(days=28))
            & (lines["day"] <= row.snapshot_date)
        ]
        expected = window["quantity"].sum() if not np.isnan(row.demand_sum_28) else np.nan
        np.testing.assert_equal(row.demand_sum_28, expected)
