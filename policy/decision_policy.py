"""The decision engine as a simulator ``Policy``: one day's view in, one day's decisions out.

Each day: learn supplier delays from new ASNs; order from the primary supplier up to the reorder
point + order quantity of ``replenishment_parameters`` (demand quantiles from recent history,
lead-time quantiles = quoted lead time + the supplier's realised delay quantiles); every
``transfer_every`` days plan transfers with the reallocation LP; expedite PO lines with
``choose_expedites``; place emergency orders with the secondary supplier where the position is
still short; rank open lines with ``priority_order``. Demand quantiles use the documented
history fallback (``frames.demand_quantiles``) and delay quantiles are learnt online from ASNs
unless trained sources are given: ``demand`` (``forecasts.ForecastDemand``: the demand forecaster
fitted on the history before the replay) and ``lead_times`` (``forecasts.ModelLeadTimes``: the
lead-time model's delay quantiles per open PO line and for a new order placed today).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from contracts.tables import TIERS
from decisions import (
    PriorityRules,
    choose_emergency_orders,
    choose_expedites,
    plan_transfers,
    reorder_recommendations,
    replenishment_parameters,
)
from decisions.priority import priority_order
from policy import frames
from policy.delays import SupplierDelays
from policy.parameters import POLICY
from simulation.policy import DailyDecisions, StateView


class DemandSource(Protocol):
    def quantiles(self, view: StateView, horizon: float) -> np.ndarray: ...


class LeadTimeSource(Protocol):
    def open_po(self, view: StateView) -> np.ndarray: ...

    def new_orders(self, view: StateView) -> tuple[np.ndarray, np.ndarray]: ...


class DecisionPolicy:
    """Model-driven policy; stateful only through the delays it has seen (deterministic).

    ``penalty_factor`` prices one backordered unit as a fraction of its unit price (the
    simulator charges a tier rate per unit-day, roughly 0.015 x ~10 days late). ``horizon`` is
    the days ahead that transfers, expedites and emergency orders protect. ``service_level`` is
    the reorder points' (``parameters.POLICY``), below the ERP baseline's: transfers, expedites
    and emergency orders cover the risk a higher one would otherwise hold as stock.
    ``substitute`` offers a line its SKU's substitutes (same location) when its own stock is short.
    """

    def __init__(
        self,
        n_suppliers: int,
        service_level: float = POLICY.service_level,
        window: int = 28,
        order_cost: float = 50.0,
        penalty_factor: float = 0.10,
        horizon: int = 7,
        transfer_every: int = 3,
        refresh_every: int = 7,
        emergency: bool = True,
        demand: DemandSource | None = None,
        lead_times: LeadTimeSource | None = None,
        substitute: bool = False,
    ) -> None:
        self.n_suppliers = n_suppliers
        self.service_level = service_level
        self.window = window
        self.order_cost = order_cost
        self.penalty_factor = penalty_factor
        self.horizon = horizon
        self.transfer_every = transfer_every
        self.refresh_every = refresh_every
        self.emergency = emergency
        self.demand = demand
        self.lead_times = lead_times
        self.substitute = substitute
        self.reorder_delays_: np.ndarray | None = None
        self.delays_ = SupplierDelays(n_suppliers)
        self.delay_quantiles_ = np.zeros((n_suppliers, 3))
        self.reliability_ = np.ones(n_suppliers)
        self.parameters_: pd.DataFrame | None = None

    def decide(self, view: StateView) -> DailyDecisions:
        if self.lead_times is None:
            self.delays_.observe(view)
        if view.day % self.refresh_every == 0 or (self.lead_times is not None and self.reorder_delays_ is None):
            if self.lead_times is None:
                self.delay_quantiles_ = self.delays_.quantiles(view.day)
                self.reliability_ = self.delays_.reliability(view.day)
            else:
                self.reorder_delays_, self.reliability_ = self.lead_times.new_orders(view)
        n_total = len(view.on_hand)
        penalty = self.penalty_factor * view.terms.unit_price.astype(float)
        demand = self._demand(view, self.horizon)

        source = target = moved = np.zeros(0, dtype=np.int64)
        if view.day % self.transfer_every == 0:
            source, target, moved = self._transfers(view, demand, penalty)
        arriving = np.bincount(target, weights=moved, minlength=n_total)
        arriving -= np.bincount(source, weights=moved, minlength=n_total)

        quantity = self._reorders(view)
        slot = np.zeros(n_total, dtype=np.int64)
        inbound = frames.open_pos(
            view, self.delay_quantiles_, None if self.lead_times is None else self.lead_times.open_po(view)
        )
        expected = self._expected_receipts(view, inbound)
        pos = frames.positions(view, demand, self.horizon, penalty)
        pos["sku_id"], pos["location_id"] = np.arange(n_total), 0
        pos["inbound_quantity"] = np.maximum(view.inbound_transfers + arriving + expected, 0.0)
        # Only SKU-locations projected short of their P90 need can gain from an expedite or an
        # emergency order; the engine calls are skipped for the rest (and when none is short).
        free = np.maximum(view.on_hand - np.minimum(view.backlog, view.on_hand), 0)
        short = free + pos["inbound_quantity"].to_numpy() < pos["demand_p90"].to_numpy()
        pos = pos[short]
        expedite = np.zeros(0, dtype=np.int64)
        if short.any():
            expedite = self._expedites(view, pos, inbound[short[view.po_n]])
        if self.emergency and short.any():
            urgent = self._emergency(view, pos)
            chosen = urgent > 0
            quantity = np.where(chosen, urgent, quantity)
            slot = np.where(chosen, 1, slot)
        return DailyDecisions(
            order_quantity=quantity.astype(np.int64),
            order_slot=slot,
            transfer_from=source,
            transfer_to=target,
            transfer_quantity=moved,
            expedite_po=expedite,
            allocation_priority=self._priority(view),
            substitute=self.substitute,
        )

    def _demand(self, view: StateView, horizon: int) -> np.ndarray:
        """``(N, 3)`` demand quantiles over ``horizon`` days: trained forecaster or recent history."""
        if self.demand is None:
            return frames.demand_quantiles(view, horizon, self.window)
        return self.demand.quantiles(view, horizon)

    def _items(self, view: StateView) -> pd.DataFrame:
        """Replenishment items: demand over ``window`` days, lead time = quoted + expected delay."""
        terms = view.terms
        delays = self.delay_quantiles_[terms.supplier[:, 0]] if self.reorder_delays_ is None else self.reorder_delays_
        lead = terms.quoted_lead_time[:, 0][:, None] + delays
        demand = self._demand(view, self.window)
        return pd.DataFrame(
            {
                "sku_id": terms.sku,
                "location_id": terms.location,
                "demand_p10": demand[:, 0],
                "demand_p50": demand[:, 1],
                "demand_p90": demand[:, 2],
                "horizon_days": float(self.window),
                "lead_time_p10": np.maximum(lead[:, 0], 0.0),
                "lead_time_p50": np.maximum(lead[:, 1], 0.0),
                "lead_time_p90": np.maximum(lead[:, 2], 0.0),
                "unit_cost": terms.purchase_cost[:, 0].astype(float),
                "holding_cost_rate": terms.holding_rate.astype(float),
                "order_cost": self.order_cost,
                "moq": terms.moq[:, 0].astype(float),
            }
        )

    def _reorders(self, view: StateView) -> np.ndarray:
        """Order-up-to ``reorder_point + order_quantity`` where the position is at or below ROP.

        Parameters refresh every ``refresh_every`` days; the position is checked daily, and only
        the rows at or below their reorder point go through ``reorder_recommendations``.
        """
        if self.parameters_ is None or view.day % self.refresh_every == 0:
            self.parameters_ = replenishment_parameters(self._items(view), self.service_level)
        quantity = np.zeros(len(view.on_hand))
        # Backlog counts in full (not only the part the shelf covers), as the ERP's position does.
        position = view.on_hand + view.on_order + view.inbound_transfers - view.backlog
        due = position <= self.parameters_["reorder_point"].to_numpy()
        if not due.any():
            return quantity
        stock = pd.DataFrame(
            {
                "sku_id": view.terms.sku[due],
                "location_id": view.terms.location[due],
                "on_hand": view.on_hand[due].astype(float),
                "allocated": view.backlog[due].astype(float),
                "inbound_quantity": (view.on_order + view.inbound_transfers)[due].astype(float),
            }
        )
        recs = reorder_recommendations(stock, self.parameters_[due])
        n = recs["sku_id"].to_numpy() * view.terms.lane_transit_days.shape[0]
        n = n + recs["location_id"].to_numpy()
        gap = recs["reorder_point"] + recs["order_quantity"] - recs["inventory_position"]
        quantity[n] = np.maximum(np.ceil(gap.to_numpy(float)), recs["order_quantity"])
        return quantity

    def _transfers(
        self, view: StateView, demand: np.ndarray, penalty: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The reallocation LP's transfers as SKU-location index arrays."""
        pos = frames.positions(view, demand, self.horizon, penalty, inbound=view.inbound_transfers)
        plan = plan_transfers(pos, frames.lanes(view), frames.day_date(view.day))
        n_loc = view.terms.lane_transit_days.shape[0]
        sku = plan["sku_id"].to_numpy(np.int64)
        source = sku * n_loc + plan["from_location_id"].to_numpy(np.int64)
        target = sku * n_loc + plan["to_location_id"].to_numpy(np.int64)
        return source, target, plan["quantity"].to_numpy().round().astype(np.int64)

    def _expected_receipts(self, view: StateView, inbound: pd.DataFrame) -> np.ndarray:
        """Open PO units of ``inbound`` expected (median delay) by the horizon's end, per n."""
        promised = (inbound["promised_date"] - frames.EPOCH) / pd.Timedelta(days=1)
        eta = promised.to_numpy(float) + np.ceil(inbound["delay_p50"].to_numpy(float))
        due = eta <= view.day + self.horizon
        return np.bincount(
            inbound["sku_id"].to_numpy(np.int64)[due],
            weights=inbound["quantity"].to_numpy(float)[due],
            minlength=len(view.on_hand),
        )

    def _expedites(self, view: StateView, pos: pd.DataFrame, inbound: pd.DataFrame) -> np.ndarray:
        """Open PO ids worth expediting; their own units are not counted as other inbound."""
        if inbound.empty:
            return np.zeros(0, dtype=np.int64)
        own = self._expected_receipts(view, inbound)[pos["sku_id"].to_numpy()]
        base = pos.assign(inbound_quantity=np.maximum(pos["inbound_quantity"] - own, 0.0))
        terms = pd.DataFrame(
            {
                "sku_id": np.repeat(np.arange(len(view.on_hand)), 2),
                "supplier_id": np.tile([0, 1], len(view.on_hand)),
                "expedite_days_saved": view.terms.expedite_days_saved.ravel().astype(float),
                "expedite_cost_per_unit": view.terms.expedite_cost.ravel().astype(float),
            }
        )
        terms = terms[terms["expedite_days_saved"] > 0]
        chosen = choose_expedites(
            base, inbound[~inbound["expedited"]].drop(columns="expedited"), terms
        )
        return np.sort(chosen["subject"].to_numpy(np.int64))

    def _emergency(self, view: StateView, pos: pd.DataFrame) -> np.ndarray:
        """Units to order today from the secondary supplier (0 where none)."""
        terms = view.terms
        has_second = terms.supplier[:, 1] >= 0
        n = np.flatnonzero(has_second)
        options = pd.DataFrame(
            {
                "sku_id": np.concatenate([n, n]),
                "supplier_id": np.repeat([0, 1], len(n)),
                "is_primary": np.repeat([True, False], len(n)),
                "quoted_lead_time_days": terms.quoted_lead_time[n].T.ravel().astype(float),
                "unit_cost": terms.purchase_cost[n].T.ravel().astype(float),
                "moq": terms.moq[n].T.ravel().astype(float),
                "reliability": self.reliability_[terms.supplier[n].T.ravel()],
            }
        )
        chosen = choose_emergency_orders(pos, options, frames.day_date(view.day))
        quantity = np.zeros(len(view.on_hand))
        quantity[chosen["sku_id"].to_numpy(np.int64)] = np.ceil(chosen["quantity"].to_numpy())
        return quantity

    def _priority(self, view: StateView) -> np.ndarray | None:
        """Rank of each open line: gold first, then earliest requested date, then oldest."""
        if not len(view.line_id):
            return None
        lines = pd.DataFrame(
            {
                "sku_id": view.terms.sku[view.line_n],
                "location_id": view.terms.location[view.line_n],
                "customer_tier": np.asarray(TIERS, dtype=object)[view.line_tier],
                "requested_date": view.line_requested_day,
                "order_time": view.line_order_day,
                "line_id": view.line_id,
            }
        )
        rank = np.empty(len(lines))
        rank[priority_order(lines, PriorityRules(keys=("tier", "requested_date")))] = np.arange(
            len(lines)
        )
        return rank
