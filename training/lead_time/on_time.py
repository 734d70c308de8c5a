"""Quantiles of whole-day delays with a mass of lines delivered exactly on their scheduled date.

Delays recorded in whole days are mostly exactly 0 (on the scheduled date), so their distribution
is early days, a point mass at 0, and late days. A quantile booster only approaches such a step
with a continuous value near 0; two binary boosters (early, late) estimate the step's edges
directly. A quantile level above the early share and at most the on-or-before share is 0; one
below it is at least a day early, one above it at least a day late; and every quantile of
whole-day delays is itself a whole day.
"""

from __future__ import annotations

import numpy as np


def whole_day_quantiles(
    pred: np.ndarray, levels: tuple[float, ...], p_early: np.ndarray, p_late: np.ndarray
) -> np.ndarray:
    """``pred`` (rows × ``levels``, delay days) made consistent with each row's probabilities of
    arriving before (``p_early``) and after (``p_late``) its scheduled date, in whole days."""
    level = np.asarray(levels, dtype="float64")[None, :]
    early, late = np.asarray(p_early)[:, None], np.asarray(p_late)[:, None]
    days = np.round(pred)
    return np.where(level <= early, np.minimum(days, -1.0), np.where(level > 1.0 - late, np.maximum(days, 1.0), 0.0))
