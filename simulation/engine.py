"""The daily loop, vectorized across SKU-locations: receive, decide, ship out, allocate, record.

Each day, in this order: purchase orders and transfers due today arrive; today's order lines
join the open lines; the policy decides; transfers leave their source, expedites move arrival
dates earlier, new PO lines are placed; on-hand stock is allocated to open lines by priority
(strict priority per SKU-location: a line that may not ship partially keeps what it would have
got reserved, so lower-priority lines cannot jump it); the end-of-day position is recorded.
The only loop is over days; every step inside is numpy over all SKU-locations at once.
``start_state`` / ``advance`` / ``finish`` split the loop so that a run can stop at a cut-off and
be continued, from a copy of its ``EngineState``, under another policy (``simulation.run.checkpoint``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from simulation.demand import Demand
from simulation.execution import Book, expedite, place_orders, ship_transfers
from simulation.policy import Policy, StateView, Terms, checked
from simulation.supply import SupplyDraws
from simulation.world import World

INITIAL_COVER_DAYS = 14  # initial stock = expected demand over quoted lead time + this


@dataclass(frozen=True)
class EngineLog:
    """Raw outcome arrays of one run; ``simulation.outcomes`` turns them into tables."""

    on_hand: np.ndarray  # (T, N) end of day
    allocated: np.ndarray
    in_transit: np.ndarray
    backordered: np.ndarray
    initial_on_hand: np.ndarray  # (N,) before day 0
    line_shipped: np.ndarray  # units shipped per order line by the end of the horizon
    line_backordered: np.ndarray  # units not shipped on the order day
    line_shipped_day: np.ndarray  # day the line shipped in full, -1 if still open
    line_substituted: np.ndarray  # units of a line shipped from its SKU's substitutes
    purchase_orders: dict[str, np.ndarray]
    transfers: dict[str, np.ndarray]
    daily_cost: dict[str, np.ndarray]  # component -> (T,)


def build_terms(world: World) -> Terms:
    sku, loc = world.sku_of, world.location_of
    return Terms(
        sku=sku,
        location=loc,
        unit_cost=world.unit_cost[sku],
        unit_price=world.unit_price[sku],
        holding_rate=world.holding_rate[loc],
        supplier=world.supplier[sku],
        quoted_lead_time=world.quoted_lead_time[sku],
        purchase_cost=world.purchase_cost[sku],
        moq=world.moq[sku],
        expedite_days_saved=world.expedite_days_saved[sku],
        expedite_cost=world.expedite_cost[sku],
        lane_transit_days=world.lane_transit_days,
        lane_cost=world.lane_cost,
    )


def initial_stock(world: World) -> np.ndarray:
    """The world's given stock, else expected demand over the quoted lead time plus two weeks for
    SKUs already on sale."""
    if world.initial_on_hand is not None:
        return world.initial_on_hand.astype(np.int64)
    sku, loc = world.sku_of, world.location_of
    cover = world.quoted_lead_time[sku, 0] + INITIAL_COVER_DAYS
    on_sale = (world.launch_day[sku] < 0) & (world.phase_out_day[sku] > 0)
    return np.where(on_sale, np.ceil(world.base_units[sku, loc] * cover), 0).astype(np.int64)


def allocate(
    on_hand: np.ndarray,
    line_n: np.ndarray,
    remaining: np.ndarray,
    allow_split: np.ndarray,
    priority: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Units shipped and units reserved per open line, allocating on-hand by strict priority."""
    order = (
        np.argsort(line_n, kind="stable")
        if priority is None
        else np.lexsort((np.arange(len(line_n)), priority, line_n))
    )
    n_sorted, need = line_n[order], remaining[order]
    before = np.cumsum(need) - need
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = n_sorted[1:] != n_sorted[:-1]
    group_base = before[starts][np.cumsum(starts) - 1]
    available = on_hand[n_sorted] - (before - group_base)
    take = np.clip(available, 0, need)
    ship_sorted = np.where(allow_split[order] | (available >= need), take, 0)
    ship, reserved = np.empty_like(need), np.empty_like(need)
    ship[order], reserved[order] = ship_sorted, take - ship_sorted
    return ship, reserved


