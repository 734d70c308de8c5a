"""Exogenous demand: daily order lines per SKU-location, grouped into customer orders.

Everything here is drawn before the first simulated day from streams that no policy touches,
so every policy faces the same customers. The number of order lines of a SKU-location on a
day is negative binomial around a mean built from base rate x weekly x yearly seasonality x
trend x lifecycle x promotion uplift x unplanned surge; each line asks for 1 + Poisson units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config import MAX_EVENT_MULTIPLIER
from simulation.streams import stream
from simulation.world import CATEGORIES, World

WEEKLY = np.array([1.15, 1.1, 1.05, 1.05, 1.15, 0.35, 0.15])  # Monday..Sunday, mean 0.857
WEEKLY = WEEKLY / WEEKLY.mean()
LAUNCH_RAMP_DAYS = 30
TIER_NAMES = ("gold", "silver", "bronze")
# Days between order and requested date, by tier: gold asks for faster service.
REQUEST_DAYS = ((0, 2), (1, 4), (2, 7))


@dataclass(frozen=True)
class Promotions:
    n: np.ndarray  # SKU-location
    announced_day: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray  # inclusive
    discount: np.ndarray


@dataclass(frozen=True)
class Demand:
    """Order lines sorted by order time; ``day_start[t]:day_start[t+1]`` are the lines of day t."""

    units: np.ndarray  # (T, N) units ordered per day and SKU-location
    line_n: np.ndarray
    line_day: np.ndarray
    line_quantity: np.ndarray
    line_order: np.ndarray  # index into the order arrays
    line_number: np.ndarray  # 1-based position within its order
    line_requested_day: np.ndarray
    line_tier: np.ndarray  # 0 gold, 1 silver, 2 bronze
    line_allow_split: np.ndarray
    day_start: np.ndarray
    order_day: np.ndarray
    order_seconds: np.ndarray  # seconds after midnight
    order_customer: np.ndarray
    order_tier: np.ndarray
    order_allow_split: np.ndarray
    promotions: Promotions


def _events(
    rng: np.random.Generator,
    n_cells: int,
    n_days: int,
    per_year: float | np.ndarray,
    knob: float,
    duration: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate episodes per SKU-location at the maximum rate, thinned by ``knob``.

    The candidates do not depend on the knob, so a larger knob keeps a superset of episodes.
    """
    expected = per_year * n_days / 365 * MAX_EVENT_MULTIPLIER
    counts = rng.poisson(expected, n_cells)
    cell = np.repeat(np.arange(n_cells), counts)
    start = rng.integers(0, n_days, len(cell))
    length = rng.integers(duration[0], duration[1] + 1, len(cell))
    keep = rng.random(len(cell)) < knob / MAX_EVENT_MULTIPLIER
    return cell, start, np.minimum(start + length - 1, n_days - 1), keep


def _add_episodes(
    multiplier: np.ndarray, cell: np.ndarray, start: np.ndarray, end: np.ndarray, lift: np.ndarray
) -> None:
    """Multiply ``multiplier[start:end+1, cell]`` by ``lift`` with a difference array (no loop)."""
    n_days = multiplier.shape[0]
    diff = np.zeros((n_days + 1, multiplier.shape[1]))
    np.add.at(diff, (start, cell), np.log(lift))
    np.add.at(diff, (end + 1, cell), -np.log(lift))
    multiplier *= np.exp(np.cumsum(diff[:-1], axis=0))


def _lifecycle_factor(world: World, days: np.ndarray) -> np.ndarray:
    """(T, S): 0 before launch and after phase-out, a linear ramp over the first month."""
    since_launch = days[:, None] - world.launch_day[None, :]
    ramp = np.clip((since_launch + 1) / LAUNCH_RAMP_DAYS, 0, 1)
    return ramp * (days[:, None] <= world.phase_out_day[None, :])


def _promotions(world: World, active: np.ndarray) -> tuple[Promotions, np.ndarray, np.ndarray]:
    config = world.config
    rng = stream(config.seed, "promotions")
    cell, start, end, keep = _events(
        rng,
        world.n_sku_locations,
        config.n_days,
        config.promotions_per_year,
        config.knobs.promotion_intensity,
        (7, 21),
    )
    lead = rng.integers(14, 61, len(cell))
    discount = np.round(rng.uniform(0.1, 0.4, len(cell)), 2)
    elasticity = rng.uniform(1.5, 4.0, len(cell))
    keep &= active[start, cell]  # only while the SKU is on sale
    promos = Promotions(
        n=cell[keep],
        announced_day=start[keep] - lead[keep],
        start_day=start[keep],
        end_day=end[keep],
        discount=discount[keep],
    )
    return promos, elasticity[keep], keep


