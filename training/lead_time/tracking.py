"""Supplier tracking signal: how many days a supplier's recent deliveries run behind the model.

Why: the lead-time model learns delays by supplier, location, category and month from the
history and has no recent-delay input, so a supplier disrupted after the cut-off keeps its
historical quantiles while its deliveries run weeks late. A planner sees that from the PO lines
themselves: the delays announced by ASNs and the lines still open past their promised date.
The signal is the median, per supplier, of (observed delay - the model's predicted median) over
the lines due in the last weeks; an overdue line without ASN counts with the delay it has
already run up (a lower bound). The median ignores the skew of ordinary delays (the model's
median is below their mean), so a supplier behaving as predicted gets about 0 and only a
shift shared by most of its recent lines moves it; it is floored at 0, so the signal only
widens the model's quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def delay_excess(
    supplier: np.ndarray, observed: np.ndarray, predicted_p50: np.ndarray, n_suppliers: int, min_lines: int = 5
) -> np.ndarray:
    """``(n_suppliers,)`` median of ``observed - predicted_p50`` per supplier, at least 0.

    One entry per recent PO line; a supplier with fewer than ``min_lines`` lines gets 0.
    """
    frame = pd.DataFrame({"supplier": supplier, "excess": np.asarray(observed, float) - predicted_p50})
    stats = frame.groupby("supplier")["excess"].agg(["median", "size"])
    stats = stats.reindex(np.arange(n_suppliers))
    excess = np.where(stats["size"].fillna(0).to_numpy() >= min_lines, stats["median"].fillna(0.0).to_numpy(), 0.0)
    return np.maximum(excess, 0.0)
