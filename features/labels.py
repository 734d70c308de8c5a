"""Labels: what happened strictly after the moment the features describe.

SKU-location snapshot at day t: positive when the SKU-location is on backorder at some point in
(t, t+H] (a snapshot there with ``backordered > 0``, or an order line ordered there with
``backordered_quantity > 0``). A window that reaches past the series' last snapshot is incomplete:
such rows are flagged and dropped from training, never labelled negative.

Order line: positive when it went on backorder or shipped after its requested date. A line not yet
shipped is late once its requested date lies on or before the data end, and unknown before that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.grid import Grid, forward_sum, scatter_sum, to_day

DEFAULT_HORIZON = 14


def sku_location_labels(
    grid: Grid, backordered: np.ndarray, lines: pd.DataFrame, horizon: int = DEFAULT_HORIZON
) -> pd.DataFrame:
    """``label`` and ``label_complete`` for every grid row (index aligned with grid rows).

    ``backordered`` is the snapshot's backordered quantity per grid row (NaN without snapshot);
    ``lines`` comes from ``demand.order_demand``.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 day, got {horizon}")
    snap_hits, complete = forward_sum(
        grid, (np.nan_to_num(backordered) > 0).astype("float64"), horizon
    )
    short = lines["backordered_quantity"].fillna(0).to_numpy(dtype="float64") > 0
    rows = grid.locate(lines, to_day(lines["order_date"]))
    line_hits, _ = forward_sum(grid, scatter_sum(grid, rows, short.astype("float64")), horizon)
    label = ((snap_hits + line_hits) > 0).astype("int64")
    return pd.DataFrame({"label": np.where(complete, label, -1), "label_complete": complete})


def order_line_labels(lines: pd.DataFrame, data_end: pd.Timestamp) -> pd.DataFrame:
    """``label`` and ``label_complete`` per order line (index aligned with ``lines``).

    ``data_end`` is the last day the data covers; outcomes after it are unknown.
    """
    backordered = lines["backordered_quantity"].astype("Float64") > 0
    shipped = lines["shipped_date"]
    requested = lines["requested_date"]
    late_shipped = shipped.notna() & (shipped > requested)
    unshipped_past_due = shipped.isna() & (requested <= data_end)
    late_known = shipped.notna() | unshipped_past_due
    label = (
        backordered.fillna(False).to_numpy(bool)
        | late_shipped.to_numpy()
        | unshipped_past_due.to_numpy()
    )
    complete = backordered.fillna(False).to_numpy(bool) | (
        late_known.to_numpy() & backordered.notna().to_numpy(bool)
    )
    complete |= label
    return pd.DataFrame(
        {"label": np.where(complete, label.astype("int64"), -1), "label_complete": complete},
        index=lines.index,
    )
