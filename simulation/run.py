"""One call from a config (and optionally a policy) to tables and metrics; pure, no files."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from simulation.config import SimulationConfig
from simulation.demand import Demand, generate_demand
from simulation.engine import EngineLog, EngineState, advance, finish, run, start_state
from simulation.outcomes import COST_COMPONENTS, canonical_tables, days_late, run_metrics, transfers_table
from simulation.policy import BaselinePolicy, Policy
from simulation.supply import SupplyDraws, generate_supply
from simulation.world import World, generate_world


@dataclass(frozen=True)
class SimulationResult:
    config: SimulationConfig
    tables: dict[str, pd.DataFrame]  # canonical tables, in contracts.tables.TABLE_ORDER
    transfers: pd.DataFrame
    initial_on_hand: pd.DataFrame  # sku_id, location_id, on_hand before the first day
    metrics: dict[str, object]

    def summary(self) -> dict[str, object]:
        """JSON-ready figures of the run plus the config that produced them."""
        config = asdict(self.config)
        config["start_date"] = self.config.start_date.isoformat()
        return {**self.metrics, "config": config}


def simulate(config: SimulationConfig, policy: Policy | None = None, world: World | None = None) -> SimulationResult:
    """Generate the world of ``config`` (or take ``world``, e.g. one calibrated from data, whose
    config must be ``config``) and run it under ``policy`` (default: the ERP baseline).

    Demand and supplier behaviour depend only on the config and seed, never on the policy.
    """
    if world is None:
        world = generate_world(config)
    elif world.config != config:
        raise ValueError("world.config must be the config simulated")
    demand = generate_demand(world)
    draws = generate_supply(world)
    log = run(world, demand, draws, policy or BaselinePolicy.from_config(config))
    initial = pd.DataFrame(
        {
            "sku_id": world.sku_ids[world.sku_of],
            "location_id": world.location_ids[world.location_of],
            "on_hand": log.initial_on_hand,
        }
    )
    return SimulationResult(
        config=config,
        tables=canonical_tables(world, demand, log),
        transfers=transfers_table(world, log),
        initial_on_hand=initial,
        metrics=run_metrics(world, demand, log),
    )


# ---- replay from a cut-off ---------------------------------------------------------------------
@dataclass(frozen=True)
class Replay:
    """One policy's run of the days from a checkpoint's cut-off to the end of the horizon."""

    log: EngineLog  # whole horizon: days before the cut-off are the shared history
    metrics: dict[str, object]  # over the replayed days only (see ``period_metrics``)


@dataclass(frozen=True)
class Checkpoint:
    """A world run under one policy up to day ``cutoff``; every ``resume`` starts from that state.

    Demand and supplier behaviour of the remaining days are pre-drawn (``demand``, ``draws``), so
    every policy resumed from here faces the same orders and the same supplier delays.
    """

    config: SimulationConfig
    world: World
    demand: Demand
    draws: SupplyDraws
    state: EngineState  # never mutated: ``resume`` works on a copy

    @property
    def cutoff(self) -> int:
        return self.state.day

    def resume(self, policy: Policy) -> Replay:
        """Run the days from the cut-off to the end under ``policy``."""
        state = advance(self.state.copy(), self.world, self.demand, self.draws, policy)
        log = finish(state, self.demand)
        return Replay(log, period_metrics(self.world, self.demand, log, self.cutoff))

    def history_tables(self) -> dict[str, pd.DataFrame]:
        """Canonical tables as known at the cut-off: nothing dated on or after it.

        Order lines and orders placed before the cut-off (shipments after it unknown), PO lines
        ordered before it (received only if received before it), ASNs sent before it, snapshots and
        stock movements before it, promotions announced before it; static tables in full.
        """
        world, cutoff = self.world, self.cutoff
        tables = canonical_tables(world, self.demand, finish(self.state.copy(), self.demand))
        edge = pd.Timestamp(world.date(cutoff))
        orders = tables["orders"]
        orders = orders[pd.to_datetime(orders["order_time"]) < edge]
        lines = tables["order_lines"]
        lines = lines[lines["order_id"].isin(orders["order_id"])]
        po = tables["purchase_orders"]
        po = po[pd.to_datetime(po["order_date"]) < edge].copy()
        later = pd.to_datetime(po["received_date"]) >= edge
        po["received_date"] = po["received_date"].where(~later, pd.NaT)
        po["received_quantity"] = po["received_quantity"].where(~later, pd.NA)
        asn = tables["asn_events"]
        snapshots = tables["inventory_snapshots"]
        promotions = tables["promotions"]
        movements = tables["inventory_movements"]
        return {
            **tables,
            "orders": orders.reset_index(drop=True),
            "order_lines": lines.reset_index(drop=True),
            "purchase_orders": po.reset_index(drop=True),
            "asn_events": asn[pd.to_datetime(asn["event_time"]) < edge].reset_index(drop=True),
            "inventory_snapshots": snapshots[pd.to_datetime(snapshots["snapshot_date"]) < edge].reset_index(drop=True),
            "inventory_movements": movements[pd.to_datetime(movements["movement_date"]) < edge].reset_index(drop=True),
            "promotions": promotions[pd.to_datetime(promotions["announced_date"]) < edge].reset_index(drop=True),
        }


def checkpoint(config: SimulationConfig, cutoff: int, policy: Policy | None = None) -> Checkpoint:
    """Generate the world of ``config`` and run days ``0 .. cutoff - 1`` under ``policy``."""
    if not 0 < cutoff < config.n_days:
        raise ValueError(f"cutoff must be in (0, n_days={config.n_days}), got {cutoff}")
    world = generate_world(config)
    demand = generate_demand(world)
    draws = generate_supply(world)
    state = advance(
        start_state(world, demand), world, demand, draws, policy or BaselinePolicy.from_config(config), cutoff
    )
    return Checkpoint(config, world, demand, draws, state)


def period_metrics(world: World, demand: Demand, log: EngineLog, first_day: int) -> dict[str, object]:
    """``run_metrics`` restricted to days ``first_day ..``: lines ordered then, costs and stock then."""
    n_days = world.config.n_days
    lines = demand.line_day >= first_day
    quantity = demand.line_quantity[lines]
    ordered, backordered = int(quantity.sum()), int(log.line_backordered[lines].sum())
    late = days_late(demand, log, n_days)[lines]
    cost = {name: float(log.daily_cost[name][first_day:].sum()) for name in COST_COMPONENTS}
    unit_cost = world.unit_cost[world.sku_of]
    short = log.line_backordered[lines] > 0
    return {
        "first_day": int(first_day),
        "days": int(n_days - first_day),
        "order_lines": int(lines.sum()),
        "ordered_units": ordered,
        "backordered_units": backordered,
        "fill_rate": 1 - backordered / ordered if ordered else 1.0,
        "substituted_units": int(log.line_substituted[lines].sum()),
        "lines_backordered": int(short.sum()),
        "backorder_rate": float(short.mean()) if len(short) else 0.0,
        "lines_late": int((late > 0).sum()),
        "avg_days_late": float(late[late > 0].mean()) if (late > 0).any() else 0.0,
        "avg_inventory_value": float((log.on_hand[first_day:] @ unit_cost).mean()),
        "purchase_orders": int((log.purchase_orders["order_day"] >= first_day).sum()),
        "total_cost": float(sum(cost.values())),
        "cost": cost,
    }
