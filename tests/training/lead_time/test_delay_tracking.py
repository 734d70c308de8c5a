"""Supplier tracking signal: only a shift most recent lines share counts, and only upwards."""

from __future__ import annotations

import numpy as np

from training.lead_time.tracking import delay_excess


def test_the_median_excess_per_supplier_ignores_one_freak_line_and_early_suppliers() -> None:
    supplier = np.array([0] * 6 + [1] * 6 + [2] * 6 + [3] * 2)
    observed = np.array([12, 13, 12, 14, 15, 12] + [2, 3, 1, 2, 40, 2] + [0, 0, 0, 0, 0, 0] + [30, 30], float)
    excess = delay_excess(supplier, observed, np.full(len(supplier), 2.0), n_suppliers=5)
    assert excess[0] == 10.5  # a disrupted supplier: every line 10+ days behind the model
    assert excess[1] == 0.0  # one line 38 days late is not a trend
    assert excess[2] == 0.0  # early deliveries never shorten the model's lead times
    assert excess[3] == 0.0  # two lines are too few to judge
    assert excess[4] == 0.0  # no lines at all
