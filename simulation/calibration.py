"""Calibrate a simulator world from the canonical tables, so a what-if runs on the user's network.

``calibrate`` estimates what the simulator needs from the history: per SKU-location demand rates,
line sizes and day-to-day variability, the weekly profile and a yearly sine per category from
``order_lines``/``orders``; each SKU's primary supplier and lead time (promised - ordered) and
each supplier's lateness (received - promised) and short-shipment rate from ``purchase_orders``;
costs from ``skus`` and ``sku_suppliers``; starting stock from the latest inventory snapshot; the
ERP baseline's ordering cost from the PO quantities. What it cannot estimate falls back to a stated
default, and every estimate and default is listed in ``Calibration.notes``. When the data cannot
support a what-if at all, ``Calibration.cannot_run`` says why and there is no world.

Simplifications (also in the notes): supplier disruptions are folded into each supplier's mean
lateness; unplanned surges keep the simulator's default rate (history cannot tell them from
promotions it was not told about); early deliveries count as on time; demand has no trend and no
launches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from contracts.keys import DAY
from contracts.tables import TIERS
from simulation.config import Knobs, SimulationConfig
from simulation.demand_estimation import WorldKeys, estimate_demand
from simulation.supply import DRIFT_PERSISTENCE, DRIFT_STEP_SD
from simulation.world import MAX_SUBSTITUTES, OpenPurchaseOrders, Seasonality, World

MIN_HISTORY_DAYS = 56  # eight weeks: a weekly profile and a demand rate per SKU-location
MIN_RECEIVED_PO_LINES = 20  # enough received lines to tell lateness from noise
NEVER = 10**6  # a phase-out day beyond any horizon
STALE_PO_DAYS = 90  # an open PO line promised longer ago than this is taken as never coming


@dataclass(frozen=True)
class Defaults:
    """What a calibrated world assumes where the data says nothing."""

    holding_cost_rate: float = 0.25  # per year, fraction of unit cost
    moq: int = 1
    ordering_cost: float = 50.0  # per purchase order
    service_level: float = 0.95
    tier_shares: tuple[float, float, float] = (0.15, 0.35, 0.50)
    split_allowed_share: float = 0.8


DEFAULTS = Defaults()


@dataclass(frozen=True)
class Calibration:
    """A world estimated from data, what was estimated or assumed, or why there is no world."""

    config: SimulationConfig | None
    world: World | None
    notes: tuple[str, ...]
    cannot_run: str | None = None

    def world_for(self, knobs: Knobs, n_days: int) -> World:
        """The calibrated world under ``knobs`` for an ``n_days`` run (quoted lead times scaled)."""
        if self.world is None or self.config is None:
            raise ValueError(f"no calibrated world: {self.cannot_run}")
        config = replace(self.config, knobs=knobs, n_days=n_days)
        base = self.world.quoted_lead_time
        scaled = np.where(base > 0, np.maximum(1, np.rint(base * knobs.lead_time_scale)), 0).astype(np.int64)
        return replace(
            self.world,
            config=config,
            quoted_lead_time=scaled,
            has_phase_out=self.world.phase_out_day < n_days,
        )


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.normalize()


def _no_world(reason: str, notes: list[str]) -> Calibration:
    return Calibration(config=None, world=None, notes=tuple(notes), cannot_run=reason)


def _base_delay(mean_late_days: np.ndarray) -> np.ndarray:
    """The simulator's supplier lateness ``m`` whose ``floor(m x Exp(1))`` has this mean.

    E[floor(m E)] = sum_k exp(-k/m) = 1 / (exp(1/m) - 1), so m = 1 / log(1 + 1/mean). The
    simulator multiplies ``m`` by a drifting factor exp(x), x an AR(1) whose stationary mean of
    exp(x) is exp(var / 2); ``m`` is divided by it so the simulated mean lateness is the observed one.
    """
    mean = np.maximum(mean_late_days, 1e-3)
    drift_variance = DRIFT_STEP_SD**2 / (1 - DRIFT_PERSISTENCE**2)
    return 1 / np.log1p(1 / mean) / np.exp(drift_variance / 2)


@dataclass(frozen=True)
class _Supply:
    supplier_ids: np.ndarray
    supplier: np.ndarray  # (S,) primary supplier index
    quoted_lead: np.ndarray
    mean_late: np.ndarray  # (suppliers,) mean days late
    base_delay: np.ndarray
    short_prob: np.ndarray


def _substitutes(table: pd.DataFrame | None, keys: WorldKeys, notes: list[str]) -> np.ndarray | None:
    """Each SKU's substitutes from ``sku_substitutes`` as the world holds them: up to
    ``MAX_SUBSTITUTES`` SKU indices by priority, -1 where none; None without the table."""
    if table is None or table.empty:
        notes.append("substitutes: none (no sku_substitutes table)")
        return None
    position = pd.Series(np.arange(keys.n_skus), index=keys.sku_ids)
    pairs = pd.DataFrame(
        {
            "sku": position.reindex(table["sku_id"].astype(str).to_numpy()).to_numpy(),
            "substitute": position.reindex(table["substitute_sku_id"].astype(str).to_numpy()).to_numpy(),
            "priority": table["priority"].to_numpy(dtype=float),
        }
    ).dropna()
    pairs = pairs.sort_values(["sku", "priority", "substitute"], kind="stable")
    pairs["rank"] = pairs.groupby("sku").cumcount()
    pairs = pairs[pairs["rank"] < MAX_SUBSTITUTES].astype(np.int64)
    ranked = np.full((keys.n_skus, MAX_SUBSTITUTES), -1, dtype=np.int64)
    ranked[pairs["sku"].to_numpy(), pairs["rank"].to_numpy()] = pairs["substitute"].to_numpy()
    notes.append(
        f"substitutes: {int((ranked[:, 0] >= 0).sum())} SKUs with up to {MAX_SUBSTITUTES} each from sku_substitutes"
    )
    return ranked


def _primary_suppliers(pos: pd.DataFrame, terms: pd.DataFrame | None, keys: WorldKeys, notes: list[str]) -> pd.Series:
    """Supplier id per SKU: the primary of ``sku_suppliers``, else the one most ordered from."""
    primary = pd.Series(dtype=object)
    if terms is not None and len(terms) and "is_primary" in terms:
        chosen = terms[terms["is_primary"].astype(bool)].drop_duplicates("sku_id")
        primary = pd.Series(chosen["supplier_id"].astype(str).to_numpy(), index=chosen["sku_id"].astype(str))
    most_used = pos.groupby(pos["sku_id"].astype(str))["supplier_id"].agg(lambda s: s.astype(str).mode().iat[0])
    supplier = primary.reindex(keys.sku_ids).fillna(most_used.reindex(keys.sku_ids))
    missing = int(supplier.isna().sum())
    notes.append(f"primary supplier per SKU: {'sku_suppliers' if len(primary) else 'the one most ordered from'}"
                 + (f"; {missing} SKUs without any supplier use the most common one" if missing else ""))
    return supplier.fillna(pos["supplier_id"].astype(str).mode().iat[0])


def _supply(pos: pd.DataFrame, terms: pd.DataFrame | None, keys: WorldKeys, notes: list[str]) -> _Supply:
    """Primary supplier and lead time per SKU; lateness and short-shipment rate per supplier."""
    pos = pos[np.isfinite(keys.sku(pos["sku_id"]))]
    primary = _primary_suppliers(pos, terms, keys, notes)
    supplier_ids = np.sort(pd.unique(pd.concat([primary, pos["supplier_id"].astype(str)])))
    pairs = pd.MultiIndex.from_arrays([keys.sku_ids, primary.to_numpy()])
    lead = pd.DataFrame({"sku_id": pos["sku_id"].astype(str), "supplier_id": pos["supplier_id"].astype(str),
                         "lead": (_days(pos["promised_date"]) - _days(pos["order_date"])) / DAY})
    quoted = pd.Series(lead.groupby(["sku_id", "supplier_id"])["lead"].median().reindex(pairs).to_numpy(),
                       index=keys.sku_ids)
    from_pos = int(quoted.notna().sum())
    if terms is not None and len(terms) and "quoted_lead_time_days" in terms:
        stated = terms.set_index([terms["sku_id"].astype(str), terms["supplier_id"].astype(str)])
        stated = stated[~stated.index.duplicated()]["quoted_lead_time_days"].reindex(pairs)
        quoted = quoted.fillna(pd.Series(stated.to_numpy(dtype=float), index=keys.sku_ids))
    by_supplier = lead.groupby("supplier_id")["lead"].median().reindex(primary.to_numpy())
    quoted = quoted.fillna(pd.Series(by_supplier.to_numpy(), index=keys.sku_ids)).fillna(float(lead["lead"].median()))
    quoted_lead = np.maximum(1, np.rint(quoted.to_numpy(dtype=float))).astype(np.int64)
    notes.append(f"lead time (promised - order date): median per SKU and supplier for {from_pos} of {keys.n_skus} "
                 "SKUs, the rest from sku_suppliers' quoted lead time or the supplier's median; "
                 f"median {np.median(quoted_lead):.0f} days")

    received = pos[pos["received_date"].notna()]
    delay = ((_days(received["received_date"]) - _days(received["promised_date"])) / DAY).to_numpy(dtype=float)
    by = received["supplier_id"].astype(str).to_numpy()
    late = pd.Series(np.maximum(delay, 0), index=by).groupby(level=0).mean()
    mean_late = late.reindex(supplier_ids).fillna(float(np.maximum(delay, 0).mean())).to_numpy()
    short = received["received_quantity"].to_numpy(dtype=float) < received["quantity"].to_numpy(dtype=float)
    short_prob = pd.Series(short, index=by).groupby(level=0).mean().reindex(supplier_ids)
    notes.append(f"supplier delay (received - promised date) from {len(received)} received PO lines: mean "
                 f"{np.maximum(delay, 0).mean():.2f} days late, {(delay < 0).mean():.0%} early (counted as on time); "
                 f"disruptions are folded into each supplier's mean; short shipments {short.mean():.1%}")
    index = pd.Series(np.arange(len(supplier_ids)), index=supplier_ids)
    return _Supply(supplier_ids, index[primary.to_numpy()].to_numpy(), quoted_lead, mean_late, _base_delay(mean_late),
                   short_prob.fillna(float(short.mean())).to_numpy())


def _ordering_cost(pos: pd.DataFrame, keys: WorldKeys, base_units: np.ndarray, holding: np.ndarray,
                   defaults: Defaults, notes: list[str]) -> float:
    """The ERP rule's cost per order implied by its order size: an EOQ q = sqrt(2 D K / h) gives
    K = q^2 h / 2D, from the median PO quantity per SKU-location (``holding`` per unit and year)."""
    cell = keys.cell(pos["sku_id"], pos["location_id"])
    known = np.isfinite(cell)
    size = pd.Series(pos["quantity"].to_numpy(dtype=float)[known]).groupby(cell[known].astype(np.int64)).median()
    annual = base_units[size.index] * 365
    implied = np.divide(size.to_numpy() ** 2 * holding[size.index], 2 * annual, out=np.full(len(size), np.nan),
                        where=annual > 0)
    implied = implied[np.isfinite(implied)]
    if not len(implied):
        notes.append(f"ordering cost: {defaults.ordering_cost:,.0f} per PO (default)")
        return defaults.ordering_cost
    cost = float(np.clip(np.median(implied), 1, 10_000))
    notes.append(f"replenishment: the ERP baseline (reorder point at a {defaults.service_level:.0%} service level, "
                 f"order up to one EOQ) with an ordering cost of {cost:,.0f} per PO implied by the median "
                 "PO quantities")
    return cost


def _starting_stock(snapshots: pd.DataFrame | None, keys: WorldKeys, notes: list[str]) -> np.ndarray | None:
    """On hand per SKU-location on the latest snapshot day; None without snapshots."""
    if snapshots is None or not len(snapshots):
        notes.append("starting stock: none in the data; the simulator's rule (demand over the lead time plus two "
                     "weeks)")
        return None
    days = _days(snapshots["snapshot_date"])
    latest = snapshots[days == days.max()]
    cell = keys.cell(latest["sku_id"], latest["location_id"])
    known = np.isfinite(cell)
    notes.append(f"starting stock: on hand on {days.max().date()}")
    stock = latest["on_hand"].to_numpy(dtype=float)[known]
    return np.bincount(cell[known].astype(np.int64), stock, keys.n_sku_locations).astype(np.int64)


def _open_purchase_orders(pos: pd.DataFrame, keys: WorldKeys, supply: _Supply, start: pd.Timestamp,
                          notes: list[str]) -> OpenPurchaseOrders:
    """PO lines not received yet, arriving at their promised date plus their supplier's mean
    lateness (overdue ones from the first day); lines overdue by more than ``STALE_PO_DAYS`` are left out."""
    open_lines = pos[pos["received_date"].isna()]
    promised = (_days(open_lines["promised_date"]) - start) / DAY
    cell = keys.cell(open_lines["sku_id"], open_lines["location_id"])
    keep = (np.isfinite(cell) & (promised >= -STALE_PO_DAYS)).to_numpy()
    open_lines, cell, promised = open_lines[keep], cell[keep].astype(np.int64), promised[keep].to_numpy(dtype=np.int64)
    late = pd.Series(supply.mean_late, supply.supplier_ids).reindex(open_lines["supplier_id"].astype(str))
    arrival = np.maximum(0, promised + np.rint(late.fillna(float(np.mean(supply.mean_late))).to_numpy()))
    notes.append(f"open PO lines: {len(open_lines)} arrive at their promised date plus their supplier's mean "
                 f"lateness ({int((~keep).sum())} more than {STALE_PO_DAYS} days overdue left out)")
    return OpenPurchaseOrders(
        n=cell,
        quantity=open_lines["quantity"].to_numpy(dtype=np.int64),
        order_day=((_days(open_lines["order_date"]) - start) / DAY).to_numpy(dtype=np.int64),
        promised_day=promised,
        arrival_day=arrival.astype(np.int64),
    )


def _customers(orders: pd.DataFrame, n_lines: int, defaults: Defaults) -> dict[str, object]:
    """Config fields of the customer side: customers, tier shares, split flag, lines per order."""
    tiers = orders["customer_tier"].value_counts(normalize=True) if "customer_tier" in orders else pd.Series()
    tier_shares = tuple(float(tiers.get(t, 0.0)) for t in TIERS)
    return {
        "n_customers": int(orders["customer_id"].nunique()) if "customer_id" in orders else 0,
        "tier_shares": tier_shares if abs(sum(tier_shares) - 1) < 1e-6 else defaults.tier_shares,
        "split_allowed_share": (float(orders["allow_split"].astype(bool).mean()) if "allow_split" in orders
                                else defaults.split_allowed_share),
        "mean_lines_per_order": max(1.0, n_lines / max(orders["order_id"].nunique(), 1)),
    }


def calibrate(tables: Mapping[str, pd.DataFrame], seed: int = 0, defaults: Defaults = DEFAULTS) -> Calibration:
    """Estimate a simulator world from canonical tables (``skus``, ``orders``, ``order_lines`` and
    ``purchase_orders`` required; ``sku_suppliers``, ``locations``, ``inventory_snapshots`` and
    ``promotions`` used when present). The world starts the day after the last order and is run
    under the ERP baseline rule; ``world_for`` sets its horizon and knobs."""
    for name in ("skus", "orders", "order_lines", "purchase_orders"):
        if name not in tables:
            raise ValueError(f"calibrate needs the {name} table")
    notes: list[str] = []
    orders, lines, pos = tables["orders"], tables["order_lines"], tables["purchase_orders"]
    if lines.empty:
        return _no_world("there are no order lines, so there is no demand to simulate", notes)
    day = _days(orders["order_time"])
    first, last = day.min(), day.max()
    history = int((last - first) / DAY) + 1
    if history < MIN_HISTORY_DAYS:
        return _no_world(
            f"the order history covers {history} days; at least {MIN_HISTORY_DAYS} are needed to estimate "
            "demand rates and the weekly pattern", notes)
    received = int(pos["received_date"].notna().sum())
    if received < MIN_RECEIVED_PO_LINES:
        return _no_world(
            f"{received} purchase-order lines have been received; at least {MIN_RECEIVED_PO_LINES} are "
            "needed to estimate supplier lead times and delays", notes)

    keys = WorldKeys(np.sort(tables["skus"]["sku_id"].astype(str).unique()),
                 np.sort(pd.unique(pd.concat([lines["location_id"], pos["location_id"]]).astype(str))))
    n_skus, n_loc = keys.n_skus, keys.n_locations
    skus = (tables["skus"].assign(sku_id=tables["skus"]["sku_id"].astype(str))
            .drop_duplicates("sku_id").set_index("sku_id").reindex(keys.sku_ids))
    notes.append(f"{n_skus} SKUs x {n_loc} locations, {history} days of orders ({first.date()} to {last.date()}); "
                 f"the what-if starts on {(last + DAY).date()}")

    line_day = pd.Series(day.to_numpy(), index=orders["order_id"].to_numpy())
    line_day = line_day[~line_day.index.duplicated()].reindex(lines["order_id"].to_numpy()).to_numpy()
    category = (skus["category"].fillna("unknown").astype(str).to_numpy() if "category" in skus
                else np.full(n_skus, "all"))
    demand = estimate_demand(lines, line_day, keys, category, first, last, notes)
    phase_out = pd.to_datetime(skus["phase_out_date"]) if "phase_out_date" in skus else pd.Series(pd.NaT, keys.sku_ids)
    phase_out_day = ((phase_out - (last + DAY)) / DAY).fillna(NEVER).to_numpy().astype(np.int64)
    promotions = tables.get("promotions")
    promotions_per_year = len(promotions) / (keys.n_sku_locations * history / 365) if promotions is not None else 0.0
    notes.append(f"promotions: {promotions_per_year:.2f} per SKU-location-year from the promotions table, "
                 f"unplanned surges: the simulator's default {SimulationConfig.surges_per_year} per "
                 "SKU-location-year (neither is counted again in the day-to-day variability)")

    terms = tables.get("sku_suppliers")
    supply = _supply(pos, terms, keys, notes)
    unit_cost = skus["unit_cost"].astype(float).fillna(0).to_numpy()
    purchase_cost, moq = unit_cost, np.full(n_skus, defaults.moq, dtype=np.int64)
    if terms is not None and len(terms):
        chosen = terms.set_index([terms["sku_id"].astype(str), terms["supplier_id"].astype(str)])
        chosen = chosen[~chosen.index.duplicated()].reindex(
            pd.MultiIndex.from_arrays([keys.sku_ids, supply.supplier_ids[supply.supplier]]))
        purchase_cost = chosen["unit_cost"].astype(float).fillna(pd.Series(unit_cost, chosen.index)).to_numpy()
        moq = chosen["moq"].astype(float).fillna(defaults.moq).clip(lower=1).to_numpy().astype(np.int64)
        notes.append("MOQ and purchase cost from sku_suppliers")
    else:
        notes.append(f"MOQ: {defaults.moq} (no sku_suppliers terms); purchase cost = skus.unit_cost")
    locations = tables.get("locations")
    holding_rate = np.full(n_loc, defaults.holding_cost_rate)
    if locations is not None and len(locations):
        rate = pd.Series(locations["holding_cost_rate"].to_numpy(dtype=float), locations["location_id"].astype(str))
        holding_rate = rate[~rate.index.duplicated()].reindex(keys.location_ids).fillna(defaults.holding_cost_rate)
        holding_rate = holding_rate.to_numpy()
        notes.append("holding cost rate per location from locations")
    else:
        notes.append(f"holding cost rate: {defaults.holding_cost_rate:.0%} a year (no locations table)")
    sku_of, location_of = np.repeat(np.arange(n_skus), n_loc), np.tile(np.arange(n_loc), n_skus)
    ordering_cost = _ordering_cost(pos, keys, demand.base_units, holding_rate[location_of] * purchase_cost[sku_of],
                                   defaults, notes)
    initial = _starting_stock(tables.get("inventory_snapshots"), keys, notes)
    customers = _customers(orders, len(lines), defaults)
    customers["n_customers"] = max(customers["n_customers"], n_loc, 2)

    n_sup = max(len(supply.supplier_ids), 2)  # the simulator needs two suppliers; a spare one is never used
    pad = n_sup - len(supply.supplier_ids)
    supplier_ids = np.concatenate([supply.supplier_ids, [f"unused-{i}" for i in range(pad)]]).astype(object)
    config = SimulationConfig(
        seed=seed, n_skus=n_skus, n_locations=max(n_loc, 2), n_suppliers=n_sup, n_days=history,
        start_date=(last + DAY).date(), launch_share=0.0, phase_out_share=0.0, disruptions_per_year=0.0,
        mean_line_size=float(np.average(demand.line_size, weights=np.maximum(demand.line_count, 1))),
        median_dispersion=float(np.median(demand.dispersion)), promotions_per_year=promotions_per_year,
        service_level=defaults.service_level, ordering_cost=ordering_cost, **customers,  # type: ignore[arg-type]
    )
    no_second = np.zeros(n_skus)
    world = World(
        config=config,
        sku_ids=keys.sku_ids.astype(object),
        category=np.zeros(n_skus, dtype=np.int64),
        unit_cost=unit_cost,
        unit_price=skus["unit_price"].astype(float).fillna(0).to_numpy(),
        launch_day=np.full(n_skus, -NEVER),
        phase_out_day=phase_out_day,
        has_phase_out=phase_out_day < config.n_days,
        line_size=demand.line_size,
        dispersion=demand.dispersion,
        trend_per_year=np.zeros(n_skus),
        base_units=demand.base_units.reshape(n_skus, n_loc),
        location_ids=keys.location_ids.astype(object),
        location_names=keys.location_ids.astype(object),
        regions=np.full(n_loc, "", dtype=object),
        holding_rate=holding_rate,
        supplier_ids=supplier_ids,
        supplier_names=supplier_ids,
        supplier_country=np.full(n_sup, "", dtype=object),
        supplier_base_delay=np.concatenate([supply.base_delay, np.full(pad, 0.1)]),
        supplier_short_prob=np.concatenate([supply.short_prob, np.zeros(pad)]),
        supplier=np.stack([supply.supplier, np.full(n_skus, -1)], axis=1),
        quoted_lead_time=np.stack([supply.quoted_lead, no_second.astype(np.int64)], axis=1),
        purchase_cost=np.stack([purchase_cost, no_second], axis=1),
        moq=np.stack([moq, no_second.astype(np.int64)], axis=1),
        expedite_days_saved=np.zeros((n_skus, 2), dtype=np.int64),
        expedite_cost=np.zeros((n_skus, 2)),
        lane_transit_days=np.ones((n_loc, n_loc), dtype=np.int64),
        lane_cost=np.zeros((n_loc, n_loc)),
        seasonality=Seasonality(weekly=demand.weekly, amplitude=demand.amplitude, phase=demand.phase),
        initial_on_hand=initial,
        open_purchase_orders=_open_purchase_orders(pos, keys, supply, last + DAY, notes),
        substitutes=_substitutes(tables.get("sku_substitutes"), keys, notes),
    )
    notes.append("not simulated: secondary suppliers, expedites and transfers (the baseline policy uses none)")
    return Calibration(config=config, world=world, notes=tuple(notes))