def substitute(
    substitutes: np.ndarray,
    n_locations: int,
    free: np.ndarray,
    line_n: np.ndarray,
    short: np.ndarray,
    allow_split: np.ndarray,
    priority: np.ndarray | None,
) -> np.ndarray:
    """Units each short line takes from its SKU's substitutes at its location, one unit for one,
    in preference order; each substitute's ``free`` stock (on hand not reserved, per SKU-location;
    reduced in place) is allocated like the SKU's own (strict priority, whole lines where splits
    are not allowed)."""
    taken = np.zeros_like(short)
    sku, location = line_n // n_locations, line_n % n_locations
    for rank in range(substitutes.shape[1]):
        need = short - taken
        lines = np.flatnonzero((substitutes[sku, rank] >= 0) & (need > 0))
        if not len(lines):
            continue
        target = substitutes[sku[lines], rank] * n_locations + location[lines]
        ship, _ = allocate(free, target, need[lines], allow_split[lines], None if priority is None else priority[lines])
        free -= np.bincount(target, ship, len(free)).astype(np.int64)
        taken[lines] += ship
    return taken


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass
class EngineState:
    """Everything the daily loop carries from one day to the next; ``day`` is the next day to run.

    ``copy()`` gives an independent state, so one history can be continued under several policies
    (a replay from a cut-off): demand and supplier behaviour after the cut-off come from the
    pre-drawn streams, never from the state, so every continuation sees the same world.
    """

    day: int
    on_hand: np.ndarray
    initial_on_hand: np.ndarray
    remaining: np.ndarray
    first_shortfall: np.ndarray
    shipped_day: np.ndarray
    substituted: np.ndarray
    pos: Book
    moves: Book
    open_lines: np.ndarray
    open_po: np.ndarray
    open_moves: np.ndarray
    record: dict[str, np.ndarray]
    cost: dict[str, np.ndarray]

    def copy(self) -> EngineState:
        return copy.deepcopy(self)


def start_state(world: World, demand: Demand) -> EngineState:
    """The state before day 0: initial stock and the world's open PO lines; no open order lines or
    transfers."""
    n_days, n_total = world.config.n_days, world.n_sku_locations
    on_hand = initial_stock(world)
    remaining = demand.line_quantity.copy()
    state = EngineState(
        day=0,
        on_hand=on_hand,
        initial_on_hand=on_hand.copy(),
        remaining=remaining,
        first_shortfall=np.zeros_like(remaining),
        shipped_day=np.full(len(remaining), -1, dtype=np.int64),
        substituted=np.zeros_like(remaining),
        pos=Book(
            n=np.int64,
            slot=np.int64,
            quantity=np.int64,
            order_day=np.int64,
            promised_day=np.int64,
            arrival_day=np.int64,
            received_quantity=np.int64,
            asn_lead=np.int64,
            expedited=bool,
        ),
        moves=Book(
            source=np.int64, target=np.int64, quantity=np.int64, ship_day=np.int64, arrival_day=np.int64
        ),
        open_lines=np.zeros(0, dtype=np.int64),
        open_po=np.zeros(0, dtype=np.int64),
        open_moves=np.zeros(0, dtype=np.int64),
        record={
            name: np.zeros((n_days, n_total), dtype=np.int32)
            for name in ("on_hand", "allocated", "in_transit", "backordered")
        },
        cost={
            name: np.zeros(n_days) for name in ("holding", "backorder_penalty", "transfer", "expedite", "purchase")
        },
    )
    if (open_pos := world.open_purchase_orders) is not None:
        count = len(open_pos.n)
        state.open_po = state.pos.append(
            n=open_pos.n,
            slot=np.zeros(count, dtype=np.int64),
            quantity=open_pos.quantity,
            order_day=open_pos.order_day,
            promised_day=open_pos.promised_day,
            arrival_day=open_pos.arrival_day,
            received_quantity=open_pos.quantity,
            asn_lead=np.ones(count, dtype=np.int64),
            expedited=np.zeros(count, dtype=bool),
        )
    return state


def run(world: World, demand: Demand, draws: SupplyDraws, policy: Policy) -> EngineLog:
    """Simulate every day of the horizon under ``policy``."""
    state = start_state(world, demand)
    advance(state, world, demand, draws, policy)
    return finish(state, demand)


def finish(state: EngineState, demand: Demand) -> EngineLog:
    """The raw outcome arrays of ``state`` (days not yet run stay at zero)."""
    return EngineLog(
        **{name: values.copy() for name, values in state.record.items()},
        initial_on_hand=state.initial_on_hand.copy(),
        line_shipped=demand.line_quantity - state.remaining,
        line_backordered=state.first_shortfall.copy(),
        line_shipped_day=state.shipped_day.copy(),
        line_substituted=state.substituted.copy(),
        purchase_orders=state.pos.frozen(),
        transfers=state.moves.frozen(),
        daily_cost={name: values.copy() for name, values in state.cost.items()},
    )


