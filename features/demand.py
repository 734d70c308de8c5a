"""SKU-location demand features as of each day: windowed statistics, intermittency, trend,
recency, known-in-advance promotions and the running error of an existing forecast.

Demand per day is the sum of ``order_lines.quantity`` by the day of ``orders.order_time``, SKU and
location: what customers asked for, not what shipped, so stock-outs do not hide demand. Every
statistic at day t uses days t-w+1..t only; promotions count only once announced (on or before t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from features.grid import Grid, interval_sum, last_true_age, scatter_sum, to_day, window_sum

WINDOWS = (7, 28, 91)
INTERMITTENCY_WINDOW = 91
TREND_WINDOW = 28
FORECAST_WINDOW = 28
# Columns computed from as-of demand forecasts (NaN without them).
FORECAST_FEATURES = (f"forecast_bias_{FORECAST_WINDOW}", f"forecast_wape_{FORECAST_WINDOW}")
# The longest look-back of any feature here: a day's values need this many days up to it.
LONGEST_WINDOW = max(*WINDOWS, INTERMITTENCY_WINDOW, TREND_WINDOW, FORECAST_WINDOW)


def demand_feature_names() -> list[str]:
    """The columns ``demand_features`` returns besides the grid keys, in order."""
    names = [f"demand_{stat}_{w}" for w in WINDOWS for stat in ("sum", "mean", "std")]
    names += [
        f"adi_{INTERMITTENCY_WINDOW}",
        f"cv2_{INTERMITTENCY_WINDOW}",
        f"demand_trend_{TREND_WINDOW}",
        "days_since_last_sale",
        "promo_active",
        "promo_next_h",
        "promo_discount_next_h",
        *FORECAST_FEATURES,
    ]
    return names


def order_demand(order_lines: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Order lines with their order's ``order_time``, ``order_date`` and ``customer_tier`` (if given)."""
    header = orders[[c for c in ("order_id", "order_time", "customer_tier") if c in orders.columns]]
    lines = order_lines.merge(header, on="order_id", how="inner")
    lines["order_date"] = pd.to_datetime(lines["order_time"]).dt.floor("D")
    return lines


def units_ordered(grid: Grid, lines: pd.DataFrame) -> np.ndarray:
    """Units ordered per grid row (SKU-location-day); lines outside the grid are ignored."""
    rows = grid.locate(lines, to_day(lines["order_date"]))
    return scatter_sum(grid, rows, lines["quantity"].to_numpy())


def last_sale_before(grid: Grid, lines: pd.DataFrame) -> np.ndarray:
    """Per grid series, the last day with units ordered from ``born`` up to the grid's first day
    (exclusive), NaN if none: what ``days_since_last_sale`` carries into a grid of recent days."""
    day = to_day(lines["order_date"])
    known, c = grid.series_of(lines)
    inside = known & (lines["quantity"].to_numpy(dtype="float64") > 0)
    inside &= (day >= grid.series["born"].to_numpy()[c]) & (day < grid.series["first"].to_numpy()[c])
    last = np.full(len(grid.series), np.nan)
    np.fmax.at(last, c[inside], day[inside].astype("float64"))
    return last


def _window_stats(grid: Grid, y: np.ndarray, out: dict[str, np.ndarray]) -> None:
    for w in WINDOWS:
        s, full = window_sum(grid, y, w)
        s2, _ = window_sum(grid, y * y, w)
        var = np.clip((s2 - s * s / w) / (w - 1), 0.0, None)
        out[f"demand_sum_{w}"] = np.where(full, s, np.nan)
        out[f"demand_mean_{w}"] = np.where(full, s / w, np.nan)
        out[f"demand_std_{w}"] = np.where(full, np.sqrt(var), np.nan)


