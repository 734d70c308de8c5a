"""The rows each stored feature and label table holds, from the frames the pipelines compute.

The SKU-location feature view carries its primary supplier's and lane's features of the same
day, so a model reads one view; label tables keep only rows whose label window is complete.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from features.demand import demand_feature_names
from features.grid import to_day
from features.inventory import inventory_feature_names
from features.supplier import lane_feature_names, supplier_feature_names

TIMESTAMP = "event_timestamp"
# SKU-location rows as a DataFrame or as a mapping of column arrays (what the pipelines produce).
SkuLocationRows = pd.DataFrame | Mapping[str, object]


def _calendar_rows(table: pd.DataFrame, keys: list[str], frame: SkuLocationRows) -> np.ndarray:
    """Row of ``table`` (series x full calendar, as ``calendar_grid`` makes it) per ``frame`` row.

    -1 where the series or day is absent. A positional lookup: a merge of millions of rows on
    strings and dates costs seconds and a copy of every column.
    """
    if table.empty:
        return np.full(len(frame["sku_id"]), -1)
    days = to_day(table["date"])
    first, n_days = days[0], int(days.max() - days[0] + 1)
    if len(table) % n_days:
        raise ValueError("calendar table is not one full calendar per series")
    series = table[keys].iloc[::n_days]
    index = pd.MultiIndex.from_frame(series) if len(keys) > 1 else pd.Index(series[keys[0]])
    wanted = (
        pd.MultiIndex.from_arrays([np.asarray(frame[k]) for k in keys])
        if len(keys) > 1
        else pd.Index(np.asarray(frame[keys[0]]))
    )
    code = index.get_indexer(wanted)
    rel = to_day(frame["snapshot_date"]) - first
    rows = np.where((code >= 0) & (rel >= 0) & (rel < n_days), code * n_days + rel, -1)
    found = rows >= 0
    if not (days[rows[found]] == to_day(frame["snapshot_date"])[found]).all():
        raise ValueError("calendar table is not sorted by series then day")
    return rows


def with_supplier_features(
    sku_location: SkuLocationRows, supplier: pd.DataFrame, lane: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Feature columns of the primary supplier and lane, of the same day, per SKU-location row.

    A model then reads one feature view: one point-in-time join instead of three, each of which
    costs (entity rows x days of history per key) in the offline store, and one online read.
    """
    columns: dict[str, np.ndarray] = {}
    for table, keys, names in (
        (supplier, ["supplier_id"], supplier_feature_names()),
        (lane, ["sku_id", "supplier_id"], lane_feature_names()),
    ):
        rows = _calendar_rows(table, keys, sku_location)
        for name in names:
            # A NaN appended last: rows of -1 (no supplier/lane row) pick it.
            columns[name] = np.append(table[name].to_numpy(dtype="float64"), np.nan)[rows]
    return columns


def sku_location_rows(
    sku_location: SkuLocationRows, supplier: pd.DataFrame, lane: pd.DataFrame
) -> pd.DataFrame:
    """The SKU-location feature view's rows (features only: labels never enter a view)."""
    own = [*SKU_LOCATION, TIMESTAMP, "snapshot_date"]
    own += demand_feature_names() + inventory_feature_names()
    columns = {name: _column(sku_location, name) for name in own}
    columns.update(with_supplier_features(sku_location, supplier, lane))
    return pd.DataFrame(columns)


def _column(rows: SkuLocationRows, name: str) -> object:
    """A column as an array, without converting timezone-aware timestamps to objects."""
    values = rows[name]
    return values.array if isinstance(values, pd.Series) else values


def label_rows(sku_location: SkuLocationRows) -> pd.DataFrame:
    """SKU-location training entity rows with complete label windows."""
    keep = np.asarray(sku_location["label_complete"], dtype=bool)
    names = [*SKU_LOCATION, TIMESTAMP, "supplier_id", "snapshot_date", "label"]
    return pd.DataFrame({name: _column(sku_location, name)[keep] for name in names})


def supplier_rows(supplier: pd.DataFrame) -> pd.DataFrame:
    return supplier[["supplier_id", TIMESTAMP, "date"] + supplier_feature_names()]


def lane_rows(lane: pd.DataFrame) -> pd.DataFrame:
    return lane[["sku_id", "supplier_id", TIMESTAMP, "date"] + lane_feature_names()]


def order_line_rows(order_lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines with a known label, by order time (then ids): the order every build keeps."""
    rows = order_lines[order_lines["label_complete"]].sort_values([TIMESTAMP, "order_id", "line_id"], kind="stable")
    return rows.drop(columns=["label_complete"]).reset_index(drop=True)
