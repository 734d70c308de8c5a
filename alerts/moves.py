"""The concrete move behind an exception's recommended action: the live-state events accepting it sends.

A stock-out within the lead time is covered by a **transfer** from the location of the same SKU
with the most available stock (``transfer_shipped``: on hand falls there, in transit rises at the
short location). A late PO is **expedited**: the supplier is asked to deliver within
``EXPEDITE_DAYS``, recorded as a ``po_changed`` with that promised date, when it is earlier than
the expected arrival (ASN ETA, else promised date + expected delay) or the promise has passed. Other kinds (and a
transfer without a donor, an expedite that would not be earlier) change no stock: accepting them
only closes the exception with the decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

ACTION_KINDS = ("transfer", "expedite", "none")
EXPEDITE_DAYS = 2
"""Days from today an expedited PO line is promised for."""


@dataclass(frozen=True)
class Move:
    """What accepting does: its action kind, a sentence for the planner and the events (without
    ``occurred_at``, set when they are sent)."""

    kind: str
    description: str
    events: list[dict[str, Any]] = field(default_factory=list)


def recommended_move(exception: dict[str, Any], positions: pd.DataFrame, today: pd.Timestamp) -> Move:
    """The move for ``exception`` given the live ``positions`` of its SKU (``POSITION_COLUMNS``)."""
    if exception["kind"] == "stockout_within_lead_time":
        return _transfer(exception, positions)
    if exception["kind"] == "po_late":
        return _expedite(exception, pd.Timestamp(today).normalize())
    return Move("none", "no stock changes: accepting records the decision and resolves the exception")


def _event_id(exception: dict[str, Any], kind: str) -> str:
    """One id per exception and move, so accepting twice (a double click) applies the move once."""
    return f"planner:{exception['id']}:{kind}"


def _transfer(exception: dict[str, Any], positions: pd.DataFrame) -> Move:
    details = exception["details"]
    lowest = details.get("lowest_projected", details.get("projected"))  # the deepest projected shortfall
    short = max(-float(lowest or 0.0), 0.0)
    donors = positions[(positions["sku_id"] == exception["sku_id"])
                       & (positions["location_id"] != exception["location_id"])]
    available = (donors["on_hand"] - donors["reserved"]).clip(lower=0)
    if short <= 0 or available.empty or available.max() <= 0:
        return Move("none", f"no other location holds available {exception['sku_id']}: nothing to transfer")
    donor = donors.loc[available.idxmax(), "location_id"]
    quantity = int(min(math.ceil(short), available.max()))
    event = {
        "event_id": _event_id(exception, "transfer"), "type": "transfer_shipped",
        "transfer_id": f"planner-{exception['id'][:12]}", "sku_id": exception["sku_id"],
        "from_location_id": str(donor), "to_location_id": exception["location_id"], "quantity": quantity,
    }
    return Move("transfer", f"transfer {quantity} units of {exception['sku_id']} from {donor} to "
                            f"{exception['location_id']}", [event])


def _expedite(exception: dict[str, Any], today: pd.Timestamp) -> Move:
    details = exception["details"]
    promised = pd.Timestamp(details["promised_date"])
    arrival = pd.Timestamp(details["eta"]) if details.get("eta") else promised + pd.Timedelta(
        days=float(details.get("expected_delay_days") or 0.0))
    expedited = today + pd.Timedelta(days=EXPEDITE_DAYS)
    if expedited >= arrival and promised >= today:  # a passed promise is always replaced by a firm one
        return Move("none", f"PO {exception['po_id']} is expected by {arrival.date()}: an expedite gains nothing")
    event = {"event_id": _event_id(exception, "expedite"), "type": "po_changed", "po_id": exception["po_id"],
             "promised_date": expedited.date().isoformat()}
    return Move("expedite", f"expedite PO {exception['po_id']}: promised for {expedited.date()} instead of "
                            f"an expected {arrival.date()}", [event])