def _mean_lines(world: World) -> tuple[np.ndarray, Promotions]:
    """(T, N) expected order lines per day and the promotions that shaped them."""
    config = world.config
    days = np.arange(config.n_days)
    start = np.datetime64(config.start_date, "D")
    dates = start + days.astype("timedelta64[D]")
    dow = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype("int64")
    rng = stream(config.seed, "seasonality")
    amplitude = rng.uniform(0.0, 0.3, len(CATEGORIES))[world.category]
    phase = rng.uniform(0, 365, len(CATEGORIES))[world.category]
    weekly = WEEKLY
    if world.seasonality is not None:
        weekly, amplitude, phase = (
            world.seasonality.weekly,
            world.seasonality.amplitude,
            world.seasonality.phase,
        )
    season = 1 + amplitude[None, :] * np.sin(
        2 * np.pi * (day_of_year[:, None] - phase[None, :]) / 365.25
    )
    trend = np.exp(world.trend_per_year[None, :] * days[:, None] / 365)
    per_sku = season * trend * _lifecycle_factor(world, days)  # (T, S)
    sku, loc = world.sku_of, world.location_of
    base = world.base_units[sku, loc] / world.line_size[sku]
    mean = weekly[dow][:, None] * per_sku[:, sku] * base[None, :]
    promos, elasticity, _ = _promotions(world, mean > 0)
    _add_episodes(
        mean, promos.n, promos.start_day, promos.end_day, 1 + elasticity * promos.discount
    )
    surge_rng = stream(config.seed, "surges")
    # Bursty SKUs (small negative-binomial shape) also surge more often: volatility persists.
    burstiness = np.clip(config.median_dispersion / world.dispersion[sku], 0.25, 4.0)
    cell, s_start, s_end, keep = _events(
        surge_rng,
        world.n_sku_locations,
        config.n_days,
        config.surges_per_year * burstiness,
        config.knobs.demand_volatility,
        (3, 21),
    )
    lift = surge_rng.uniform(1.5, 4.0, len(cell))
    _add_episodes(mean, cell[keep], s_start[keep], s_end[keep], lift[keep])
    if config.shock_start_day is not None:
        mean[config.shock_start_day :] *= config.shock_demand_factor
    return mean, promos


def generate_demand(world: World) -> Demand:
    """Draw every order line of the horizon (exogenous: independent of any policy)."""
    config = world.config
    mean, promos = _mean_lines(world)
    rng = stream(config.seed, "demand")
    shape = world.dispersion[world.sku_of] / config.knobs.demand_volatility
    # Gamma-Poisson mixture = negative binomial with mean ``mean`` and shape ``shape``.
    gamma = rng.standard_gamma(np.broadcast_to(shape, mean.shape)) / shape
    counts = rng.poisson(mean * gamma)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    day, n = np.divmod(cell, world.n_sku_locations)
    quantity = 1 + rng.poisson(world.line_size[world.sku_of[n]] - 1)
    units = np.bincount(cell, weights=quantity, minlength=counts.size).reshape(counts.shape)
    return _orders(world, day, n, quantity, units.astype(np.int64), promos)


def _orders(
    world: World,
    day: np.ndarray,
    n: np.ndarray,
    quantity: np.ndarray,
    units: np.ndarray,
    promos: Promotions,
) -> Demand:
    """Group lines into orders per day and location, attach customers, tiers and requested dates."""
    config = world.config
    rng = stream(config.seed, "orders")
    loc = world.location_of[n]
    # Shuffle lines within each (day, location) with one integer sort key (lexsort is slow).
    shuffle = rng.integers(0, 2**31, len(n), dtype=np.int64)
    order = np.argsort((day * config.n_locations + loc) << 31 | shuffle)
    day, n, quantity, loc = day[order], n[order], quantity[order], loc[order]
    boundary = np.ones(len(n), dtype=bool)
    boundary[1:] = (
        (day[1:] != day[:-1])
        | (loc[1:] != loc[:-1])
        | (rng.random(len(n) - 1) < 1 / config.mean_lines_per_order)
    )
    line_order = np.cumsum(boundary) - 1
    first = np.flatnonzero(boundary)
    line_number = np.arange(len(n)) - first[line_order] + 1
    order_day, order_loc = day[first], loc[first]
    # Customers belong to a home location; a customer's tier is fixed.
    customer_loc = np.sort(rng.integers(0, config.n_locations, config.n_customers))
    customer_loc[: config.n_locations] = np.arange(config.n_locations)
    customer_loc.sort()
    customer_tier = rng.choice(3, config.n_customers, p=list(config.tier_shares))
    offset = np.searchsorted(customer_loc, np.arange(config.n_locations + 1))
    size = np.diff(offset)
    customer = offset[order_loc] + (rng.random(len(first)) * size[order_loc]).astype(np.int64)
    tier = customer_tier[customer]
    low, high = np.array(REQUEST_DAYS).T
    request_days = low[tier] + (rng.random(len(first)) * (high[tier] - low[tier] + 1)).astype(
        np.int64
    )
    seconds = rng.integers(7 * 3600, 19 * 3600, len(first))
    allow_split = rng.random(len(first)) < config.split_allowed_share
    # Chronological order of lines = order time, then line number (FIFO allocation order).
    orders_by_time = np.argsort(order_day * 86_400 + seconds, kind="stable")
    renumber = np.empty(len(first), dtype=np.int64)
    renumber[orders_by_time] = np.arange(len(first))
    # Lines of an order are contiguous and numbered in order, so a stable sort keeps them so.
    by_time = np.argsort(renumber[line_order], kind="stable")
    line_order = renumber[line_order[by_time]]
    day, n, quantity, line_number = (
        day[by_time],
        n[by_time],
        quantity[by_time],
        line_number[by_time],
    )
    order_tier = tier[orders_by_time]
    line_tier = order_tier[line_order]
    order_day_sorted = order_day[orders_by_time]
    return Demand(
        units=units,
        line_n=n,
        line_day=day,
        line_quantity=quantity.astype(np.int64),
        line_order=line_order,
        line_number=line_number,
        line_requested_day=day + request_days[orders_by_time][line_order],
        line_tier=line_tier,
        line_allow_split=allow_split[orders_by_time][line_order],
        day_start=np.searchsorted(day, np.arange(config.n_days + 1)),
        order_day=order_day_sorted,
        order_seconds=seconds[orders_by_time],
        order_customer=customer[orders_by_time],
        order_tier=order_tier,
        order_allow_split=allow_split[orders_by_time],
        promotions=promos,
    )


__all__ = ["Demand", "Promotions", "TIER_NAMES", "generate_demand"]
