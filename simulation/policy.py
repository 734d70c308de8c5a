"""The policy hook: what a replenishment/allocation policy sees each day and what it may decide.

A policy is any object with ``decide(view: StateView) -> DailyDecisions``, called once per
simulated day after receipts and new orders and before allocation. The view holds read-only
numpy arrays indexed by SKU-location ``n`` (and by open PO / open order line), so a policy is
vectorized by construction. ``BaselinePolicy`` is the textbook ERP rule every smarter policy is
compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

import numpy as np

from simulation.config import SimulationConfig


@dataclass(frozen=True)
class Terms:
    """Static terms per SKU-location ``n``; ``[:, 0]`` primary and ``[:, 1]`` secondary supplier."""

    sku: np.ndarray
    location: np.ndarray
    unit_cost: np.ndarray
    unit_price: np.ndarray
    holding_rate: np.ndarray  # annual, fraction of unit cost
    supplier: np.ndarray  # (N, 2), -1 = no secondary
    quoted_lead_time: np.ndarray  # (N, 2) days
    purchase_cost: np.ndarray  # (N, 2)
    moq: np.ndarray  # (N, 2)
    expedite_days_saved: np.ndarray  # (N, 2), 0 = no expedite option
    expedite_cost: np.ndarray  # (N, 2) per unit
    lane_transit_days: np.ndarray  # (L, L)
    lane_cost: np.ndarray  # (L, L) per unit


@dataclass(frozen=True)
class StateView:
    """Start-of-decision state of day ``day`` (today's receipts and orders already in)."""

    day: int
    n_days: int
    terms: Terms
    on_hand: np.ndarray  # (N,)
    on_order: np.ndarray  # (N,) units on open purchase orders
    inbound_transfers: np.ndarray  # (N,) units in transit from other locations
    backlog: np.ndarray  # (N,) units on open order lines, including today's new lines
    demand_history: np.ndarray  # (W, N) units ordered per day, last row = today
    po_id: np.ndarray  # open PO lines
    po_n: np.ndarray
    po_slot: np.ndarray
    po_quantity: np.ndarray
    po_order_day: np.ndarray
    po_promised_day: np.ndarray
    po_eta: np.ndarray  # ASN arrival date, -1 while no ASN has been received
    po_expedited: np.ndarray
    line_id: np.ndarray  # open order lines (oldest first)
    line_n: np.ndarray
    line_remaining: np.ndarray
    line_tier: np.ndarray  # 0 gold, 1 silver, 2 bronze
    line_order_day: np.ndarray
    line_requested_day: np.ndarray
    line_allow_split: np.ndarray

    @property
    def inventory_position(self) -> np.ndarray:
        return self.on_hand + self.on_order + self.inbound_transfers - self.backlog


@dataclass(frozen=True)
class DailyDecisions:
    """What to do today. Empty transfer/expedite arrays and ``None`` fields mean "nothing".

    ``order_quantity[n]`` units are ordered from supplier slot ``order_slot[n]`` (default
    primary); quantities below the supplier's MOQ are raised to it. Transfers move units of one
    SKU between locations (``transfer_from``/``transfer_to`` are SKU-location indices).
    ``expedite_po`` lists open PO ids to expedite. ``allocation_priority`` has one value per open
    line of the view (lower ships first); ``None`` means FIFO. ``substitute`` offers the lines
    that allocation leaves short the free stock of their SKU's substitutes at the same location.
    """

    order_quantity: np.ndarray
    order_slot: np.ndarray | None = None
    transfer_from: np.ndarray | None = None
    transfer_to: np.ndarray | None = None
    transfer_quantity: np.ndarray | None = None
    expedite_po: np.ndarray | None = None
    allocation_priority: np.ndarray | None = None
    substitute: bool = False


class Policy(Protocol):
    def decide(self, view: StateView) -> DailyDecisions: ...


def _as_int(values: np.ndarray | None, field: str, length: int | None) -> np.ndarray:
    array = np.zeros(0, dtype=np.int64) if values is None else np.asarray(values)
    if length is not None and array.shape != (length,):
        raise ValueError(f"DailyDecisions.{field} must have shape ({length},), got {array.shape}")
    if array.size and not np.array_equal(array, np.round(array)):
        raise ValueError(f"DailyDecisions.{field} must hold whole numbers")
    return array.astype(np.int64)


def checked(decisions: DailyDecisions, view: StateView) -> DailyDecisions:
    """Validate a policy's decisions against the view; errors name the field and the problem."""
    n_total = len(view.on_hand)
    quantity = _as_int(decisions.order_quantity, "order_quantity", n_total)
    slot = (
        np.zeros(n_total, dtype=np.int64)
        if decisions.order_slot is None
        else _as_int(decisions.order_slot, "order_slot", n_total)
    )
    if (quantity < 0).any():
        raise ValueError("DailyDecisions.order_quantity must be >= 0")
    if ((slot != 0) & (slot != 1)).any():
        raise ValueError("DailyDecisions.order_slot must be 0 (primary) or 1 (secondary)")
    if (view.terms.supplier[np.arange(n_total), slot][quantity > 0] < 0).any():
        raise ValueError(
            "DailyDecisions.order_slot selects a secondary supplier the SKU does not have"
        )
    source = _as_int(decisions.transfer_from, "transfer_from", None)
    target = _as_int(decisions.transfer_to, "transfer_to", len(source))
    moved = _as_int(decisions.transfer_quantity, "transfer_quantity", len(source))
    n_loc = view.terms.lane_transit_days.shape[0]
    if len(source) and (
        source.min() < 0
        or max(source.max(), target.max()) >= n_total
        or target.min() < 0
        or (moved < 0).any()
    ):
        raise ValueError("DailyDecisions.transfer_*: index out of range or negative quantity")
    if (source // n_loc != target // n_loc).any() or (source == target).any():
        raise ValueError("DailyDecisions.transfer_*: a transfer must join two locations of one SKU")
    expedite = np.unique(_as_int(decisions.expedite_po, "expedite_po", None))
    if not np.isin(expedite, view.po_id).all():
        raise ValueError("DailyDecisions.expedite_po names a PO line that is not open")
    position = np.searchsorted(view.po_id, expedite)  # open PO ids are ascending
    if (view.terms.expedite_days_saved[view.po_n[position], view.po_slot[position]] <= 0).any():
        raise ValueError(
            "DailyDecisions.expedite_po names a PO line whose supplier offers no expedite"
        )
    priority = decisions.allocation_priority
    if priority is not None:
        priority = np.asarray(priority, dtype=np.float64)
        if priority.shape != view.line_id.shape or np.isnan(priority).any():
            raise ValueError(
                f"DailyDecisions.allocation_priority must be {len(view.line_id)} numbers "
                "(one per open line)"
            )
    return DailyDecisions(quantity, slot, source, target, moved, expedite, priority, bool(decisions.substitute))


@dataclass(frozen=True)
class BaselinePolicy:
    """Textbook ERP reorder point / order-up-to, from a naive moving-average forecast.

    Reorder point = mean daily demand of the last ``window`` days x quoted lead time
    + z * sigma * sqrt(lead time) with z for ``service_level`` (times ``safety_stock_factor``);
    order up to one EOQ above it (at least the MOQ), always from the primary supplier; no
    transfers, no expedites, FIFO allocation. It trusts the quoted lead time, which is exactly
    what unreliable suppliers punish. With ``substitute``, lines left short are offered their
    SKU's substitutes (the what-if of a network that offers them).
    """

    service_level: float = 0.95
    safety_stock_factor: float = 1.0
    window: int = 28
    ordering_cost: float = 50.0
    substitute: bool = False

    @classmethod
    def from_config(cls, config: SimulationConfig) -> BaselinePolicy:
        return cls(
            service_level=config.service_level,
            safety_stock_factor=config.knobs.safety_stock_factor,
            window=config.forecast_window_days,
            ordering_cost=config.ordering_cost,
        )

    def decide(self, view: StateView) -> DailyDecisions:
        history = view.demand_history[-self.window :]
        mean = history.mean(axis=0)
        sigma = history.std(axis=0, ddof=1) if len(history) > 1 else np.zeros_like(mean)
        terms = view.terms
        lead = terms.quoted_lead_time[:, 0]
        z = NormalDist().inv_cdf(self.service_level) * self.safety_stock_factor
        reorder_point = mean * lead + z * sigma * np.sqrt(lead)
        holding = terms.holding_rate * terms.purchase_cost[:, 0]
        eoq = np.sqrt(2 * mean * 365 * self.ordering_cost / holding)
        position = view.inventory_position
        gap = np.ceil(reorder_point + eoq - position)
        order = (position <= reorder_point) & (gap >= 1)
        quantity = np.where(order, np.maximum(gap, terms.moq[:, 0]), 0)
        return DailyDecisions(order_quantity=quantity.astype(np.int64), substitute=self.substitute)
