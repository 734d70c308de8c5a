"""Turn a run into the canonical tables and the metrics that compare policies.

Tables use the column names of ``contracts.tables`` and plain dtypes; validation and writing
happen in the pipeline. Metrics are computed from the raw arrays so comparing policies does
not need the (large) tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.tables import TABLE_ORDER
from simulation.demand import TIER_NAMES, Demand
from simulation.engine import EngineLog
from simulation.world import World, world_tables

COST_COMPONENTS = ("holding", "backorder_penalty", "transfer", "expedite", "purchase")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1-based numbers, vectorized through pandas' string methods."""
    text = pd.Series(np.asarray(numbers) + 1, dtype="int64").astype(str).str.zfill(width)
    return (prefix + text).to_numpy(dtype=object)


def _nullable_date(world: World, day: np.ndarray, known: np.ndarray) -> pd.Series:
    return pd.Series(world.date(np.where(known, day, 0))).where(known, pd.NaT)


def _order_tables(world: World, demand: Demand, log: EngineLog) -> dict[str, pd.DataFrame]:
    order_ids = _ids("ORD-", np.arange(len(demand.order_day)), 7)
    seconds = demand.order_seconds.astype("timedelta64[s]").astype("timedelta64[ns]")
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": _ids("CUST-", demand.order_customer, 5),
            "customer_tier": np.array(TIER_NAMES, dtype=object)[demand.order_tier],
            "order_time": world.date(demand.order_day) + seconds,
            "allow_split": demand.order_allow_split,
        }
    )
    line_labels = np.array(
        [str(i) for i in range(int(demand.line_number.max(initial=0)) + 1)], dtype=object
    )
    shipped = log.line_shipped_day >= 0
    lines = pd.DataFrame(
        {
            "order_id": order_ids[demand.line_order],
            "line_id": line_labels[demand.line_number],
            "sku_id": world.sku_ids[world.sku_of[demand.line_n]],
            "location_id": world.location_ids[world.location_of[demand.line_n]],
            "quantity": demand.line_quantity,
            "requested_date": world.date(demand.line_requested_day),
            "shipped_quantity": log.line_shipped,
            "shipped_date": _nullable_date(world, log.line_shipped_day, shipped),
            "backordered_quantity": log.line_backordered,
        }
    )
    return {"orders": orders, "order_lines": lines}


def _purchase_tables(world: World, log: EngineLog) -> dict[str, pd.DataFrame]:
    po = log.purchase_orders
    n_days = world.config.n_days
    sku = world.sku_of[po["n"]]
    po_ids = _ids("PO-", np.arange(len(po["n"])), 7)
    received = po["arrival_day"] < n_days
    purchase_orders = pd.DataFrame(
        {
            "po_id": po_ids,
            "supplier_id": world.supplier_ids[world.supplier[sku, po["slot"]]],
            "sku_id": world.sku_ids[sku],
            "location_id": world.location_ids[world.location_of[po["n"]]],
            "quantity": po["quantity"],
            "order_date": world.date(po["order_day"]),
            "promised_date": world.date(po["promised_day"]),
            "received_date": _nullable_date(world, po["arrival_day"], received),
            "received_quantity": pd.Series(po["received_quantity"], dtype="Int64").where(
                received, pd.NA
            ),
            "is_expedited": po["expedited"],
        }
    )
    asn_day = np.maximum(po["order_day"], po["arrival_day"] - po["asn_lead"])
    sent = asn_day < n_days
    asn = pd.DataFrame(
        {
            "asn_id": _ids("ASN-", np.flatnonzero(sent), 7),
            "po_id": po_ids[sent],
            "event_time": world.date(asn_day[sent]) + np.timedelta64(6, "h"),
            "eta": world.date(po["arrival_day"][sent]),
            "quantity": po["received_quantity"][sent],
        }
    )
    return {"purchase_orders": purchase_orders, "asn_events": asn}


def _snapshots(world: World, log: EngineLog) -> pd.DataFrame:
    n_days, n_total = log.on_hand.shape
    return pd.DataFrame(
        {
            "snapshot_date": np.repeat(world.date(np.arange(n_days)), n_total),
            "sku_id": np.tile(world.sku_ids[world.sku_of], n_days),
            "location_id": np.tile(world.location_ids[world.location_of], n_days),
            "on_hand": log.on_hand.ravel().astype(np.int64),
            "allocated": log.allocated.ravel().astype(np.int64),
            "in_transit": log.in_transit.ravel().astype(np.int64),
            "backordered": log.backordered.ravel().astype(np.int64),
        }
    )


