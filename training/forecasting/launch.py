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
