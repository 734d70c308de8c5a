"""Appending or changing rows after time t never changes a feature or training row as of t,
including the features computed from the as-of demand forecasts and PO ETAs."""

from __future__ import annotations

import pandas as pd
import pytest

from contracts.keys import SKU_LOCATION
from features.build import asof_feature_names, build_feature_tables
from features.feature_store import apply_definitions, historical_features
from training.world_asof import asof_demand_forecasts, asof_po_etas

HORIZON = 14


def _after(world: dict[str, pd.DataFrame], t: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """A copy of ``world`` whose rows dated after day t are changed, and with new rows appended."""
    w = {name: frame.copy() for name, frame in world.items()}
    next_day = t + pd.Timedelta(days=1)
    snaps = w["inventory_snapshots"]
    later = snaps["snapshot_date"] > t
    snaps.loc[later, "on_hand"] += 50
    snaps.loc[later, "backordered"] = 0
    extra = snaps[
        snaps["snapshot_date"] > snaps["snapshot_date"].max() - pd.Timedelta(days=5)
    ].copy()
    extra["snapshot_date"] += pd.Timedelta(days=5)
    w["inventory_snapshots"] = pd.concat([snaps, extra], ignore_index=True)

    orders, lines = w["orders"], w["order_lines"]
    late_orders = orders.loc[orders["order_time"] >= next_day, "order_id"]
    lines.loc[lines["order_id"].isin(late_orders), "quantity"] *= 3
    new_orders = orders.iloc[:20].assign(
        order_id=lambda f: "NEW-" + f["order_id"], order_time=next_day + pd.Timedelta(hours=9)
    )
    new_lines = lines[lines["order_id"].isin(orders["order_id"].iloc[:20])].assign(
        order_id=lambda f: "NEW-" + f["order_id"], backordered_quantity=5
    )
    w["orders"] = pd.concat([orders, new_orders], ignore_index=True)
    w["order_lines"] = pd.concat([lines, new_lines], ignore_index=True)

    pos = w["purchase_orders"]
    pos.loc[pos["order_date"] > t, "quantity"] += 100
    arrived_later = pos["received_date"] > t
    pos.loc[arrived_later, "received_date"] += pd.Timedelta(days=2)
    pos.loc[arrived_later, "received_quantity"] = 1
    asn = w["asn_events"]
    asn.loc[asn["event_time"] >= next_day, "eta"] -= pd.Timedelta(days=1)
    w["promotions"] = pd.concat(
        [
            w["promotions"],
            w["promotions"]
            .iloc[:1]
            .assign(
                promotion_id="P-NEW",
                announced_date=next_day,
                start_date=next_day + pd.Timedelta(days=1),
                end_date=next_day + pd.Timedelta(days=3),
            ),
        ],
        ignore_index=True,
    )
    return w


def _as_of(frame: pd.DataFrame, column: str, t: pd.Timestamp) -> pd.DataFrame:
    return frame[frame[column] <= t].reset_index(drop=True)


@pytest.mark.parametrize("cut", [20, 35, 50])
def test_features_and_labels_as_of_t_ignore_later_rows(world, cut):
    t = world["inventory_snapshots"]["snapshot_date"].min() + pd.Timedelta(days=cut)
    base = build_feature_tables(world, horizon=HORIZON)
    changed = build_feature_tables(_after(world, t), horizon=HORIZON)
    for name, column in (
        ("sku_location_features", "snapshot_date"),
        ("supplier_features", "date"),
        ("lane_features", "date"),
    ):
        old, new = getattr(base, name), getattr(changed, name)
        pd.testing.assert_frame_equal(_as_of(old, column, t), _as_of(new, column, t), obj=name)
        # The changes do show up after t (so the comparison above can fail).
        assert (
            not old[old[column] > t]
            .reset_index(drop=True)
            .equals(
                new[(new[column] > t) & (new[column] <= old[column].max())].reset_index(drop=True)
            )
        )
    settled = t - pd.Timedelta(days=HORIZON)  # label windows (s, s+H] that end by t
    pd.testing.assert_frame_equal(
        _as_of(base.sku_location_labels, "snapshot_date", settled),
        _as_of(changed.sku_location_labels, "snapshot_date", settled),
    )


def test_model_output_features_as_of_t_ignore_later_rows(world, small_asof_job):
    """End to end: each world gets its own as-of outputs, and still nothing as of t moves."""
    t = world["inventory_snapshots"]["snapshot_date"].min() + pd.Timedelta(days=40)

    def features(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        built = build_feature_tables(
            tables,
            horizon=HORIZON,
            forecasts=asof_demand_forecasts(tables, small_asof_job).rows,
            po_etas=asof_po_etas(tables, small_asof_job).rows,
        )
        return built.sku_location_features[[*SKU_LOCATION, "snapshot_date", *asof_feature_names()]]

    base, changed = features(world), features(_after(world, t))
    known = _as_of(base, "snapshot_date", t)
    assert known[asof_feature_names()].notna().sum().min() > 20
    pd.testing.assert_frame_equal(known, _as_of(changed, "snapshot_date", t))
    after = changed[(changed["snapshot_date"] > t) & (changed["snapshot_date"] <= base["snapshot_date"].max())]
    assert not base[base["snapshot_date"] > t].reset_index(drop=True).equals(after.reset_index(drop=True))


@pytest.mark.slow
def test_point_in_time_training_rows_ignore_later_rows(world, tmp_path, feature_writer):
    t = world["inventory_snapshots"]["snapshot_date"].min() + pd.Timedelta(days=40)
    rows = []
    for name, tables in (("base", world), ("changed", _after(world, t))):
        settings, built = feature_writer(tmp_path / name, tables)
        store = apply_definitions(settings)
        lines = built.order_line_labels
        entities = lines[lines["request_time"] < t + pd.Timedelta(days=1)]
        entities = entities[
            ["order_id", "line_id", "sku_id", "location_id", "supplier_id", "event_timestamp"]
        ].sort_values(["order_id", "line_id"])
        rows.append(
            historical_features(store, entities.reset_index(drop=True), "backorder_risk_v1")
        )
    pd.testing.assert_frame_equal(rows[0], rows[1])
    assert rows[0]["on_hand"].notna().sum() > 100
