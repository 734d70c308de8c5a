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
launches; open PO lines are counted as stock on the first day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from contracts.keys import DAY
from contracts.tables import TIERS
from simulation.config import Knobs, SimulationConfig
from simulation.supply import DRIFT_PERSISTENCE, DRIFT_STEP_SD
from simulation.world import Seasonality, World

MIN_HISTORY_DAYS = 56  # eight weeks: a weekly profile and a demand rate per SKU-location
MIN_RECEIVED_PO_LINES = 20  # enough received lines to tell lateness from noise
YEARLY_SEASONALITY_DAYS = 365  # a yearly sine is fitted only on a full year of history
RATE_WINDOW_DAYS = 365  # demand rates are the mean of the last year (or of all history if shorter)
EPISODE_WINDOW_DAYS = 29  # promotions and surges last 3-21 days: a month-long window tracks them
MAX_DISPERSION = 50.0  # negative-binomial shape cap: above it demand is practically Poisson
NEVER = 10**6  # a phase-out day beyond any horizon


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


def _weekly_profile(units_by_day: pd.Series) -> np.ndarray:
    """Mean units per weekday (Monday first) over the history, scaled to mean 1."""
    by_weekday = units_by_day.groupby(units_by_day.index.dayofweek).mean().reindex(range(7), fill_value=0.0)
    profile = by_weekday.to_numpy(dtype=float)
    return profile / profile.mean() if profile.mean() > 0 else np.ones(7)


