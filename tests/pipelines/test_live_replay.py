"""The demo's live replay: a window of the world as requests in time order, and the measures that
compare it with the start-of-day snapshot replay."""

from __future__ import annotations

import pandas as pd
import pytest

from live.canonical import latest_stock, open_purchase_orders
from live.sqlite_state import SqliteLiveState
from live.world_events import world_events
from pipelines.live_replay import compare_replays, line_metrics, replay_stream
from simulation import SimulationConfig, simulate

KEY = ["order_id", "line_id"]


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    config = SimulationConfig(seed=5, n_skus=8, n_locations=2, n_suppliers=3, n_days=60, n_customers=40)
    return simulate(config).tables


def _window(world: dict[str, pd.DataFrame]) -> tuple[pd.Timestamp, int]:
    end = pd.Timestamp(world["inventory_snapshots"]["snapshot_date"].max())
    return end - pd.Timedelta(days=14), 7


def test_the_stream_is_in_time_order_and_scores_each_window_order_before_confirming_it(world):
    start, days = _window(world)
    stream = replay_stream(world, start, days)
    assert [r.day for r in stream] == sorted(r.day for r in stream)
    assert start < stream[0].day and stream[-1].day <= start + pd.Timedelta(days=days)
    scored = [r.body for r in stream if r.path == "/v1/score"]
    placed = pd.to_datetime(world["orders"]["order_time"]).dt.normalize()
    window = world["orders"][(placed > start) & (placed <= start + pd.Timedelta(days=days))]
    assert sorted(o["order_id"] for o in scored) == sorted(window["order_id"])
    assert all(o["reserve"] is True for o in scored)
    confirmed_at = {}
    for index, request in enumerate(stream):
        for event in request.body.get("events", ()):
            if event["type"] == "order_confirmed":
                confirmed_at.setdefault(event["order_id"], index)
    position = {r.body["order_id"]: i for i, r in enumerate(stream) if r.path == "/v1/score"}
    assert all(position[o] < confirmed_at[o] for o in position)


def test_a_line_shipped_in_part_leaves_the_world_events_in_time_order(world):
    """The world's last day holds a line shipped in part, not in full (no ``shipped_date``): a
    shipment event without a time would break the sort, and the replay would post later days'
    events (and load their features) before earlier days' orders."""
    lines = world["order_lines"]
    assert (lines["shipped_date"].isna() & (lines["shipped_quantity"] > 0)).any()
    moments = [pd.Timestamp(event["occurred_at"]) for event in world_events(world)]
    assert not any(pd.isna(moment) for moment in moments)
    assert moments == sorted(moments)


@pytest.mark.parametrize("at_the_end", [False, True], ids=["held-out-window", "window-ending-at-the-data-end"])
def test_the_events_move_the_start_snapshot_to_the_window_end_snapshot(world, tmp_path, at_the_end):
    start, days = _window(world)
    if at_the_end:  # the window with the line shipped in part
        start += pd.Timedelta(days=days)
    snapshots = world["inventory_snapshots"]
    store = SqliteLiveState(tmp_path / "live.db")
    try:
        stock = latest_stock(snapshots, start).assign(allocated=0.0)  # the stream confirms the open lines
        store.seed(stock, open_purchase_orders(world["purchase_orders"], start), start)
        for request in replay_stream(world, start, days):
            if request.path == "/v1/events":
                assert store.apply(request.body["events"]).rejected == []
        end = snapshots[snapshots["snapshot_date"] == start + pd.Timedelta(days=days)]
        live = store.positions(sorted(end["sku_id"].unique()))
    finally:
        store.close()
    both = live.merge(end, on=["sku_id", "location_id"], suffixes=("", "_world"))
    assert len(both) == len(end)
    assert (both["on_hand"] == both["on_hand_world"]).all()


def _lines() -> pd.DataFrame:
    day = pd.Timestamp("2026-03-01")
    return pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3"],
            "line_id": [1, 2, 1, 1],
            "quantity": [5, 3, 4, 2],
            "requested_date": [day + pd.Timedelta(days=3)] * 4,
            "shipped_quantity": [5, 3, 1, 2],
            "shipped_date": [day + pd.Timedelta(days=d) for d in (2, 6, 2, 3)],
            "backordered_quantity": [0, 0, 3, 0],
        }
    )


def _scored(probabilities: list[float], promises: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"order_id": ["o1", "o1", "o2", "o3"], "line_id": ["1", "2", "1", "1"],
         "backorder_probability": probabilities, "promise_date": promises}
    )


def test_line_metrics_rank_the_late_lines_and_count_the_promises_kept():
    lines, data_end = _lines(), pd.Timestamp("2026-03-31")
    # o1/2 shipped after its requested date, o2/1 short: the late lines
    metrics = line_metrics(_scored([0.1, 0.8, 0.9, 0.2], ["2026-03-03", "2026-03-07", "2026-03-05", None]),
                           lines, data_end)
    assert metrics.lines == 4 and metrics.late_lines == 2 and metrics.pr_auc == pytest.approx(1.0)
    # kept: o1/1 (by the 3rd) and o1/2 (by the 7th); o2/1 shipped short; o3/1 was given no date
    assert metrics.promises_kept == pytest.approx(0.5) and metrics.without_promise == 1
    worse = line_metrics(_scored([0.9, 0.1, 0.2, 0.8], ["2026-03-01"] * 4), lines, data_end)
    assert worse.pr_auc < 0.6 and worse.promises_kept == 0.0


def test_the_comparison_measures_both_replays_on_the_lines_both_scored():
    lines, data_end = _lines(), pd.Timestamp("2026-03-31")
    live = _scored([0.1, 0.8, 0.9, 0.2], ["2026-03-03", "2026-03-07", "2026-03-05", "2026-03-03"])
    snapshot = _scored([0.9, 0.1, 0.2, 0.8], ["2026-03-01"] * 4).iloc[:3]
    comparison = compare_replays(live, snapshot, lines, data_end)
    assert comparison.live.lines == comparison.snapshot.lines == 3
    assert comparison.live.promises_kept == pytest.approx(2 / 3) and comparison.snapshot.promises_kept == 0.0
    assert comparison.live.pr_auc > comparison.snapshot.pr_auc
