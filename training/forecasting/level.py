"""Tracking-signal level correction: rescale forecasts by how recent actuals compared with them.

Why: a global model trained on a short window learns that window's drift as a permanent level.
The demand forecaster sees every series relative to its trailing 28-day mean and knows its
category, so the seasonal slope of a category during the training window (rising or falling
against its own trailing mean) becomes a constant bias afterwards, different for each category.
The planner's standard remedy is a tracking signal:
the ratio of actual to forecast demand over the last weeks, pooled per group (here, category) so
that it measures the shared level and not one series' noise (a per-series ratio is too noisy and
inflates stock), and clipped so a freak week cannot swing it.
"""

from __future__ import annotations

import numpy as np

BOUNDS = (0.8, 1.25)  # a level off by more than this is a model to retrain, not to patch


def level_factors(
    forecast: np.ndarray, actual: np.ndarray, group: np.ndarray, bounds: tuple[float, float] = BOUNDS
) -> np.ndarray:
    """Per-series factor: sum of actuals / sum of forecasts over the series' group, clipped.

    ``forecast`` and ``actual``: ``(periods, series)`` of forecasts whose outcome is already known
    and those outcomes; ``group``: ``(series,)`` labels. A group without forecast volume gets 1.
    """
    forecast, actual = np.atleast_2d(forecast), np.atleast_2d(actual)
    if forecast.shape != actual.shape or forecast.shape[1] != len(group):
        raise ValueError(f"forecast {forecast.shape}, actual {actual.shape} and group ({len(group)},) disagree")
    labels, index = np.unique(np.asarray(group), return_inverse=True)
    predicted = np.bincount(index, weights=forecast.sum(axis=0), minlength=len(labels))
    observed = np.bincount(index, weights=actual.sum(axis=0), minlength=len(labels))
    ratio = np.divide(observed, predicted, out=np.ones(len(labels)), where=predicted > 0)
    return np.clip(ratio, *bounds)[index]
