"""The static world: SKUs, locations, suppliers, purchasing terms and transfer lanes.

Arrays are indexed by SKU (``s``), location (``l``), supplier and SKU-location ``n = s * L + l``.
Purchasing terms are stored per SKU with two slots: 0 = primary supplier, 1 = secondary
(absent where ``secondary < 0``). The world does not depend on the knobs except through the
lead-time scale, which stretches quoted lead times deterministically, so knob scenarios of one
seed share the same SKUs, suppliers and demand parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.config import SimulationConfig
from simulation.streams import stream

CATEGORIES = ("beverages", "snacks", "household", "personal_care", "electronics", "garden")
# (country, lead-time range in days, base delay multiplier): overseas sources are slower and
# somewhat less reliable.
SOURCES = (
    ("US", (4, 10), 0.6),
    ("MX", (8, 15), 1.0),
    ("CN", (25, 45), 1.4),
    ("VN", (25, 40), 1.5),
    ("DE", (12, 20), 0.8),
    ("IN", (28, 45), 1.6),
)
REGIONS = ("north", "south", "east", "west", "central", "northwest", "southeast", "southwest")
NICE_MOQ = np.array([1, 5, 10, 20, 50, 100, 200, 500, 1000])
MAX_SUBSTITUTES = 2


@dataclass(frozen=True)
class Seasonality:
    """Demand seasonality given as data instead of drawn: weekly profile and yearly sine per SKU."""

    weekly: np.ndarray  # (7,) Monday..Sunday, mean 1
    amplitude: np.ndarray  # (S,) relative amplitude of the yearly sine
    phase: np.ndarray  # (S,) day of year where the sine crosses 1 going up


@dataclass(frozen=True)
class OpenPurchaseOrders:
    """PO lines already open before day 0 (from the primary supplier), arriving in full."""

    n: np.ndarray  # SKU-location
    quantity: np.ndarray
    order_day: np.ndarray  # negative: before the horizon
    promised_day: np.ndarray
    arrival_day: np.ndarray  # >= 0


class SkuLocationGrid:
    """The SKU-location index ``n = s * L + l`` over ``sku_ids`` (S,) and ``location_ids`` (L,)."""

    sku_ids: np.ndarray
    location_ids: np.ndarray

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)

    @property
    def n_locations(self) -> int:
        return len(self.location_ids)

    @property
    def n_sku_locations(self) -> int:
        return self.n_skus * self.n_locations

    @property
    def sku_of(self) -> np.ndarray:
        """SKU index of each SKU-location n."""
        return np.repeat(np.arange(self.n_skus), self.n_locations)

    @property
    def location_of(self) -> np.ndarray:
        """Location index of each SKU-location n."""
        return np.tile(np.arange(self.n_locations), self.n_skus)


@dataclass(frozen=True)
class World(SkuLocationGrid):
    config: SimulationConfig
    # SKUs (S,)
    sku_ids: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    unit_cost: np.ndarray
    unit_price: np.ndarray
    launch_day: np.ndarray  # day index; negative = launched before the horizon
    phase_out_day: np.ndarray  # last selling day; >= n_days means no phase-out
    has_phase_out: np.ndarray
    line_size: np.ndarray  # mean units per order line
    dispersion: np.ndarray  # negative-binomial shape of lines per day at volatility 1
    trend_per_year: np.ndarray  # log growth per year
    # SKU-locations (S, L)
    base_units: np.ndarray  # mean units per day before seasonality, trend, events
    # locations (L,)
    location_ids: np.ndarray
    location_names: np.ndarray
    regions: np.ndarray
    holding_rate: np.ndarray
    # suppliers
    supplier_ids: np.ndarray
    supplier_names: np.ndarray
    supplier_country: np.ndarray
    supplier_base_delay: np.ndarray  # mean days late when not disrupted
    supplier_short_prob: np.ndarray  # probability that a delivery is short
    # purchasing terms (S, 2): slot 0 primary, slot 1 secondary
    supplier: np.ndarray  # supplier index, -1 where no secondary
    quoted_lead_time: np.ndarray  # days, already multiplied by the lead-time scale
    purchase_cost: np.ndarray
    moq: np.ndarray
    expedite_days_saved: np.ndarray  # 0 = no expedite option
    expedite_cost: np.ndarray
    # lanes (L, L)
    lane_transit_days: np.ndarray
    lane_cost: np.ndarray
    # Given instead of drawn (a world calibrated from data); None = the generative defaults.
    seasonality: Seasonality | None = None
    initial_on_hand: np.ndarray | None = None  # (N,) stock before day 0
    open_purchase_orders: OpenPurchaseOrders | None = None
    # (S, MAX_SUBSTITUTES): substitute SKU indices in order of preference, -1 = none; None = no substitutes.
    substitutes: np.ndarray | None = None

    def date(self, day: np.ndarray | int) -> np.ndarray:
        """Calendar dates (datetime64[ns]) of day indices."""
        start = np.datetime64(self.config.start_date, "D")
        return (start + np.asarray(day, dtype="int64").astype("timedelta64[D]")).astype(
            "datetime64[ns]"
        )


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, count + 1)], dtype=object)


def _suppliers(config: SimulationConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = config.n_suppliers
    source = rng.integers(0, len(SOURCES), n)
    source[: min(n, len(SOURCES))] = np.arange(min(n, len(SOURCES)))  # every source present
    delay_multiplier = np.array([SOURCES[i][2] for i in source])
    # Log-uniform spread of reliability: the best suppliers are late by a fraction of a day on
    # average, the worst by about a week.
    base_delay = np.exp(rng.uniform(np.log(0.15), np.log(4.0), n)) * delay_multiplier
    unreliability = np.argsort(np.argsort(base_delay)) / max(n - 1, 1)
    return {
        "supplier_ids": _ids("S-", n, 2),
        "supplier_names": np.array([f"Supplier {i}" for i in range(1, n + 1)], dtype=object),
        "supplier_country": np.array([SOURCES[i][0] for i in source], dtype=object),
        "supplier_base_delay": base_delay,
        "supplier_short_prob": 0.01 + 0.07 * unreliability,
        "source": source,
    }


def _terms(
    config: SimulationConfig,
    rng: np.random.Generator,
    suppliers: dict[str, np.ndarray],
    unit_cost: np.ndarray,
    daily_units: np.ndarray,
) -> dict[str, np.ndarray]:
    """Primary and optional secondary supplier per SKU with lead time, price, MOQ and expedite."""
    n_skus, n_sup = config.n_skus, config.n_suppliers
    primary = rng.integers(0, n_sup, n_skus)
    secondary = (primary + rng.integers(1, n_sup, n_skus)) % n_sup
    secondary = np.where(rng.random(n_skus) < config.secondary_supplier_share, secondary, -1)
    supplier = np.stack([primary, secondary], axis=1)
    ranges = np.array([SOURCES[i][1] for i in suppliers["source"]])
    lo, hi = ranges[np.maximum(supplier, 0), 0], ranges[np.maximum(supplier, 0), 1]
    base_lead = rng.integers(lo, hi + 1)
    quoted = np.maximum(1, np.rint(base_lead * config.knobs.lead_time_scale)).astype(np.int64)
    premium = np.stack([np.ones(n_skus), rng.uniform(1.05, 1.2, n_skus)], axis=1)
    purchase_cost = np.round(unit_cost[:, None] * premium, 2)
    raw_moq = daily_units[:, None] * rng.uniform(2, 10, (n_skus, 2))
    moq = NICE_MOQ[np.maximum(np.searchsorted(NICE_MOQ, raw_moq, side="right") - 1, 0)]
    has_expedite = rng.random((n_skus, 2)) < 0.8
    saved = np.maximum(1, np.rint(quoted * rng.uniform(0.25, 0.5, (n_skus, 2)))).astype(np.int64)
    expedite_cost = np.round(purchase_cost * rng.uniform(0.08, 0.3, (n_skus, 2)), 2)
    absent = supplier < 0
    return {
        "supplier": supplier,
        "quoted_lead_time": np.where(absent, 0, quoted),
        "purchase_cost": np.where(absent, 0.0, purchase_cost),
        "moq": np.where(absent, 0, moq),
        "expedite_days_saved": np.where(has_expedite & ~absent, saved, 0),
        "expedite_cost": np.where(has_expedite & ~absent, expedite_cost, 0.0),
    }


def _lifecycle(config: SimulationConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, days = config.n_skus, config.n_days
    launch_in = rng.random(n) < config.launch_share
    launch_day = np.where(
        launch_in, rng.integers(30, max(31, int(days * 0.6)), n), -rng.integers(100, 2000, n)
    )
    phase_out = rng.random(n) < config.phase_out_share
    phase_out_day = np.where(
        phase_out,
        rng.integers(int(days * 0.4), max(int(days * 0.4) + 1, days - 30), n),
        days + 10_000,
    )
    phase_out_day = np.where(phase_out_day < launch_day + 60, days + 10_000, phase_out_day)
    return {
        "launch_day": launch_day,
        "phase_out_day": phase_out_day,
        "has_phase_out": phase_out_day < days,
    }


def draw_substitutes(config: SimulationConfig, category: np.ndarray) -> np.ndarray:
    """Up to ``MAX_SUBSTITUTES`` other SKUs of the same category, in preference order, for a
    ``substitute_share`` of SKUs; -1 where none. Drawn from their own stream, so adding or changing
    substitutes leaves every other draw of the world unchanged."""
    rng = stream(config.seed, "substitutes")
    n_skus = len(category)
    substitutes = np.full((n_skus, MAX_SUBSTITUTES), -1, dtype=np.int64)
    has = rng.random(n_skus) < config.substitute_share
    for sku in np.flatnonzero(has):
        peers = np.flatnonzero((category == category[sku]) & (np.arange(n_skus) != sku))
        chosen = rng.permutation(peers)[: rng.integers(1, MAX_SUBSTITUTES + 1)]
        substitutes[sku, : len(chosen)] = chosen
    return substitutes


def generate_world(config: SimulationConfig) -> World:
    """Draw the static world of ``config.seed``."""
    rng = stream(config.seed, "world")
    n_skus, n_loc = config.n_skus, config.n_locations
    unit_cost = np.round(np.exp(rng.normal(np.log(20), 1.0, n_skus)), 2) + 0.5
    unit_price = np.round(unit_cost * rng.uniform(1.3, 2.2, n_skus), 2)
    location_weight = rng.dirichlet(np.full(n_loc, 4.0)) * n_loc
    sku_units = np.exp(
        rng.normal(np.log(config.median_daily_units), config.daily_units_log_sd, n_skus)
    )
    base_units = (
        sku_units[:, None] * location_weight[None, :] * np.exp(rng.normal(0, 0.3, (n_skus, n_loc)))
    )
    suppliers = _suppliers(config, rng)
    terms = _terms(config, rng, suppliers, unit_cost, base_units.mean(axis=1))
    positions = rng.uniform(0, 10, (n_loc, 2))
    distance = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=2)
    category = rng.integers(0, len(CATEGORIES), n_skus)
    return World(
        config=config,
        sku_ids=_ids("SKU-", n_skus, 4),
        category=category,
        unit_cost=unit_cost,
        unit_price=unit_price,
        line_size=1 + rng.gamma(2.0, (config.mean_line_size - 1) / 2.0, n_skus),
        dispersion=np.exp(rng.normal(np.log(config.median_dispersion), 0.8, n_skus)),
        trend_per_year=rng.normal(0.0, 0.15, n_skus),
        base_units=base_units,
        location_ids=_ids("DC-", n_loc, 1),
        location_names=np.array(
            [f"Distribution centre {i}" for i in range(1, n_loc + 1)], dtype=object
        ),
        regions=np.array([REGIONS[i % len(REGIONS)] for i in range(n_loc)], dtype=object),
        holding_rate=np.round(rng.uniform(0.18, 0.30, n_loc), 3),
        lane_transit_days=np.maximum(1, np.ceil(distance / 3)).astype(np.int64),
        lane_cost=np.round(0.2 + 0.12 * distance, 2),
        **_lifecycle(config, rng),
        **{k: v for k, v in suppliers.items() if k != "source"},
        **terms,
        substitutes=draw_substitutes(config, category),
    )


def substitutes_table(world: World) -> pd.DataFrame:
    """``sku_substitutes`` of the world (priority 1 = preferred)."""
    ranked = world.substitutes if world.substitutes is not None else np.full((world.n_skus, 0), -1)
    sku, rank = np.nonzero(ranked >= 0)
    return pd.DataFrame({
        "sku_id": world.sku_ids[sku],
        "substitute_sku_id": world.sku_ids[ranked[sku, rank]],
        "priority": (rank + 1).astype(np.int64),
    })


def world_tables(world: World) -> dict[str, pd.DataFrame]:
    """The static canonical tables: skus, locations, suppliers, sku_suppliers, transfer_lanes,
    sku_substitutes."""
    launch = world.date(world.launch_day)
    phase_out = np.where(
        world.has_phase_out,
        world.date(np.minimum(world.phase_out_day, 10**6)),
        np.datetime64("NaT"),
    )
    skus = pd.DataFrame(
        {
            "sku_id": world.sku_ids,
            "category": np.array(CATEGORIES, dtype=object)[world.category],
            "unit_cost": world.unit_cost,
            "unit_price": world.unit_price,
            "launch_date": launch,
            "phase_out_date": pd.to_datetime(phase_out),
        }
    )
    locations = pd.DataFrame(
        {
            "location_id": world.location_ids,
            "name": world.location_names,
            "region": world.regions,
            "holding_cost_rate": world.holding_rate,
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier_id": world.supplier_ids,
            "name": world.supplier_names,
            "country": world.supplier_country,
        }
    )
    sku_idx, slot = np.nonzero(world.supplier >= 0)
    has_expedite = world.expedite_days_saved[sku_idx, slot] > 0
    sku_suppliers = pd.DataFrame(
        {
            "sku_id": world.sku_ids[sku_idx],
            "supplier_id": world.supplier_ids[world.supplier[sku_idx, slot]],
            "is_primary": slot == 0,
            "quoted_lead_time_days": world.quoted_lead_time[sku_idx, slot],
            "unit_cost": world.purchase_cost[sku_idx, slot],
            "moq": world.moq[sku_idx, slot],
            "expedite_days_saved": pd.Series(
                world.expedite_days_saved[sku_idx, slot], dtype="Int64"
            ).where(has_expedite, pd.NA),
            "expedite_cost_per_unit": np.where(
                has_expedite, world.expedite_cost[sku_idx, slot], np.nan
            ),
        }
    )
    src, dst = np.nonzero(~np.eye(world.n_locations, dtype=bool))
    lanes = pd.DataFrame(
        {
            "from_location_id": world.location_ids[src],
            "to_location_id": world.location_ids[dst],
            "transit_days": world.lane_transit_days[src, dst],
            "cost_per_unit": world.lane_cost[src, dst],
        }
    )
    return {
        "skus": skus,
        "locations": locations,
        "suppliers": suppliers,
        "sku_suppliers": sku_suppliers,
        "transfer_lanes": lanes,
        "sku_substitutes": substitutes_table(world),
    }
