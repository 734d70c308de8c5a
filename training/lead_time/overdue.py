"""How much longer a PO line already past its expected date will take: the delay's residual life.

Why: a line still open after its predicted median is evidence in itself. Delays have a heavy
tail (disruption episodes add weeks to every line of a supplier), so the longer a line is
overdue, the more of the tail it is in. Reading an overdue line as "arrives tomorrow" (the
lower bound a planner knows for sure) repeats that guess every day of an episode and gives the
supplier tracking signal only the days run up so far.

``OverdueDelay`` learns, from received lines of the history, the quantiles of the days still to
come for a line that has run ``x`` days past its supplier's usual (median) delay:
``quantile(R - x | R >= x)``, with ``R`` = delay minus the supplier's median delay. Pooled over
suppliers, so a few episodes in the history inform every supplier; where fewer than
``min_lines`` lines ran that far, the last row with enough lines is carried on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


class OverdueDelay(BaseEstimator):
    """Quantiles of the remaining delay of a line overdue by ``x`` days past its usual delay."""

    def __init__(self, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9), max_days: int = 90, min_lines: int = 30):
        self.quantiles = quantiles
        self.max_days = max_days
        self.min_lines = min_lines

    def fit(self, supplier: np.ndarray, delay: np.ndarray) -> OverdueDelay:
        """``supplier`` and ``delay`` (days after the promised date) of received history lines."""
        frame = pd.DataFrame({"supplier": np.asarray(supplier), "delay": np.asarray(delay, dtype=float)}).dropna()
        if len(frame) < self.min_lines:
            raise ValueError(f"delay: {len(frame)} received lines, at least {self.min_lines} needed")
        residual = np.sort((frame["delay"] - frame.groupby("supplier")["delay"].transform("median")).to_numpy())
        table = np.zeros((self.max_days + 1, len(self.quantiles)))
        for x in range(self.max_days + 1):
            tail = residual[np.searchsorted(residual, x) :]
            # Too few lines ran this far: keep the previous row. Row 0 holds at least half the lines,
            # which can still be fewer than ``min_lines``: then no rest is learnt (zeros).
            if len(tail) >= self.min_lines:
                table[x] = np.quantile(tail - x, self.quantiles)
            elif x > 0:
                table[x] = table[x - 1]
        self.table_ = np.maximum(np.maximum.accumulate(table, axis=1), 0.0)
        return self

    def remaining(self, overdue_days: np.ndarray) -> np.ndarray:
        """``(n, len(quantiles))`` days still to come for lines ``overdue_days`` past their median
        (clipped to ``[0, max_days]``; callers apply it only to lines past their median)."""
        rows = np.clip(np.floor(np.asarray(overdue_days, dtype=float)), 0, self.max_days).astype(np.int64)
        return self.table_[rows]
