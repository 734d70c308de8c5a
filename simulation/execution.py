"""Carrying out a policy's daily decisions on the engine's books: transfers, expedites, new POs.

The books are append-only columnar stores; each executor is numpy over all of the day's decisions.
"""

from __future__ import annotations

import numpy as np

from simulation.policy import DailyDecisions, Terms
from simulation.supply import SupplyDraws, plan_receipts
from simulation.world import World


class Book:
    """Append-only columnar store with amortized growth (POs, transfers)."""

    def __init__(self, **dtypes: type) -> None:
        self.size = 0
        self.columns = {name: np.zeros(256, dtype=dtype) for name, dtype in dtypes.items()}

    def append(self, **values: np.ndarray) -> np.ndarray:
        count = len(next(iter(values.values())))
        capacity = len(next(iter(self.columns.values())))
        if self.size + count > capacity:
            new_capacity = max(2 * capacity, self.size + count)
            for name, column in self.columns.items():
                grown = np.zeros(new_capacity, dtype=column.dtype)
                grown[: self.size] = column[: self.size]
                self.columns[name] = grown
        ids = np.arange(self.size, self.size + count)
        for name, value in values.items():
            self.columns[name][ids] = value
        self.size += count
        return ids

    def frozen(self) -> dict[str, np.ndarray]:
        return {name: column[: self.size].copy() for name, column in self.columns.items()}


def ship_transfers(
    decisions: DailyDecisions,
    on_hand: np.ndarray,
    moves: Book,
    terms: Terms,
    day: int,
    cost: dict[str, np.ndarray],
) -> np.ndarray:
    """Send transfers, scaled down where a source has less on hand than requested."""
    source, target, quantity = (
        decisions.transfer_from,
        decisions.transfer_to,
        decisions.transfer_quantity,
    )
    if source is None or not len(source):
        return np.zeros(0, dtype=np.int64)
    requested = np.bincount(source, quantity, len(on_hand))
    share = np.divide(on_hand, requested, out=np.ones(len(on_hand)), where=requested > on_hand)
    quantity = np.floor(quantity * np.minimum(share[source], 1.0)).astype(np.int64)
    keep = quantity > 0
    source, target, quantity = source[keep], target[keep], quantity[keep]
    on_hand -= np.bincount(source, quantity, len(on_hand)).astype(np.int64)
    src_loc, dst_loc = terms.location[source], terms.location[target]
    cost["transfer"][day] += (quantity * terms.lane_cost[src_loc, dst_loc]).sum()
    return moves.append(
        source=source,
        target=target,
        quantity=quantity,
        ship_day=np.full(len(source), day),
        arrival_day=day + terms.lane_transit_days[src_loc, dst_loc],
    )


def expedite(
    decisions: DailyDecisions, pos: Book, terms: Terms, day: int, cost: dict[str, np.ndarray]
) -> None:
    """Pull arrival earlier by the supplier's expedite days (not before tomorrow); once per line."""
    ids = decisions.expedite_po
    if ids is None or not len(ids):
        return
    po = pos.columns
    ids = ids[~po["expedited"][ids]]
    n, slot = po["n"][ids], po["slot"][ids]
    po["arrival_day"][ids] = np.maximum(
        day + 1, po["arrival_day"][ids] - terms.expedite_days_saved[n, slot]
    )
    po["expedited"][ids] = True
    cost["expedite"][day] += (po["quantity"][ids] * terms.expedite_cost[n, slot]).sum()


def place_orders(
    decisions: DailyDecisions, pos: Book, world: World, draws: SupplyDraws, terms: Terms, day: int
) -> np.ndarray:
    """Place the day's PO lines (at least the MOQ) with their pre-drawn delays and partial receipts."""
    n = np.flatnonzero(decisions.order_quantity > 0)
    if not len(n):
        return np.zeros(0, dtype=np.int64)
    slot = decisions.order_slot[n]
    quantity = np.maximum(decisions.order_quantity[n], terms.moq[n, slot])
    receipts = plan_receipts(world, draws, day, n, slot, quantity)
    return pos.append(
        n=n,
        slot=slot,
        quantity=quantity,
        order_day=np.full(len(n), day),
        promised_day=receipts.promised_day,
        arrival_day=receipts.arrival_day,
        received_quantity=receipts.received_quantity,
        asn_lead=receipts.asn_lead,
        expedited=np.zeros(len(n), dtype=bool),
    )
