"""Demand as the simulator needs it, estimated from a user's order lines: per SKU-location rates,
line sizes, day-to-day variability, the weekly profile and a yearly sine per category."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contracts.keys import DAY
from simulation.world import SkuLocationGrid

YEARLY_SEASONALITY_DAYS = 365  # a yearly sine is fitted only on a full year of history
RATE_WINDOW_DAYS = 365  # demand rates are the mean of the last year (or of all history if shorter)
EPISODE_WINDOW_DAYS = 29  # promotions and surges last 3-21 days: a month-long window tracks them
MAX_DISPERSION = 50.0  # negative-binomial shape cap: above it demand is practically Poisson


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


@dataclass(frozen=True)
class WorldKeys(SkuLocationGrid):
    """The world's SKUs and locations (sorted ids) and the SKU-location index ``n = s * L + l``."""

    sku_ids: np.ndarray
    location_ids: np.ndarray

    def sku(self, ids: pd.Series) -> np.ndarray:
        """SKU index of each id (NaN where unknown)."""
        return pd.Series(np.arange(self.n_skus), index=self.sku_ids).reindex(ids.astype(str)).to_numpy(dtype=float)

    def cell(self, skus: pd.Series, locations: pd.Series) -> np.ndarray:
        """SKU-location index of each row (NaN where the SKU or location is unknown)."""
        loc = pd.Series(np.arange(self.n_locations), index=self.location_ids).reindex(locations.astype(str))
        return self.sku(skus) * self.n_locations + loc.to_numpy(dtype=float)


@dataclass(frozen=True)
class DemandEstimate:
    """Per-SKU demand parameters for the simulator (``base_units`` per SKU-location)."""

    weekly: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray
    base_units: np.ndarray  # (N,)
    line_size: np.ndarray
    line_count: np.ndarray
    dispersion: np.ndarray


def estimate_demand(
    lines: pd.DataFrame,
    line_day: np.ndarray,
    keys: WorldKeys,
    category: np.ndarray,
    first: pd.Timestamp,
    last: pd.Timestamp,
    notes: list[str],
) -> DemandEstimate:
    """Rates, line sizes, variability and seasonality of the demand in ``lines``."""
    history = int((last - first) / DAY) + 1
    sku = keys.sku(lines["sku_id"])
    cell = keys.cell(lines["sku_id"], lines["location_id"])
    known = np.isfinite(cell) & ~pd.isna(line_day)
    sku, cell, day = sku[known].astype(np.int64), cell[known].astype(np.int64), line_day[known]
    quantity = lines["quantity"].to_numpy(dtype=float)[known]
    all_days = pd.date_range(first, last, freq="D")
    units_by_day = pd.Series(quantity, index=day).groupby(level=0).sum().reindex(all_days, fill_value=0.0)
    weekly = _weekly_profile(units_by_day)
    notes.append(f"weekly profile Mon-Sun {', '.join(f'{w:.2f}' for w in weekly)} (from units ordered per weekday)")

    if history >= YEARLY_SEASONALITY_DAYS:
        sold = pd.DataFrame({"day": day, "category": category[sku], "units": quantity})
        by_category = (
            sold.pivot_table(index="day", columns="category", values="units", aggfunc="sum")
            .reindex(all_days)
            .fillna(0.0)
        )
        amplitude_of, phase_of = _yearly_sine(by_category, weekly)
        amplitude = amplitude_of.reindex(category).fillna(0.0).to_numpy()
        phase = phase_of.reindex(category).fillna(0.0).to_numpy()
        notes.append(
            f"yearly seasonality: a sine per category, amplitude {amplitude_of.min():.0%} to {amplitude_of.max():.0%}"
        )
    else:
        amplitude, phase = np.zeros(keys.n_skus), np.zeros(keys.n_skus)
        notes.append(f"yearly seasonality: none assumed (needs {YEARLY_SEASONALITY_DAYS} days of history)")

    window_start = max(first, last - (RATE_WINDOW_DAYS - 1) * DAY)
    window_days = pd.date_range(window_start, last, freq="D")
    in_window = day >= np.datetime64(window_start)
    offset = ((day[in_window] - np.datetime64(window_start)) / DAY).astype(np.int64)
    counts = np.zeros((len(window_days), keys.n_sku_locations), dtype=np.float32)
    np.add.at(counts, (offset, cell[in_window]), 1)
    units = np.bincount(cell[in_window], quantity[in_window], keys.n_sku_locations)
    season = 1 + amplitude[None, :] * np.sin(
        2 * np.pi * (window_days.dayofyear.to_numpy()[:, None] - phase[None, :]) / 365.25
    )
    level_shape = weekly[window_days.dayofweek][:, None] * season  # (T, S) relative level per day
    sku_of = np.repeat(np.arange(keys.n_skus), keys.n_locations)
    line_count = np.bincount(sku, minlength=keys.n_skus)
    line_size = np.maximum(
        1.0,
        np.divide(np.bincount(sku, quantity, keys.n_skus), line_count, out=np.ones(keys.n_skus), where=line_count > 0),
    )
    dispersion = _dispersion(counts, _local_expected(counts, level_shape[:, sku_of]), sku_of, keys.n_skus)
    notes.append(
        f"demand: mean units per day per SKU-location over the last {len(window_days)} days, "
        f"deseasonalised; line size per SKU; day-to-day variability (negative-binomial shape, median "
        f"{np.median(dispersion):.2f}) around a month-long level; no trend"
    )
    return DemandEstimate(
        weekly, amplitude, phase, units / level_shape.sum(axis=0)[sku_of], line_size, line_count, dispersion
    )
