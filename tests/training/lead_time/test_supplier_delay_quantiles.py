"""``SupplierDelayQuantiles``: what open POs get when no lead-time champion is registered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.lead_time.baselines import SupplierDelayQuantiles, supplier_quantile_baseline
from training.recipes import LEAD_TIME_SPEC

AS_OF = pd.Timestamp("2026-03-01")


def purchase_orders() -> pd.DataFrame:
    """Supplier S1 delays 0, 2, 4, 6, 8 days; S2 always 0; one S1 line received after the as-of date
    with a 100-day delay, and two open lines."""
    promised = pd.Timestamp("2026-01-10")
    rows = [("S1", promised, promised + pd.Timedelta(days=d)) for d in (0, 2, 4, 6, 8)]
    rows += [("S2", promised, promised)] * 3
    rows += [("S1", promised, AS_OF + pd.Timedelta(days=30))]  # received later: not known on AS_OF
    rows += [("S1", pd.Timestamp("2026-02-20"), pd.NaT), ("S2", pd.Timestamp("2026-04-01"), pd.NaT)]
    frame = pd.DataFrame(rows, columns=["supplier_id", "promised_date", "received_date"])
    return frame.assign(po_id=[f"P{i}" for i in range(len(frame))])


def test_each_supplier_gets_its_own_quantiles_of_the_lines_received_by_the_as_of_date():
    lines = purchase_orders()
    model = SupplierDelayQuantiles(LEAD_TIME_SPEC, AS_OF).fit(lines)
    due_later = pd.DataFrame({
        "po_id": ["X1", "X2", "X3"],
        "supplier_id": ["S1", "S2", "S-new"],
        "promised_date": pd.Timestamp("2026-04-01"),
    })
    out = model.predict(due_later)
    assert out["p50"].tolist() == [4.0, 0.0, 1.0]  # S-new: the median over all eight received lines
    assert out["p90"].iloc[0] == pytest.approx(np.quantile([0, 2, 4, 6, 8], 0.9))  # no 100-day line
    assert out["p_late"].tolist() == pytest.approx([0.8, 0.0, 0.5])
    # The same figures as the per-supplier baseline the promotion gate scores the champion against.
    known = lines[lines["received_date"] <= AS_OF]
    gate = supplier_quantile_baseline(known, due_later, LEAD_TIME_SPEC)
    assert np.allclose(out[["p10", "p50", "p90", "p_late"]], gate[["p10", "p50", "p90", "p_late"]])


def test_a_line_still_open_after_its_promised_date_is_late_by_at_least_the_days_since():
    model = SupplierDelayQuantiles(LEAD_TIME_SPEC, AS_OF).fit(purchase_orders())
    overdue = pd.DataFrame({"po_id": ["X"], "supplier_id": ["S2"], "promised_date": [AS_OF - pd.Timedelta(days=9)]})
    out = model.predict(overdue)
    assert out[["p10", "p50", "p90"]].iloc[0].tolist() == [10.0, 10.0, 10.0]  # arrives tomorrow at the earliest
    assert out["p_late"].iloc[0] == 1.0


def test_without_a_received_line_there_is_nothing_to_learn_from():
    lines = purchase_orders()
    with pytest.raises(ValueError, match="no delivered line"):
        SupplierDelayQuantiles(LEAD_TIME_SPEC, pd.Timestamp("2026-01-01")).fit(lines)
