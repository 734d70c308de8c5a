"""A distribution from three quantiles (p10, p50, p90): the split normal every decision shares.

The forecasters hand over p10/p50/p90 (of demand over a horizon, of a PO's delay, of a lead
time). Decisions need more than three points: a quantile at any confidence, the probability of
exceeding a stock level and the expected shortfall ``E[(D - y)+]``. A split normal (median
``p50``, one normal scale below it and another above it, each half holding half the mass)
reproduces the three quantiles exactly, keeps skew, has closed forms for all three and
vectorizes over arrays. All functions take numpy-compatible arrays and broadcast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

ArrayLike = np.ndarray | pd.Series | float

Z90 = float(ndtri(0.9))  # 1.2816: p90 is z90 scales above the median
_PHI0 = 1.0 / np.sqrt(2.0 * np.pi)  # standard normal density at 0 = loss function L(0)


def split_normal_scales(
    p10: ArrayLike, p50: ArrayLike, p90: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the scales below and above it: ``(p50, (p50-p10)/z90, (p90-p50)/z90)``."""
    p10, p50, p90 = (np.asarray(a, dtype=float) for a in (p10, p50, p90))
    return p50, (p50 - p10) / Z90, (p90 - p50) / Z90


def quantile(level: ArrayLike, p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """Quantile at ``level`` in (0, 1); equals p10/p50/p90 at 0.1/0.5/0.9."""
    level = np.asarray(level, dtype=float)
    if ((level <= 0) | (level >= 1)).any():
        raise ValueError(f"quantile level must be in (0, 1), got {level}")
    m, s_lo, s_hi = split_normal_scales(p10, p50, p90)
    z = ndtri(level)
    return m + np.where(z < 0, s_lo, s_hi) * z


def survival(y: ArrayLike, p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """``P(D > y)``: e.g. the probability that demand exceeds the stock ``y``."""
    m, s_lo, s_hi = split_normal_scales(p10, p50, p90)
    d = np.asarray(y, dtype=float) - m
    s = np.where(d < 0, s_lo, s_hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, d / np.where(s > 0, s, 1.0), 0.0)
    return np.where(s > 0, 1.0 - ndtr(z), (d < 0).astype(float))


def cdf(y: ArrayLike, p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """``P(D <= y)``: e.g. the probability that a PO's delay is at most ``y`` days."""
    return 1.0 - survival(y, p10, p50, p90)


def expected_shortfall(y: ArrayLike, p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """``E[(D - y)+]``: expected units of demand above the stock ``y`` (expected backorders).

    Convex and decreasing in ``y``, which is what lets the reallocation LP linearise it.
    """
    m, s_lo, s_hi = split_normal_scales(p10, p50, p90)
    d = np.asarray(y, dtype=float) - m
    upper = _scaled_loss(np.maximum(d, 0.0), s_hi)  # integral of the survival above max(y, m)
    # Between y and the median (only when y < m): s_lo * (L(z) - L(0)), or m - y if s_lo == 0.
    below = np.minimum(d, 0.0)
    lower = np.where(s_lo > 0, _scaled_loss(below, s_lo) - s_lo * _PHI0, -below)
    return upper + np.where(d < 0, lower, 0.0)


def mean(p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """Mean of the split normal: the median shifted towards the longer tail."""
    m, s_lo, s_hi = split_normal_scales(p10, p50, p90)
    return m + (s_hi - s_lo) * _PHI0


def std(p10: ArrayLike, p50: ArrayLike, p90: ArrayLike) -> np.ndarray:
    """Standard deviation of the split normal (equals the normal sigma when symmetric)."""
    _, s_lo, s_hi = split_normal_scales(p10, p50, p90)
    var = (s_lo**2 + s_hi**2) / 2.0 - (s_hi - s_lo) ** 2 / (2.0 * np.pi)
    return np.sqrt(np.maximum(var, 0.0))


def quantiles_from_samples(samples: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """p10/p50/p90 of ``value`` per ``by`` from Monte-Carlo samples (e.g. ETA delay draws per PO).

    Returns one row per ``by`` with columns ``{value}_p10, {value}_p50, {value}_p90``.
    """
    if samples[value].isna().any():
        raise ValueError(f"samples.{value} has null values")
    q = samples.groupby(by, sort=False)[value].quantile([0.1, 0.5, 0.9]).unstack()
    q.columns = [f"{value}_p10", f"{value}_p50", f"{value}_p90"]
    return q.reset_index()


def _scaled_loss(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``s * L(d / s)``, standard normal loss ``L(z) = phi(z) - z (1 - Phi(z))``; 0 if s == 0."""
    safe = np.where(s > 0, s, 1.0)
    z = d / safe
    loss = np.exp(-0.5 * z * z) * _PHI0 - z * (1.0 - ndtr(z))
    return np.where(s > 0, s * loss, np.maximum(-d, 0.0))
