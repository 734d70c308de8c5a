"""Replay a week of orders through the scoring service in-process, as an OMS would send them.

The demo has no OMS: it takes the orders placed in the days after the serving date from the
canonical tables, turns them into ``POST /v1/score/batch`` bodies and sends them, day by day,
through the service's own app (auth, validation, scoring, prediction log), so monitoring has a
real prediction log whose outcomes the tables already hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from serving.schemas import MAX_LINES, MAX_ORDERS

SCORED_COLUMNS = ["order_id", "line_id", "backorder_probability", "promise_date"]

REQUEST_LINE_COLUMNS = ["line_id", "sku_id", "location_id", "quantity", "requested_date"]


@dataclass
class ReplayOutcome:
    """What the replay sent and what the service answered."""

    orders: int = 0
    lines: int = 0
    high_risk_lines: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    scored: list[dict[str, Any]] = field(default_factory=list)


def daily_requests(
    orders: pd.DataFrame, order_lines: pd.DataFrame, start: pd.Timestamp, days: int
) -> dict[pd.Timestamp, list[dict[str, Any]]]:
    """Score-request bodies of the orders placed on each of the ``days`` days after ``start``.

    Orders with more lines than the API accepts are cut to their first ``MAX_LINES`` lines.
    """
    placed = pd.to_datetime(orders["order_time"]).dt.normalize()
    in_window = (placed > start) & (placed <= start + pd.Timedelta(days=days))
    recent = orders.loc[in_window, ["order_id", "customer_id", "customer_tier"]].assign(day=placed[in_window])
    lines = order_lines.loc[order_lines["order_id"].isin(recent["order_id"]), ["order_id", *REQUEST_LINE_COLUMNS]]
    lines = lines.assign(
        line_id=lines["line_id"].astype(str),
        quantity=lines["quantity"].astype(int),
        requested_date=pd.to_datetime(lines["requested_date"]).dt.strftime("%Y-%m-%d"),
    )
    lines = lines[lines.groupby("order_id").cumcount() < MAX_LINES]
    by_order = {
        order_id: group[REQUEST_LINE_COLUMNS].to_dict("records") for order_id, group in lines.groupby("order_id")
    }
    recent = recent[recent["order_id"].isin(by_order)]
    return {
        day: [
            {**header, "lines": by_order[header["order_id"]]} for header in group.drop(columns="day").to_dict("records")
        ]
        for day, group in recent.groupby("day")
    }


def scored_lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines of one ``/v1/score`` answer (or one order of a batch answer), as SCORED_COLUMNS."""
    return [
        {"order_id": order["order_id"], **{c: line[c] for c in SCORED_COLUMNS[1:]}} for line in order["lines"]
    ]


def batches(orders: list[dict[str, Any]], size: int = MAX_ORDERS) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices of at most ``size`` orders (the batch endpoint's limit)."""
    for start in range(0, len(orders), size):
        yield orders[start : start + size]


def replay(
    post: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]],
    requests: dict[pd.Timestamp, list[dict[str, Any]]],
    start_day: Callable[[pd.Timestamp], None],
    on_batch: Callable[[int], None] | None = None,
) -> ReplayOutcome:
    """Send each day's orders in batches through ``post(path, body) -> (status, json)``, after
    ``start_day(day)`` has moved the service to that day; tally the answers.

    A rejected batch is recorded with the service's error body, not raised: one bad order in the
    export must not hide what the rest scored.
    """
    outcome = ReplayOutcome()
    for day in sorted(requests):
        start_day(day)
        for batch in batches(requests[day]):
            status, body = post("/v1/score/batch", {"orders": batch})
            if status != 200:
                outcome.rejected.append(f"HTTP {status}: {body}")
            else:
                for order in body["orders"]:
                    outcome.scored += scored_lines(order)
                    outcome.orders += 1
                    for line in order["lines"]:
                        outcome.lines += 1
                        outcome.high_risk_lines += line["risk_level"] == "high"
                        action = line["action"]["action"]
                        outcome.actions[action] = outcome.actions.get(action, 0) + 1
            if on_batch is not None:
                on_batch(len(batch))
    return outcome
