"""The service's read of recent demand: only the last days' orders are read, and nothing the rule
counts is left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.recent_demand import RECENT_DAYS, daily_actuals
from serving.live_alerts import read_recent_actuals


@pytest.fixture
def canonical(tmp_path):
    """90 days of orders at any time of day, with the days either side of a 28-day window covered."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2025-01-01")
    times = start + pd.to_timedelta(rng.uniform(0, 90 * 86_400, 600), unit="s")
    edges = [pd.Timestamp("2025-03-01 23:59:59"), pd.Timestamp("2025-02-02 00:00:00"),
             pd.Timestamp("2025-02-01 23:59:59"), pd.Timestamp("2025-03-02 00:00:00")]
    orders = pd.DataFrame({"order_id": [f"O-{i}" for i in range(604)],
                           "order_time": list(times.floor("s")) + edges})
    lines = pd.DataFrame({
        "order_id": np.repeat(orders["order_id"].to_numpy(), 2),
        "sku_id": rng.choice(["SKU-1", "SKU-2"], 1208),
        "location_id": rng.choice(["DC-1", "DC-2"], 1208),
        "quantity": rng.integers(1, 9, 1208),
    })
    orders.to_parquet(tmp_path / "orders.parquet")
    lines.to_parquet(tmp_path / "order_lines.parquet")
    return tmp_path, orders, lines


@pytest.mark.parametrize("as_of", ["2025-03-01", "2025-03-01 13:30", "2025-01-10", "2025-06-01"])
def test_recent_actuals_equal_the_rule_on_the_whole_tables(canonical, as_of):
    folder, orders, lines = canonical
    as_of = pd.Timestamp(as_of)
    read = read_recent_actuals(folder, as_of)
    pd.testing.assert_frame_equal(read, daily_actuals(lines, orders, as_of))
    if as_of.normalize() == pd.Timestamp("2025-03-01"):
        first, last = as_of.normalize() - pd.Timedelta(days=RECENT_DAYS - 1), as_of.normalize()
        assert (read["ds"].min(), read["ds"].max()) == (first, last)
        assert len(read) > 0


def test_missing_tables_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no canonical orders or order_lines in"):
        read_recent_actuals(tmp_path, pd.Timestamp("2025-03-01"))
