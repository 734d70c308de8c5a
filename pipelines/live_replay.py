"""The held-out period as the service would have lived it: events and orders in time order.

``replay_stream`` turns the world's tables into the requests an OMS, an ERP and a WMS would have
sent over a window: each order scored with ``POST /v1/score`` (``reserve: true``) when it is
placed, then its lines confirmed, and the PO lines, ASNs, receipts, shipments and stock
adjustments of ``live.world_events`` posted with ``POST /v1/events`` as they happen.
``line_metrics`` measures the answers on what happened to the lines afterwards, so a live replay
and a start-of-day snapshot replay can be compared on the same lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from features.labels import order_line_labels
from live.world_events import world_events
from pipelines.oms_replay import SCORED_COLUMNS, daily_requests, scored_lines
from serving.schemas import MAX_EVENTS


@dataclass(frozen=True)
class ReplayRequest:
    """One request of the stream: the day it falls on, the path and the JSON body."""

    day: pd.Timestamp
    path: str
    body: dict[str, Any]


@dataclass(frozen=True)
class LineMetrics:
    """How well a replay's answers fared: risk ranking and promises kept, on the same lines."""

    lines: int
    late_lines: int
    pr_auc: float
    promises_kept: float
    without_promise: int


@dataclass(frozen=True)
class ReplayComparison:
    """The same held-out lines scored live (events in time order) and on start-of-day snapshots."""

    live: LineMetrics
    snapshot: LineMetrics


def replay_stream(tables: dict[str, pd.DataFrame], start: pd.Timestamp, days: int) -> list[ReplayRequest]:
    """The requests of the ``days`` days after ``start``, in time order.

    The stream starts from the snapshot of ``start`` seeded without its allocations (``seed`` with
    ``allocated`` 0): it opens with the ``order_confirmed`` events of the lines placed before and
    not shipped by then, so each open line holds its own reservation and releases it when it
    ships. Every order placed in the window is scored with ``reserve: true`` right before its
    lines' ``order_confirmed`` events; consecutive events of one day go in one ``/v1/events`` body
    (at most ``MAX_EVENTS``).
    """
    requests = daily_requests(tables["orders"], tables["order_lines"], start, days)
    orders = {order["order_id"]: {**order, "reserve": True} for day in requests.values() for order in day}
    first, end = start + pd.Timedelta(days=1), start + pd.Timedelta(days=days + 1)
    events = world_events(_window_tables(tables, start, end))
    moments = [pd.Timestamp(event["occurred_at"]) for event in events]
    # the window's tables hold only lines not shipped by ``start``: the ones confirmed before are open
    opening = [e for e, m in zip(events, moments, strict=True) if e["type"] == "order_confirmed" and m < first]
    stream = [
        ReplayRequest(first, "/v1/events", {"events": opening[i : i + MAX_EVENTS]})
        for i in range(0, len(opening), MAX_EVENTS)
    ]
    pending: list[dict[str, Any]] = []
    pending_day = first

    def flush() -> None:
        if pending:
            stream.append(ReplayRequest(pending_day, "/v1/events", {"events": list(pending)}))
            pending.clear()

    for event, moment in zip(events, moments, strict=True):
        if not first <= moment < end or event["type"] == "stock_counted":
            continue
        day = moment.normalize()
        if day != pending_day or len(pending) == MAX_EVENTS:
            flush()
            pending_day = day
        order = orders.pop(event.get("order_id"), None) if event["type"] == "order_confirmed" else None
        if order is not None:
            flush()
            stream.append(ReplayRequest(day, "/v1/score", order))
        pending.append(event)
    flush()
    return stream