def _intermittency(grid: Grid, y: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """ADI (days per demand day) and CV² of the non-zero demand sizes (Syntetos-Boylan)."""
    w = INTERMITTENCY_WINDOW
    n, full = window_sum(grid, (y > 0).astype("float64"), w)
    s, _ = window_sum(grid, y, w)
    s2, _ = window_sum(grid, y * y, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        var = s2 / n - mean * mean
        out[f"adi_{w}"] = np.where(full & (n > 0), w / n, np.nan)
        out[f"cv2_{w}"] = np.where(full & (n > 0), np.clip(var, 0.0, None) / (mean * mean), np.nan)


def _trend(grid: Grid, y: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """Least-squares slope (units/day per day) of daily demand over the last 28 days."""
    w = TREND_WINDOW
    # Positions within the series keep the cumulative sums small enough to stay exact.
    i = (np.arange(grid.size) - grid.start).astype("float64")
    sy, full = window_sum(grid, y, w)
    sxy, _ = window_sum(grid, i * y, w)
    x0 = i - w + 1  # shift x in the window to 0..w-1
    sxy_rel = sxy - x0 * sy
    sx = w * (w - 1) / 2
    sxx = (w - 1) * w * (2 * w - 1) / 6
    slope = (w * sxy_rel - sx * sy) / (w * sxx - sx * sx)
    out[f"demand_trend_{w}"] = np.where(full, slope, np.nan)


def _promotions(
    grid: Grid, promotions: pd.DataFrame, horizon: int, out: dict[str, np.ndarray]
) -> None:
    """Promotions known at t: running at t, running in (t, t+horizon], their deepest discount."""
    announced = to_day(promotions["announced_date"])
    start = to_day(promotions["start_date"])
    end = to_day(promotions["end_date"]) + 1
    keys = promotions[SKU_LOCATION]
    ones = np.ones(len(promotions))
    active = interval_sum(grid, keys, np.maximum(announced, start), end, ones)
    # t sees a promotion in (t, t+H] when start <= t+H, end >= t+1 and it was announced by t.
    soon_begin = np.maximum(announced, start - horizon)
    soon_end = end - 1
    out["promo_active"] = (active > 0).astype("int64")
    out["promo_next_h"] = (interval_sum(grid, keys, soon_begin, soon_end, ones) > 0).astype("int64")
    lengths = np.clip(soon_end - soon_begin, 0, None)
    which = np.repeat(np.arange(len(promotions)), lengths)
    days = soon_begin[which] + (
        np.arange(len(which)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    rows = grid.locate(keys.iloc[which].reset_index(drop=True), days)
    discount = np.zeros(grid.size)
    ok = rows >= 0
    np.maximum.at(
        discount, rows[ok], promotions["discount_pct"].to_numpy(dtype="float64")[which][ok]
    )
    out["promo_discount_next_h"] = discount


def _forecast_error(
    grid: Grid, y: np.ndarray, forecasts: pd.DataFrame | None, out: dict[str, np.ndarray]
) -> None:
    """Bias and WAPE over the last days that had a forecast (target date on or before t).

    ``forecasts`` has ``sku_id, location_id, ds, forecast``; a forecast for day d is compared
    with the demand of day d, which is known at the end of d, so only targets <= t are used.
    """
    w = FORECAST_WINDOW
    if forecasts is None or forecasts.empty:
        out[f"forecast_bias_{w}"] = np.full(grid.size, np.nan)
        out[f"forecast_wape_{w}"] = np.full(grid.size, np.nan)
        return
    missing = {"sku_id", "location_id", "ds", "forecast"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"forecasts: missing column(s) {sorted(missing)}")
    if forecasts.duplicated(["sku_id", "location_id", "ds"]).any():
        raise ValueError("forecasts: more than one forecast per sku_id, location_id, ds")
    rows = grid.locate(forecasts, to_day(forecasts["ds"]))
    has = scatter_sum(grid, rows, np.ones(len(forecasts))) > 0
    f = scatter_sum(grid, rows, forecasts["forecast"].to_numpy(dtype="float64"))
    err = np.where(has, y - f, 0.0)
    s_err, _ = window_sum(grid, err, w)
    s_abs, _ = window_sum(grid, np.abs(err), w)
    s_y, _ = window_sum(grid, np.where(has, y, 0.0), w)
    n, _ = window_sum(grid, has.astype("float64"), w)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[f"forecast_bias_{w}"] = np.where(n > 0, s_err / n, np.nan)
        out[f"forecast_wape_{w}"] = np.where((n > 0) & (s_y > 0), s_abs / s_y, np.nan)


def demand_features(
    grid: Grid,
    lines: pd.DataFrame,
    promotions: pd.DataFrame,
    horizon: int = 14,
    forecasts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Demand features for every row of a SKU-location ``grid`` (index aligned with grid rows).

    ``lines`` comes from ``order_demand``; ``horizon`` is the promotion look-ahead in days.
    """
    y = units_ordered(grid, lines)
    out: dict[str, np.ndarray] = {}
    _window_stats(grid, y, out)
    _intermittency(grid, y, out)
    _trend(grid, y, out)
    out["days_since_last_sale"] = last_true_age(grid, y > 0, last_sale_before(grid, lines))
    _promotions(grid, promotions, horizon, out)
    _forecast_error(grid, y, forecasts, out)
    return pd.DataFrame(out)[demand_feature_names()]
