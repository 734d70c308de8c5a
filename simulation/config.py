"""Typed simulator configuration: the size of the world, its generative defaults and what-if knobs.

Knobs are multipliers around 1.0 so a scenario reads as "twice the disruptions" rather than
as a raw rate. Every field is checked on construction and a bad value names the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

# Candidate pools for promotions, surges and disruptions are drawn at this multiple of the
# base rate, and each knob keeps a share of them: a larger knob gives a superset of events
# (common random numbers across scenarios). Hence knobs that add events are capped here.
MAX_EVENT_MULTIPLIER = 5.0


def _require(config: object, names: tuple[str, ...], holds: Callable[[Any], bool], rule: str, label: str = "") -> None:
    """Raise ``ValueError`` naming the first field of ``names`` whose value breaks ``rule``."""
    for name in names:
        value = getattr(config, name)
        if not holds(value):
            raise ValueError(f"{label}{name} must {rule}, got {value!r}")


@dataclass(frozen=True)
class Knobs:
    """What-if multipliers (1.0 = the default world)."""

    lead_time_scale: float = 1.0
    demand_volatility: float = 1.0
    safety_stock_factor: float = 1.0
    disruption_frequency: float = 1.0
    promotion_intensity: float = 1.0

    def __post_init__(self) -> None:
        scales = ("lead_time_scale", "demand_volatility", "safety_stock_factor")
        _require(self, scales, lambda v: 0 < v <= 10, "be in (0, 10]", "knob ")
        events = ("disruption_frequency", "promotion_intensity", "demand_volatility")
        limit = f"be in [0, {MAX_EVENT_MULTIPLIER:g}]"
        _require(self, events, lambda v: 0 <= v <= MAX_EVENT_MULTIPLIER, limit, "knob ")


SCENARIOS: dict[str, Knobs] = {
    "baseline": Knobs(),
    "supplier_disruption": Knobs(disruption_frequency=4.0),
    "demand_surge": Knobs(demand_volatility=2.0, promotion_intensity=2.0),
    "long_lead_times": Knobs(lead_time_scale=2.0),
    "lean_inventory": Knobs(safety_stock_factor=0.5),
}


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that defines one simulated world; same config + seed = same world."""

    seed: int = 0
    n_skus: int = 300
    n_locations: int = 4
    n_suppliers: int = 15
    n_days: int = 730
    n_customers: int = 1000
    start_date: date = date(2024, 1, 1)
    knobs: Knobs = field(default_factory=Knobs)

    # demand
    median_daily_units: float = 0.6  # per SKU-location; log-normal spread across SKUs
    daily_units_log_sd: float = 1.3
    mean_line_size: float = 1.8
    median_dispersion: float = 2.0  # negative-binomial shape r of lines per day (smaller = burstier)
    launch_share: float = 0.08
    phase_out_share: float = 0.08
    promotions_per_year: float = 1.5  # per SKU-location
    surges_per_year: float = 0.6  # per SKU-location
    mean_lines_per_order: float = 2.0
    split_allowed_share: float = 0.8
    tier_shares: tuple[float, float, float] = (0.15, 0.35, 0.50)  # gold, silver, bronze
    # Share of SKUs with substitutes (up to MAX_SUBSTITUTES other SKUs of their category, ranked).
    substitute_share: float = 0.3

    # supply
    secondary_supplier_share: float = 0.4
    disruptions_per_year: float = 0.7  # per supplier
    # Regime change (off by default), for monitoring's drift scenarios: from ``shock_start_day`` on,
    # POs due arrive ``shock_delay_days`` late at every supplier and demand is ``shock_demand_factor`` x.
    shock_start_day: int | None = None
    shock_delay_days: int = 0
    shock_demand_factor: float = 1.0

    # baseline policy and costs
    service_level: float = 0.95
    forecast_window_days: int = 28
    ordering_cost: float = 50.0  # per purchase order, for the EOQ
    backorder_penalty_per_unit_day: tuple[float, float, float] = (0.03, 0.015, 0.007)  # x price

    def __post_init__(self) -> None:
        positive_ints = (
            "n_skus",
            "n_locations",
            "n_suppliers",
            "n_days",
            "n_customers",
            "forecast_window_days",
        )
        _require(self, positive_ints, lambda v: isinstance(v, int) and v >= 1, "be a positive whole number")
        if self.n_locations < 2:
            raise ValueError(f"n_locations must be at least 2 (transfer lanes), got {self.n_locations}")
        if self.n_suppliers < 2:
            raise ValueError(f"n_suppliers must be at least 2 (secondary sources), got {self.n_suppliers}")
        if self.n_customers < self.n_locations:
            raise ValueError(f"n_customers must be at least n_locations, got {self.n_customers}")
        shares = (
            "launch_share",
            "phase_out_share",
            "split_allowed_share",
            "secondary_supplier_share",
            "substitute_share",
        )
        _require(self, shares, lambda v: 0 <= v <= 1, "be in [0, 1]")
        if not 0.5 < self.service_level < 1:
            raise ValueError(f"service_level must be in (0.5, 1), got {self.service_level!r}")
        if abs(sum(self.tier_shares) - 1) > 1e-9 or min(self.tier_shares) < 0:
            raise ValueError(f"tier_shares must be 3 non-negative shares summing to 1, got {self.tier_shares}")
        positives = ("median_daily_units", "mean_line_size", "median_dispersion", "ordering_cost")
        _require(self, positives, lambda v: v > 0, "be > 0")
        if self.mean_line_size < 1 or self.mean_lines_per_order < 1:
            raise ValueError("mean_line_size and mean_lines_per_order must be >= 1")
        if self.shock_start_day is not None and not 0 <= self.shock_start_day < self.n_days:
            raise ValueError(f"shock_start_day must be in [0, n_days), got {self.shock_start_day!r}")
        if self.shock_delay_days < 0:
            raise ValueError(f"shock_delay_days must be >= 0, got {self.shock_delay_days!r}")
        if not 0 < self.shock_demand_factor <= 10:
            raise ValueError(f"shock_demand_factor must be in (0, 10], got {self.shock_demand_factor!r}")
        if not isinstance(self.knobs, Knobs):
            raise ValueError(f"knobs must be a Knobs instance, got {type(self.knobs).__name__}")

    @property
    def n_sku_locations(self) -> int:
        return self.n_skus * self.n_locations


def scaled_world_size(scale: float) -> dict[str, int]:
    """SKU and supplier counts of a world ``scale`` times the default one (same DCs and days).

    Suppliers grow with the SKUs so each supplier keeps about as many SKUs as in the default
    world; both are rounded and kept at the config's minimums.
    """
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 < scale <= 1000:
        raise ValueError(f"scale must be a number in (0, 1000], got {scale!r}")
    default = SimulationConfig()
    return {
        "n_skus": max(1, round(default.n_skus * scale)),
        "n_suppliers": max(2, round(default.n_suppliers * scale)),
    }


def scenario_config(name: str, **overrides: object) -> SimulationConfig:
    """The config of a named scenario; ``overrides`` set config fields or individual knobs."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    knob_names = {f.name for f in fields(Knobs)}
    knob_overrides = {k: v for k, v in overrides.items() if k in knob_names and v is not None}
    config_overrides = {k: v for k, v in overrides.items() if k not in knob_names}
    knobs = replace(SCENARIOS[name], **knob_overrides)
    return SimulationConfig(knobs=knobs, **config_overrides)  # type: ignore[arg-type]