def _window_tables(tables: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The rows whose events the stream uses: lines and PO lines still open after ``start``, ASNs
    and snapshots of the window (the snapshot of ``start`` is what the adjustments start from)."""
    lines, po, asn, snapshots = (
        tables[n] for n in ("order_lines", "purchase_orders", "asn_events", "inventory_snapshots")
    )
    placed = tables["orders"].loc[pd.to_datetime(tables["orders"]["order_time"]) < end, "order_id"]
    shipped = pd.to_datetime(lines["shipped_date"])
    snapshot_dates = pd.to_datetime(snapshots["snapshot_date"])
    asn_times = pd.to_datetime(asn["event_time"])
    po_open = (pd.to_datetime(po["order_date"]) < end) & ~(pd.to_datetime(po["received_date"]) <= start)
    return {
        "orders": tables["orders"],
        "order_lines": lines[lines["order_id"].isin(placed) & ~(shipped <= start)],
        "purchase_orders": po[po_open],
        "asn_events": asn[(asn_times >= start + pd.Timedelta(days=1)) & (asn_times < end)],
        "inventory_snapshots": snapshots[(snapshot_dates >= start) & (snapshot_dates < end)],
    }


def run_stream(
    post: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]],
    stream: list[ReplayRequest],
    start_day: Callable[[pd.Timestamp], None],
) -> tuple[pd.DataFrame, list[str]]:
    """Send the stream through ``post(path, body) -> (status, json)``, calling ``start_day(day)``
    when the day changes; returns the scored lines (order_id, line_id, backorder_probability,
    promise_date) and every rejection (a refused request or event), which is recorded, not raised."""
    scored: list[dict[str, Any]] = []
    problems: list[str] = []
    day = None
    for request in stream:
        if request.day != day:
            day = request.day
            start_day(day)
        status, body = post(request.path, request.body)
        if status != 200:
            problems.append(f"{request.path} HTTP {status}: {body}")
        elif request.path == "/v1/events":
            problems += [f"event {r['event_id']}: {r['errors']}" for r in body["rejected"]]
        else:
            scored += scored_lines(body)
    return pd.DataFrame(scored, columns=SCORED_COLUMNS), problems


def line_metrics(scored: pd.DataFrame, order_lines: pd.DataFrame, data_end: pd.Timestamp) -> LineMetrics:
    """PR-AUC of the risk against the order-line label (backordered or shipped late) and the share
    of lines shipped complete on or before the promise date the answer gave (a line given no
    promise date counts as not kept), over the scored lines whose outcome is known by ``data_end``."""
    lines = order_lines.assign(line_id=order_lines["line_id"].astype(str))
    lines = lines.join(order_line_labels(lines, data_end))
    joined = scored.merge(lines, on=["order_id", "line_id"], how="inner", validate="one_to_one")
    joined = joined[joined["label_complete"]]
    if joined.empty:
        raise ValueError("scored: no scored line has a known outcome by the data end")
    promised = pd.to_datetime(joined["promise_date"])
    complete = joined["shipped_quantity"].to_numpy(float) >= joined["quantity"].to_numpy(float)
    kept = complete & (pd.to_datetime(joined["shipped_date"]) <= promised).to_numpy(bool)
    labels = joined["label"].to_numpy(int)
    pr_auc = float(average_precision_score(labels, joined["backorder_probability"])) if labels.any() else np.nan
    return LineMetrics(
        lines=len(joined),
        late_lines=int(labels.sum()),
        pr_auc=pr_auc,
        promises_kept=float(kept.mean()),
        without_promise=int(promised.isna().sum()),
    )


def compare_replays(
    live: pd.DataFrame, snapshot: pd.DataFrame, order_lines: pd.DataFrame, data_end: pd.Timestamp
) -> ReplayComparison:
    """``line_metrics`` of both replays' scored lines (SCORED_COLUMNS), on the lines both scored."""
    key = ["order_id", "line_id"]
    both = live[key].merge(snapshot[key], on=key)
    return ReplayComparison(
        live=line_metrics(live.merge(both, on=key), order_lines, data_end),
        snapshot=line_metrics(snapshot.merge(both, on=key), order_lines, data_end),
    )


def describe_comparison(comparison: ReplayComparison) -> list[str]:
    """One line per replay: lines measured, risk PR-AUC and share of promise dates kept."""
    return [
        f"{name:<9} {m.lines:,} lines ({m.late_lines:,} late): risk PR-AUC {m.pr_auc:.3f}, "
        f"promise dates kept {m.promises_kept:.1%} ({m.without_promise:,} lines given no promise date)"
        for name, m in (("live", comparison.live), ("snapshot", comparison.snapshot))
    ]