def advance(
    state: EngineState,
    world: World,
    demand: Demand,
    draws: SupplyDraws,
    policy: Policy,
    until: int | None = None,
) -> EngineState:
    """Run days ``state.day .. until - 1`` (default: to the end of the horizon) under ``policy``.

    Mutates and returns ``state``; copy it first to keep the starting point.
    """
    config = world.config
    n_days, n_total = config.n_days, world.n_sku_locations
    until = n_days if until is None else min(until, n_days)
    terms = build_terms(world)
    holding_per_day = terms.unit_cost * terms.holding_rate / 365
    tier_rate = np.asarray(config.backorder_penalty_per_unit_day)
    history = _read_only(demand.units)
    s = state
    on_hand, remaining, pos, moves, record, cost = s.on_hand, s.remaining, s.pos, s.moves, s.record, s.cost
    open_lines, open_po, open_moves = s.open_lines, s.open_po, s.open_moves
    for day in range(s.day, until):
        po = pos.columns
        arriving = po["arrival_day"][open_po] == day
        received = open_po[arriving]
        on_hand += np.bincount(
            po["n"][received], po["received_quantity"][received], n_total
        ).astype(np.int64)
        cost["purchase"][day] = (
            po["received_quantity"][received]
            * terms.purchase_cost[po["n"][received], po["slot"][received]]
        ).sum()
        open_po = open_po[~arriving]
        mv = moves.columns
        landed = mv["arrival_day"][open_moves] == day
        on_hand += np.bincount(
            mv["target"][open_moves[landed]], mv["quantity"][open_moves[landed]], n_total
        ).astype(np.int64)
        open_moves = open_moves[~landed]
        new_lines = np.arange(demand.day_start[day], demand.day_start[day + 1])
        open_lines = np.concatenate([open_lines, new_lines])

        line_n = demand.line_n[open_lines]
        view = StateView(
            day=day,
            n_days=n_days,
            terms=terms,
            on_hand=_read_only(on_hand),
            on_order=np.bincount(po["n"][open_po], po["quantity"][open_po], n_total).astype(
                np.int64
            ),
            inbound_transfers=np.bincount(
                mv["target"][open_moves], mv["quantity"][open_moves], n_total
            ).astype(np.int64),
            backlog=np.bincount(line_n, remaining[open_lines], n_total).astype(np.int64),
            demand_history=history[max(0, day - config.forecast_window_days + 1) : day + 1],
            po_id=open_po,
            po_n=po["n"][open_po],
            po_slot=po["slot"][open_po],
            po_quantity=po["quantity"][open_po],
            po_order_day=po["order_day"][open_po],
            po_promised_day=po["promised_day"][open_po],
            po_eta=np.where(
                day
                >= np.maximum(
                    po["order_day"][open_po], po["arrival_day"][open_po] - po["asn_lead"][open_po]
                ),
                po["arrival_day"][open_po],
                -1,
            ),
            po_expedited=po["expedited"][open_po],
            line_id=open_lines,
            line_n=line_n,
            line_remaining=remaining[open_lines],
            line_tier=demand.line_tier[open_lines],
            line_order_day=demand.line_day[open_lines],
            line_requested_day=demand.line_requested_day[open_lines],
            line_allow_split=demand.line_allow_split[open_lines],
        )
        decisions = checked(policy.decide(view), view)
        open_moves = np.concatenate(
            [open_moves, ship_transfers(decisions, on_hand, moves, terms, day, cost)]
        )
        expedite(decisions, pos, terms, day, cost)
        open_po = np.concatenate([open_po, place_orders(decisions, pos, world, draws, terms, day)])

        ship, reserved = allocate(
            on_hand,
            line_n,
            remaining[open_lines],
            demand.line_allow_split[open_lines],
            decisions.allocation_priority,
        )
        on_hand -= np.bincount(line_n, ship, n_total).astype(np.int64)
        remaining[open_lines] -= ship
        if decisions.substitute and world.substitutes is not None:
            free = on_hand - np.bincount(line_n, reserved, n_total).astype(np.int64)
            before = free.copy()
            taken = substitute(
                world.substitutes, world.n_locations, free, line_n, remaining[open_lines],
                demand.line_allow_split[open_lines], decisions.allocation_priority,
            )
            on_hand -= before - free
            remaining[open_lines] -= taken
            s.substituted[open_lines] += taken
        s.first_shortfall[new_lines] = remaining[new_lines]
        done = remaining[open_lines] == 0
        s.shipped_day[open_lines[done]] = day
        open_lines, line_n = open_lines[~done], line_n[~done]

        po = pos.columns
        record["on_hand"][day] = on_hand
        record["allocated"][day] = np.bincount(line_n, reserved[~done], n_total)
        record["backordered"][day] = np.bincount(line_n, remaining[open_lines], n_total)
        record["in_transit"][day] = np.bincount(
            po["n"][open_po], po["quantity"][open_po], n_total
        ) + np.bincount(
            moves.columns["target"][open_moves], moves.columns["quantity"][open_moves], n_total
        )
        cost["holding"][day] = on_hand @ holding_per_day
        cost["backorder_penalty"][day] = (
            remaining[open_lines]
            * terms.unit_price[line_n]
            * tier_rate[demand.line_tier[open_lines]]
        ).sum()
    s.open_lines, s.open_po, s.open_moves = open_lines, open_po, open_moves
    s.day = max(s.day, until)
    return s
