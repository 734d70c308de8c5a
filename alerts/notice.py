"""Customer notices: what to tell a customer about an order.

Pure: the order's lines with their promise dates and backorder probabilities in, one notice out.
The order ships complete on its latest open line's promise date; it is late by the most days an
open line's promise passes its requested date; an open line without a promise date (stock and
open POs cannot cover it) leaves the order unconfirmed. A line that shipped (``shipped_date``) is
not late: its promise is the day it shipped, its delay 0, and it does not move the order's date,
delay or status, which become ``shipped`` once every line has shipped. An open line that is late,
unconfirmed or at risk (backorder probability at or above ``at_risk``) lists the substitutes
offered for it (``offers``), which the message names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from decisions.inputs import require_columns

OFFER_COLUMNS = {"line_id": "key", "substitute_sku_id": "key", "priority": "positive", "available": "positive"}


@dataclass(frozen=True)
class SubstituteOffer:
    """A SKU that may ship in a line's place, one unit for one, with its available stock (on hand
    not reserved) at the line's location; ``covers_line``: enough for the line's whole quantity."""

    sku_id: str
    priority: int
    available: int
    covers_line: bool


@dataclass(frozen=True)
class LineNotice:
    line_id: str
    sku_id: str
    promise_date: date | None
    delay_days: int | None
    backorder_probability: float
    substitutes: list[SubstituteOffer] = field(default_factory=list)
    shipped: bool = False


@dataclass(frozen=True)
class CustomerNotice:
    """``status`` is ``on_time``, ``delayed``, ``unconfirmed`` or ``shipped``; ``delay_days`` and
    ``requested_date`` are those of the open line furthest behind its requested date; ``confidence`` is
    the level at which the promise dates are set (each PO arriving by then at least that likely)."""

    order_id: str
    status: str
    promise_date: date | None
    requested_date: date | None
    delay_days: int | None
    confidence: float
    message: str
    lines: list[LineNotice]


def customer_notice(
    order_id: str,
    lines: pd.DataFrame,
    confidence: float,
    offers: pd.DataFrame | None = None,
    at_risk: float = 1.0,
) -> CustomerNotice:
    """The notice of one order from its lines (line_id, sku_id, requested_date, promise_date,
    backorder_probability; dates may be null; with ``offers``, quantity too; optionally
    shipped_date, null for a line still open).

    ``offers`` (line_id, substitute_sku_id, priority, available) are the substitutes with stock
    of the order's lines; only late, unconfirmed or at-risk lines list them, by priority.
    """
    require_columns(lines, "lines", {"line_id": "key", "sku_id": "key", "backorder_probability": "nonneg"})
    shipped = pd.to_datetime(lines["shipped_date"] if "shipped_date" in lines else pd.Series(pd.NaT, lines.index))
    is_open = shipped.isna()
    promised = pd.to_datetime(lines["promise_date"]).where(is_open, shipped)
    requested = pd.to_datetime(lines["requested_date"])
    delays = ((promised - requested).dt.days.clip(lower=0)).astype("Int64").where(is_open, 0)
    needs = is_open & (promised.isna() | (delays.fillna(0) > 0) | (lines["backorder_probability"] >= at_risk))
    offered = _offers(lines[needs.to_numpy()], offers)
    per_line = [
        LineNotice(str(line), str(sku), None if pd.isna(p) else p.date(), None if pd.isna(d) else int(d), float(b),
                   offered.get(str(line), []), not o)
        for line, sku, p, d, b, o in zip(lines["line_id"], lines["sku_id"], promised, delays,
                                         lines["backorder_probability"], is_open, strict=True)
    ]
    if not is_open.any():
        last = shipped.max().date()
        message = f"Order {order_id} has shipped complete; its last line shipped on {last:%Y-%m-%d}."
        return CustomerNotice(order_id, "shipped", last, None, 0, confidence, message, per_line)
    message, status, ships, asked, delay = _headline(
        order_id, lines[is_open], promised[is_open], requested[is_open], delays[is_open])
    return CustomerNotice(order_id, status, ships, asked, delay, confidence,
                          message + _shipped_text(is_open) + _offer_text(per_line), per_line)


def _shipped_text(is_open: pd.Series) -> str:
    """How many of the order's lines have shipped, when some have."""
    done = int((~is_open).sum())
    if done == 0:
        return ""
    return f" {done} of its {len(is_open)} lines {'has' if done == 1 else 'have'} shipped already."


def _offers(lines: pd.DataFrame, offers: pd.DataFrame | None) -> dict[str, list[SubstituteOffer]]:
    """The offers of ``lines`` by line id, in priority order."""
    if offers is None or offers.empty or lines.empty:
        return {}
    require_columns(offers, "offers", OFFER_COLUMNS)
    require_columns(lines, "lines", {"quantity": "positive"})
    quantity = dict(zip(lines["line_id"].astype(str), lines["quantity"].astype(int), strict=True))
    ranked = offers.assign(line_id=offers["line_id"].astype(str))
    ranked = ranked[ranked["line_id"].isin(quantity)].sort_values(["line_id", "priority", "substitute_sku_id"])
    found: dict[str, list[SubstituteOffer]] = {}
    for line, sku, priority, available in zip(ranked["line_id"], ranked["substitute_sku_id"], ranked["priority"],
                                              ranked["available"], strict=True):
        found.setdefault(line, []).append(
            SubstituteOffer(str(sku), int(priority), int(available), int(available) >= quantity[line]))
    return found


def _offer_text(lines: list[LineNotice]) -> str:
    """One sentence per line with substitutes: what can ship now instead, and how much of it."""
    sentences = []
    for line in lines:
        if line.substitutes:
            offers = ", ".join(
                f"{o.sku_id} ({o.available} available{', enough for the whole line' if o.covers_line else ''})"
                for o in line.substitutes
            )
            sentences.append(f" Instead of {line.sku_id} we can ship now: {offers}.")
    return "".join(sentences)


def _headline(
    order_id: str, lines: pd.DataFrame, promised: pd.Series, requested: pd.Series, delays: pd.Series
) -> tuple[str, str, date | None, date | None, int | None]:
    """The message's first sentences, the status, ship date, requested date and delay of the order."""
    if promised.isna().any():
        missing = ", ".join(sorted(lines.loc[promised.isna(), "sku_id"].astype(str).unique()))
        message = (f"We cannot confirm a delivery date for order {order_id} yet: {missing} is not available "
                   "and not yet on order. We will send a date as soon as it is confirmed.")
        return message, "unconfirmed", None, None, None
    ships = promised.max().date()
    if delays.fillna(0).max() <= 0:
        asked_for = ", as requested" if requested.notna().all() else ""  # a confirmation may give no date
        message = f"Order {order_id} is expected to ship complete on {ships:%Y-%m-%d}{asked_for}."
        return message, "on_time", ships, None, 0
    latest = int(delays.fillna(0).to_numpy().argmax())  # the line furthest behind its requested date
    delay, asked, sku = int(delays.iloc[latest]), requested.iloc[latest].date(), lines["sku_id"].iloc[latest]
    message = (f"Order {order_id} is expected to ship complete on {ships:%Y-%m-%d}: {sku} arrives {delay} day"
               f"{'s' if delay != 1 else ''} after the requested {asked:%Y-%m-%d}. We apologise for the delay.")
    return message, "delayed", ships, asked, delay