def _movements(world: World, log: EngineLog) -> pd.DataFrame:
    """Transfers as stock movements: a leg out of the source on the ship day and, once it has
    arrived within the horizon, a leg into the target on the arrival day."""
    moves = log.transfers
    transfer_ids = _ids("TRF-", np.arange(len(moves["source"])), 7)
    arrived = moves["arrival_day"] < world.config.n_days
    legs = [
        (transfer_ids + "-OUT", moves["source"], moves["target"], moves["ship_day"], -moves["quantity"]),
        (
            transfer_ids[arrived] + "-IN",
            moves["target"][arrived],
            moves["source"][arrived],
            moves["arrival_day"][arrived],
            moves["quantity"][arrived],
        ),
    ]
    ids, here, there, day, delta = (np.concatenate(parts) for parts in zip(*legs, strict=True))
    return pd.DataFrame(
        {
            "movement_id": ids.astype(object),
            "sku_id": world.sku_ids[world.sku_of[here]],
            "location_id": world.location_ids[world.location_of[here]],
            "movement_date": world.date(day),
            "quantity_delta": delta.astype(np.int64),
            "reason_code": np.full(len(ids), "transfer", dtype=object),
            "counterpart_location_id": world.location_ids[world.location_of[there]],
        }
    )


def _promotions(world: World, demand: Demand) -> pd.DataFrame:
    promo = demand.promotions
    return pd.DataFrame(
        {
            "promotion_id": _ids("PROMO-", np.arange(len(promo.n)), 6),
            "sku_id": world.sku_ids[world.sku_of[promo.n]],
            "location_id": world.location_ids[world.location_of[promo.n]],
            "announced_date": world.date(promo.announced_day),
            "start_date": world.date(promo.start_day),
            "end_date": world.date(promo.end_day),
            "discount_pct": promo.discount,
        }
    )


def canonical_tables(world: World, demand: Demand, log: EngineLog) -> dict[str, pd.DataFrame]:
    """Every canonical table of the run, keyed and ordered as ``contracts.tables.TABLE_ORDER``."""
    tables = {
        **world_tables(world),
        **_order_tables(world, demand, log),
        **_purchase_tables(world, log),
        "inventory_snapshots": _snapshots(world, log),
        "inventory_movements": _movements(world, log),
        "promotions": _promotions(world, demand),
    }
    return {name: tables[name] for name in TABLE_ORDER}


def transfers_table(world: World, log: EngineLog) -> pd.DataFrame:
    """Stock transfers (not a canonical table; needed to reconcile stock per SKU-location)."""
    moves = log.transfers
    return pd.DataFrame(
        {
            "sku_id": world.sku_ids[world.sku_of[moves["source"]]],
            "from_location_id": world.location_ids[world.location_of[moves["source"]]],
            "to_location_id": world.location_ids[world.location_of[moves["target"]]],
            "quantity": moves["quantity"],
            "ship_date": world.date(moves["ship_day"]),
            "arrival_date": world.date(moves["arrival_day"]),
        }
    )


def days_late(demand: Demand, log: EngineLog, n_days: int) -> np.ndarray:
    """Days after the requested date a line shipped in full (still open: up to the last day)."""
    finished = np.where(log.line_shipped_day >= 0, log.line_shipped_day, n_days - 1)
    return np.maximum(0, finished - demand.line_requested_day)


def run_metrics(world: World, demand: Demand, log: EngineLog) -> dict[str, object]:
    """Service and cost of a run: what a decision engine must beat the baseline on."""
    ordered = int(demand.line_quantity.sum())
    backordered = int(log.line_backordered.sum())
    late = days_late(demand, log, world.config.n_days)
    cost = {name: float(log.daily_cost[name].sum()) for name in COST_COMPONENTS}
    unit_cost = world.unit_cost[world.sku_of]
    return {
        "order_lines": int(len(demand.line_quantity)),
        "ordered_units": ordered,
        "backordered_units": backordered,
        "fill_rate": 1 - backordered / ordered if ordered else 1.0,
        "substituted_units": int(log.line_substituted.sum()),
        "lines_backordered": int((log.line_backordered > 0).sum()),
        "backorder_rate": float((log.line_backordered > 0).mean()) if len(late) else 0.0,
        "lines_late": int((late > 0).sum()),
        "avg_days_late": float(late[late > 0].mean()) if (late > 0).any() else 0.0,
        "avg_inventory_value": float((log.on_hand @ unit_cost).mean()),
        "purchase_orders": int(len(log.purchase_orders["n"])),
        "total_cost": float(sum(cost.values())),
        "cost": cost,
    }
