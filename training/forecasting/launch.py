"""Launch floor: a newly launched series is forecast at least at the rate it sold at last week.

Why: the demand forecaster sees every series relative to its trailing 28-day mean. During a
launch ramp that mean is zero or holds days before the launch, so the forecast sits far below
what the series sells now and the policy under-orders: on the simulator's worlds series that
launched during the replay got several times the ERP's backorders. The planner knows which
SKUs were launched recently (it is their catalog); for those the forecast's mean and s.d. are
floored at the mean and s.d. of the last ``recent_days`` days of demand, which lag a ramp but
never read it as zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.timeseries import ID, TARGET, TIME


def launch_floor(
    daily_mean: np.ndarray, daily_sd: np.ndarray, recent: np.ndarray, launched: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daily mean and s.d. ``(series, days)``, floored at the recent rate where ``launched``.

    ``recent``: ``(days, series)`` demand of the last days (a week); ``launched``: ``(series,)``
    mask of series in their launch period. Other series are returned unchanged.
    """
    recent = np.asarray(recent, dtype=float)
    rate = np.where(launched, recent.mean(axis=0), 0.0)[:, None]
    spread = np.where(launched, recent.std(axis=0), 0.0)[:, None]
    return np.maximum(daily_mean, rate), np.maximum(daily_sd, spread)


def floor_launched(
    forecasts: pd.DataFrame, history: pd.DataFrame, launched: pd.Index, recent_periods: int
) -> pd.DataFrame:
    """``launch_floor`` on long quantile forecasts (``unique_id, ds, p10, p50, p90``): for the
    ``launched`` series, P50 and P90 are floored at the mean of their last ``recent_periods``
    periods of ``history`` (the interval widened, never narrowed)."""
    recent = history.sort_values(TIME).groupby(ID).tail(recent_periods)
    rate = recent.groupby(ID)[TARGET].mean()
    ids = forecasts[ID]
    is_launched = ids.isin(launched).to_numpy()
    out = forecasts.copy()
    for column in ("p50", "p90"):
        floored, _ = launch_floor(
            out[column].to_numpy(dtype="float64")[:, None],
            np.zeros((len(out), 1)),
            ids.map(rate).fillna(0.0).to_numpy()[None, :],
            is_launched,
        )
        out[column] = floored[:, 0]
    return out