def _yearly_sine(daily: pd.DataFrame, weekly: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Amplitude and phase (day of year) of a yearly sine per category, by least squares on the
    category's daily units divided by the weekly profile."""
    amplitude, phase = {}, {}
    for category, units in daily.items():
        y = units.to_numpy(dtype=float) / weekly[units.index.dayofweek]
        angle = 2 * np.pi * units.index.dayofyear.to_numpy() / 365.25
        design = np.column_stack([np.ones(len(y)), np.sin(angle), np.cos(angle)])
        (level, b, c), *_ = np.linalg.lstsq(design, y, rcond=None)
        amplitude[category] = float(np.clip(np.hypot(b, c) / level, 0, 0.9)) if level > 0 else 0.0
        phase[category] = float(np.arctan2(-c, b) * 365.25 / (2 * np.pi)) % 365.25
    return pd.Series(amplitude), pd.Series(phase)


def _dispersion(counts: np.ndarray, expected: np.ndarray, sku_of: np.ndarray, n_skus: int) -> np.ndarray:
    """Negative-binomial shape per SKU by moments, pooled over its locations: variance of the
    daily line counts around their expected value = mean + mean^2 / shape."""
    excess = np.bincount(sku_of, ((counts - expected) ** 2 - expected).sum(axis=0), n_skus)
    squared = np.bincount(sku_of, (expected**2).sum(axis=0), n_skus)
    shape = np.divide(squared, excess, out=np.full(n_skus, MAX_DISPERSION), where=excess > 0)
    return np.clip(shape, 0.05, MAX_DISPERSION)


def _local_expected(counts: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Expected daily counts: the level of a centred ``EPISODE_WINDOW_DAYS`` window times each
    day's weekly/yearly shape, so multi-day episodes (promotions, surges) move the level rather
    than count as day-to-day noise."""
    half = EPISODE_WINDOW_DAYS // 2
    n_days = len(counts)
    lo = np.clip(np.arange(n_days) - half, 0, n_days)
    hi = np.clip(np.arange(n_days) + half + 1, 0, n_days)

    def window_sum(values: np.ndarray) -> np.ndarray:
        total = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0, dtype=np.float64)])
        return total[hi] - total[lo]

    level = np.divide(window_sum(counts), window_sum(shape), out=np.zeros(counts.shape), where=shape.sum(0) > 0)
    return level * shape


def _base_delay(mean_late_days: np.ndarray) -> np.ndarray:
    """The simulator's supplier lateness ``m`` whose ``floor(m x Exp(1))`` has this mean.

    E[floor(m E)] = sum_k exp(-k/m) = 1 / (exp(1/m) - 1), so m = 1 / log(1 + 1/mean). The
    simulator multiplies ``m`` by a drifting factor exp(x), x an AR(1) whose stationary mean of
    exp(x) is exp(var / 2); ``m`` is divided by it so the simulated mean lateness is the observed one.
    """
    mean = np.maximum(mean_late_days, 1e-3)
    drift_variance = DRIFT_STEP_SD**2 / (1 - DRIFT_PERSISTENCE**2)
    return 1 / np.log1p(1 / mean) / np.exp(drift_variance / 2)


def calibrate(tables: Mapping[str, pd.DataFrame], seed: int = 0, defaults: Defaults = DEFAULTS) -> Calibration:
    """Estimate a simulator world from canonical tables (``skus``, ``orders``, ``order_lines`` and
    ``purchase_orders`` required; ``sku_suppliers``, ``locations`` and ``inventory_snapshots`` used
    when present). The world starts the day after the last order; ``world_for`` sets its horizon."""
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
    received = pos[pos["received_date"].notna()]
    if len(received) < MIN_RECEIVED_PO_LINES:
        return _no_world(
            f"{len(received)} purchase-order lines have been received; at least {MIN_RECEIVED_PO_LINES} are "
            "needed to estimate supplier lead times and delays", notes)

    sku_ids = np.sort(tables["skus"]["sku_id"].astype(str).unique())
    location_ids = np.sort(pd.unique(pd.concat([lines["location_id"], pos["location_id"]]).astype(str)))
    n_skus, n_loc = len(sku_ids), len(location_ids)
    sku_index = pd.Series(np.arange(n_skus), index=sku_ids)
    loc_index = pd.Series(np.arange(n_loc), index=location_ids)
    skus = (tables["skus"].assign(sku_id=tables["skus"]["sku_id"].astype(str))
            .drop_duplicates("sku_id").set_index("sku_id").reindex(sku_ids))
    notes.append(f"{n_skus} SKUs x {n_loc} locations, {history} days of orders ({first.date()} to {last.date()}); "
                 f"the what-if starts on {(last + DAY).date()}")

    # ---- demand ------------------------------------------------------------------------------
    window_start = max(first, last - (RATE_WINDOW_DAYS - 1) * DAY)
    window = int((last - window_start) / DAY) + 1
    line_day = lines[["order_id"]].merge(
        pd.DataFrame({"order_id": orders["order_id"], "day": day}), on="order_id", how="left")["day"].to_numpy()
    known = lines["sku_id"].astype(str).isin(sku_index.index).to_numpy() & ~pd.isna(line_day)
    sku = sku_index.reindex(lines["sku_id"].astype(str)).fillna(-1).to_numpy(dtype=np.int64)
    loc = loc_index.reindex(lines["location_id"].astype(str)).to_numpy(dtype=np.int64)
    quantity = lines["quantity"].to_numpy(dtype=float)
    n_total = n_skus * n_loc
    cell = sku * n_loc + loc
    all_days = pd.Series(0.0, index=pd.date_range(first, last, freq="D"))
    units_by_day = all_days.add(pd.Series(quantity[known], index=line_day[known]).groupby(level=0).sum(), fill_value=0)
    weekly = _weekly_profile(units_by_day)
    profile = ", ".join(f"{w:.2f}" for w in weekly)
    notes.append(f"weekly profile Mon-Sun {profile} (from units ordered per weekday)")

    has_category = "category" in skus
    category = skus["category"].fillna("unknown").astype(str).to_numpy() if has_category else np.full(n_skus, "all")
    if history >= YEARLY_SEASONALITY_DAYS:
        sold = pd.DataFrame({"day": line_day[known], "category": category[sku[known]], "units": quantity[known]})
        by_category = (sold
                       .pivot_table(index="day", columns="category", values="units", aggfunc="sum")
                       .reindex(all_days.index).fillna(0.0))
        amplitude_of, phase_of = _yearly_sine(by_category, weekly)
        amplitude = amplitude_of.reindex(category).fillna(0.0).to_numpy()
        phase = phase_of.reindex(category).fillna(0.0).to_numpy()
        notes.append(f"yearly seasonality: a sine per category, amplitude {amplitude_of.min():.0%} to "
                     f"{amplitude_of.max():.0%}")
    else:
        amplitude, phase = np.zeros(n_skus), np.zeros(n_skus)
        notes.append(f"yearly seasonality: none assumed (needs {YEARLY_SEASONALITY_DAYS} days of history)")

    in_window = known & (line_day >= np.datetime64(window_start))
    offset = ((line_day[in_window] - np.datetime64(window_start)) / DAY).astype(np.int64)
    counts = np.zeros((window, n_total), dtype=np.float32)
    np.add.at(counts, (offset, cell[in_window]), 1)
    units = np.bincount(cell[in_window], quantity[in_window], n_total)
    window_days = pd.date_range(window_start, last, freq="D")
    season = 1 + amplitude[None, :] * np.sin(
        2 * np.pi * (window_days.dayofyear.to_numpy()[:, None] - phase[None, :]) / 365.25)
    shape_t = weekly[window_days.dayofweek][:, None] * season  # (T, S) relative level per day
    sku_of, location_of = np.repeat(np.arange(n_skus), n_loc), np.tile(np.arange(n_loc), n_skus)
    base_units = units / shape_t.sum(axis=0)[sku_of]
    line_count = np.bincount(sku[known], minlength=n_skus)
    line_size = np.maximum(1.0, np.divide(np.bincount(sku[known], quantity[known], n_skus), line_count,
                                          out=np.ones(n_skus), where=line_count > 0))
    dispersion = _dispersion(counts, _local_expected(counts, shape_t[:, sku_of]), sku_of, n_skus)
    notes.append(f"demand: mean units per day per SKU-location over the last {window} days, deseasonalised; "
                 f"line size per SKU; day-to-day variability (negative-binomial shape, median "
                 f"{np.median(dispersion):.2f}) around a month-long level; no trend")
    phase_out = pd.to_datetime(skus["phase_out_date"] if "phase_out_date" in skus else pd.Series(pd.NaT, index=sku_ids))
    phase_out_day = ((phase_out - (last + DAY)) / DAY).fillna(NEVER).to_numpy().astype(np.int64)

    promotions = tables.get("promotions")
    promotions_per_year = 0.0
    if promotions is not None and len(promotions):
        promotions_per_year = len(promotions) / (n_total * history / 365)
    surges = SimulationConfig.surges_per_year
    notes.append(f"promotions: {promotions_per_year:.2f} per SKU-location-year from the promotions table, "
                 f"unplanned surges: the simulator's default {surges} per SKU-location-year (neither is "
                 "counted again in the day-to-day variability)")

    # ---- supply ------------------------------------------------------------------------------
    pos = pos[pos["sku_id"].astype(str).isin(sku_index.index)]
    po_sku = pos["sku_id"].astype(str)
    lead = (_days(pos["promised_date"]) - _days(pos["order_date"])) / DAY
    terms = tables.get("sku_suppliers")
    if terms is not None and len(terms) and "is_primary" in terms:
        primary = terms[terms["is_primary"].astype(bool)].drop_duplicates("sku_id")
        primary = primary.set_index(primary["sku_id"].astype(str))["supplier_id"].astype(str)
    else:
        primary = pd.Series(dtype=object)
    most_used = pos.assign(sku_id=po_sku).groupby("sku_id")["supplier_id"].agg(lambda s: s.astype(str).mode().iat[0])
    supplier_of_sku = primary.reindex(sku_ids).fillna(most_used.reindex(sku_ids))
    no_supplier = int(supplier_of_sku.isna().sum())
    supplier_ids = np.sort(pd.unique(pd.concat([supplier_of_sku.dropna(), pos["supplier_id"].astype(str)])))
    notes.append(f"primary supplier per SKU: {'sku_suppliers' if len(primary) else 'the one most ordered from'}"
                 + (f"; {no_supplier} SKUs without any supplier use the most common one" if no_supplier else ""))
    supplier_of_sku = supplier_of_sku.fillna(pos["supplier_id"].astype(str).mode().iat[0])
    supplier_index = pd.Series(np.arange(len(supplier_ids)), index=supplier_ids)
    supplier = supplier_index[supplier_of_sku.to_numpy()].to_numpy()

    pair_lead = pd.DataFrame({"sku_id": po_sku, "supplier_id": pos["supplier_id"].astype(str), "lead": lead})
    by_pair = pair_lead.groupby(["sku_id", "supplier_id"])["lead"].median()
    by_supplier = pair_lead.groupby("supplier_id")["lead"].median()
    quoted = pd.Series(by_pair.reindex(pd.MultiIndex.from_arrays([sku_ids, supplier_of_sku.to_numpy()])).to_numpy(),
                       index=sku_ids)
    from_pos = int(quoted.notna().sum())
    if terms is not None and "quoted_lead_time_days" in terms and len(primary):
        stated = (terms.assign(sku_id=terms["sku_id"].astype(str), supplier_id=terms["supplier_id"].astype(str))
                  .drop_duplicates(["sku_id", "supplier_id"]).set_index(["sku_id", "supplier_id"]))
        quoted = quoted.fillna(pd.Series(stated["quoted_lead_time_days"].reindex(
            pd.MultiIndex.from_arrays([sku_ids, supplier_of_sku.to_numpy()])).to_numpy(dtype=float), index=sku_ids))
    quoted = quoted.fillna(pd.Series(by_supplier.reindex(supplier_of_sku.to_numpy()).to_numpy(), index=sku_ids))
    quoted = quoted.fillna(float(lead.median()))
    quoted_lead = np.maximum(1, np.rint(quoted.to_numpy(dtype=float))).astype(np.int64)
    notes.append(f"lead time (promised - order date): median per SKU and supplier for {from_pos} of {n_skus} SKUs, "
                 "the rest from sku_suppliers' quoted lead time or the supplier's median; "
                 f"median {np.median(quoted_lead):.0f} days")

    delay = ((_days(received["received_date"]) - _days(received["promised_date"])) / DAY).to_numpy(dtype=float)
    rec_supplier = received["supplier_id"].astype(str).to_numpy()
    late = pd.Series(np.maximum(delay, 0), index=rec_supplier).groupby(level=0).mean()
    mean_late = late.reindex(supplier_ids).fillna(float(np.maximum(delay, 0).mean())).to_numpy()
    short = (received["received_quantity"].to_numpy(dtype=float) < received["quantity"].to_numpy(dtype=float))
    short_prob = pd.Series(short, index=rec_supplier).groupby(level=0).mean().reindex(supplier_ids)
    short_prob = short_prob.fillna(float(short.mean())).to_numpy()
    notes.append(f"supplier delay (received - promised date) from {len(received)} received PO lines: mean "
                 f"{np.maximum(delay, 0).mean():.2f} days late, {(delay < 0).mean():.0%} early (counted as on time); "
                 f"disruptions are folded into each supplier's mean; short shipments {short.mean():.1%}")

    # ---- costs and replenishment -------------------------------------------------------------
    unit_cost = skus["unit_cost"].astype(float).fillna(0).to_numpy()
    unit_price = skus["unit_price"].astype(float).fillna(0).to_numpy()
    purchase_cost = unit_cost.copy()
    moq = np.full(n_skus, defaults.moq, dtype=np.int64)
    if terms is not None and len(primary):
        chosen = terms.assign(sku_id=terms["sku_id"].astype(str), supplier_id=terms["supplier_id"].astype(str))
        chosen = chosen.set_index(["sku_id", "supplier_id"]).reindex(
            pd.MultiIndex.from_arrays([sku_ids, supplier_of_sku.to_numpy()]))
        if "unit_cost" in chosen:
            stated_cost = chosen["unit_cost"].astype(float).to_numpy()
            purchase_cost = np.where(np.isnan(stated_cost), unit_cost, stated_cost)
        if "moq" in chosen:
            moq = chosen["moq"].astype(float).fillna(defaults.moq).clip(lower=1).to_numpy().astype(np.int64)
            notes.append("MOQ and purchase cost from sku_suppliers")
    else:
        notes.append(f"MOQ: {defaults.moq} (no sku_suppliers terms); purchase cost = skus.unit_cost")
    locations = tables.get("locations")
    if locations is not None and "holding_cost_rate" in locations and len(locations):
        rate = locations.set_index(locations["location_id"].astype(str))["holding_cost_rate"]
        holding_rate = rate.reindex(location_ids).astype(float).fillna(defaults.holding_cost_rate).to_numpy()
        notes.append("holding cost rate per location from locations")
    else:
        holding_rate = np.full(n_loc, defaults.holding_cost_rate)
        notes.append(f"holding cost rate: {defaults.holding_cost_rate:.0%} a year (no locations table)")

    # The baseline orders an EOQ, q = sqrt(2 D K / h); the median PO quantity gives K = q^2 h / 2D.
    po_cell = (sku_index.reindex(po_sku).to_numpy() * n_loc
               + loc_index.reindex(pos["location_id"].astype(str)).to_numpy()).astype(np.int64)
    size = pd.Series(pos["quantity"].to_numpy(dtype=float)).groupby(po_cell).median()
    annual = base_units[size.index] * 365
    holding = holding_rate[location_of[size.index]] * purchase_cost[sku_of[size.index]]
    implied = np.divide(size.to_numpy() ** 2 * holding, 2 * annual, out=np.full(len(size), np.nan), where=annual > 0)
    implied = implied[np.isfinite(implied)]
    ordering_cost = float(np.clip(np.median(implied), 1, 10_000)) if len(implied) else defaults.ordering_cost
    notes.append(f"replenishment: the ERP baseline (reorder point at a {defaults.service_level:.0%} service level, "
                 f"order up to one EOQ) with an ordering cost of {ordering_cost:,.0f} per PO implied by the median "
                 "PO quantities" if len(implied) else f"ordering cost: {defaults.ordering_cost:,.0f} per PO (default)")

    # ---- customers ---------------------------------------------------------------------------
    n_customers = max(int(orders["customer_id"].nunique()) if "customer_id" in orders else n_loc, n_loc, 2)
    tiers = orders["customer_tier"].value_counts(normalize=True) if "customer_tier" in orders else pd.Series()
    tier_shares = tuple(float(tiers.get(t, 0.0)) for t in TIERS)
    if abs(sum(tier_shares) - 1) > 1e-6:
        tier_shares = defaults.tier_shares
    split = defaults.split_allowed_share
    if "allow_split" in orders:
        split = float(orders["allow_split"].astype(bool).mean())
    lines_per_order = max(1.0, len(lines) / max(orders["order_id"].nunique(), 1))

    # ---- starting stock ----------------------------------------------------------------------
    snapshots = tables.get("inventory_snapshots")
    initial: np.ndarray | None = None
    if snapshots is not None and len(snapshots):
        latest_day = _days(snapshots["snapshot_date"]).max()
        latest = snapshots[_days(snapshots["snapshot_date"]) == latest_day]
        stock = latest["on_hand"].astype(float) + (latest["in_transit"].astype(float).fillna(0)
                                                   if "in_transit" in latest else 0)
        where = (sku_index.reindex(latest["sku_id"].astype(str)).to_numpy() * n_loc
                 + loc_index.reindex(latest["location_id"].astype(str)).to_numpy())
        ok = np.isfinite(where)
        initial = np.bincount(where[ok].astype(np.int64), stock.to_numpy()[ok], n_total).astype(np.int64)
        notes.append(f"starting stock: on hand plus in transit on {latest_day.date()} (open PO lines count as "
                     "stock on the first day)")
    else:
        notes.append("starting stock: none in the data; the simulator's rule (demand over the lead time plus two "
                     "weeks)")

    n_sup = max(len(supplier_ids), 2)  # the simulator needs two suppliers; a spare one is never used
    pad = n_sup - len(supplier_ids)
    config = SimulationConfig(
        seed=seed, n_skus=n_skus, n_locations=max(n_loc, 2), n_suppliers=n_sup, n_days=max(history, 1),
        n_customers=n_customers, start_date=(last + DAY).date(),
        mean_line_size=float(max(1.0, np.average(line_size, weights=np.maximum(line_count, 1)))),
        median_dispersion=float(np.median(dispersion)), launch_share=0.0, phase_out_share=0.0,
        promotions_per_year=promotions_per_year, mean_lines_per_order=lines_per_order,
        split_allowed_share=split, tier_shares=tier_shares, disruptions_per_year=0.0,
        service_level=defaults.service_level, ordering_cost=ordering_cost,
    )
    no_secondary = np.full(n_skus, -1)
    world = World(
        config=config,
        sku_ids=sku_ids.astype(object),
        category=np.zeros(n_skus, dtype=np.int64),
        unit_cost=unit_cost,
        unit_price=unit_price,
        launch_day=np.full(n_skus, -NEVER),
        phase_out_day=phase_out_day,
        has_phase_out=phase_out_day < config.n_days,
        line_size=line_size,
        dispersion=dispersion,
        trend_per_year=np.zeros(n_skus),
        base_units=base_units.reshape(n_skus, n_loc),
        location_ids=location_ids.astype(object),
        location_names=location_ids.astype(object),
        regions=np.full(n_loc, "", dtype=object),
        holding_rate=holding_rate,
        supplier_ids=np.concatenate([supplier_ids, [f"unused-{i}" for i in range(pad)]]).astype(object),
        supplier_names=np.concatenate([supplier_ids, [f"unused-{i}" for i in range(pad)]]).astype(object),
        supplier_country=np.full(n_sup, "", dtype=object),
        supplier_base_delay=np.concatenate([_base_delay(mean_late), np.full(pad, 0.1)]),
        supplier_short_prob=np.concatenate([short_prob, np.zeros(pad)]),
        supplier=np.stack([supplier, no_secondary], axis=1),
        quoted_lead_time=np.stack([quoted_lead, np.zeros(n_skus, dtype=np.int64)], axis=1),
        purchase_cost=np.stack([purchase_cost, np.zeros(n_skus)], axis=1),
        moq=np.stack([moq, np.zeros(n_skus, dtype=np.int64)], axis=1),
        expedite_days_saved=np.zeros((n_skus, 2), dtype=np.int64),
        expedite_cost=np.zeros((n_skus, 2)),
        lane_transit_days=np.ones((n_loc, n_loc), dtype=np.int64),
        lane_cost=np.zeros((n_loc, n_loc)),
        seasonality=Seasonality(weekly=weekly, amplitude=amplitude, phase=phase),
        initial_on_hand=initial,
    )
    notes.append("not simulated: secondary suppliers, expedites and transfers (the baseline policy uses none)")
    return Calibration(config=config, world=world, notes=tuple(notes))
