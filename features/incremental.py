"""Which rows of the feature and label tables a build must compute, given the last build.

When the canonical tables only grew by days after the last build's data end (the history known
at that day is unchanged, ``contracts.known_at``) and the recipe is the same, the stored rows of
older days keep their values: a day's features read facts known by that day only. What can still
change is recomputed:

- daily tables (SKU-location, supplier and lane features, SKU-location labels): the days after
  the last data end, and the days whose label window (``horizon`` days after them) was still
  incomplete for a series that has new snapshots (``label_cut``);
- order-line labels: the lines ordered after the last data end and every older line whose
  outcome was still unknown then (``open_line_cut``).

Anything else (first build, changed older rows, other horizon or features, as-of inputs changed
or added) rebuilds everything, and the plan says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from contracts.known_at import HistoryDigests, tables_known_at
from features.build import (
    DEMAND_LONGEST_WINDOW,
    SUPPLIER_LONGEST_WINDOW,
    TIMESTAMP,
    available_at,
    sku_location_feature_names,
)
from features.labels import order_line_labels
from features.supplier import lane_feature_names, supplier_feature_names

# Per stored table, the order of a full build's rows (keys, then the day), which an incremental
# build keeps; the day column (the last, or the first for order lines) decides which stored rows
# are kept and which are recomputed.
STORED_ORDER = {
    "sku_location_features": ("sku_id", "location_id", "snapshot_date"),
    "sku_location_labels": ("sku_id", "location_id", "snapshot_date"),
    "supplier_features": ("supplier_id", "date"),
    "lane_features": ("sku_id", "supplier_id", "date"),
    "order_line_labels": (TIMESTAMP, "order_id", "line_id"),
}


def day_column(table: str) -> str:
    """The column that dates the rows of a stored table."""
    order = STORED_ORDER[table]
    return order[0] if table == "order_line_labels" else order[-1]


@dataclass(frozen=True)
class BuildPlan:
    """What a build computes: everything (``since`` None) or the rows from ``since`` (daily
    tables) and ``order_lines_since`` (order lines); ``reason`` says why, for the build stamp.
    ``new_days_from`` is the first day after the last build's data end."""

    since: pd.Timestamp | None
    order_lines_since: pd.Timestamp | None
    reason: str
    new_days_from: pd.Timestamp | None = None

    @property
    def incremental(self) -> bool:
        return self.since is not None

    def changed_from(self) -> str | None:
        """The first feature timestamp whose values this build may change (ISO), None when it
        rewrites everything.

        Features of a day read facts known by that day only, so the rows rewritten before the new
        days (for their labels) keep their feature values: the new days are what changes. Labels
        and order-line rows are no feature view's rows."""
        if self.new_days_from is None:
            return None
        return available_at(pd.Series([self.new_days_from])).iloc[0].isoformat()

    def cuts(self) -> dict[str, pd.Timestamp]:
        """Per stored table, the first day of the rows this build replaces (older rows are kept)."""
        if self.since is None or self.order_lines_since is None:
            return {}
        day = {name: self.since for name in STORED_ORDER}
        day["order_line_labels"] = self.order_lines_since.tz_localize("UTC")
        return day


def recipe(horizon: int, asof_inputs: tuple[str, ...]) -> str:
    """A short digest of what makes the rows of a day: horizon, feature columns, look-backs and
    which as-of inputs are used. A change of any of these rebuilds everything."""
    parts = [
        f"horizon={horizon}",
        ",".join(sku_location_feature_names() + supplier_feature_names() + lane_feature_names()),
        f"lookback={DEMAND_LONGEST_WINDOW},{SUPPLIER_LONGEST_WINDOW}",
        ",".join(sorted(asof_inputs)),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def data_end(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp:
    """The last day the canonical tables cover: the newest inventory snapshot."""
    return pd.Timestamp(tables["inventory_snapshots"]["snapshot_date"].max()).normalize()


def label_cut(tables: Mapping[str, pd.DataFrame], last_end: pd.Timestamp, horizon: int) -> pd.Timestamp:
    """The first day whose SKU-location rows can change since a build at ``last_end``.

    A series' label windows stop at its last snapshot; a series with snapshots after
    ``last_end`` completes the windows of its last ``horizon`` days known then.
    """
    snapshots = tables["inventory_snapshots"][["sku_id", "location_id", "snapshot_date"]]
    old = snapshots["snapshot_date"] <= last_end
    grown = snapshots.loc[~old, ["sku_id", "location_id"]].drop_duplicates()
    last_old = snapshots[old].groupby(["sku_id", "location_id"], sort=False)["snapshot_date"].max()
    ends = grown.merge(last_old.reset_index(), on=["sku_id", "location_id"], how="inner")["snapshot_date"]
    first_new = last_end + pd.Timedelta(days=1)
    if ends.empty:
        return first_new
    return min(first_new, pd.Timestamp(ends.min()).normalize() - pd.Timedelta(days=horizon - 1))


def open_line_cut(lines: pd.DataFrame, last_end: pd.Timestamp) -> pd.Timestamp:
    """The first order day with a line whose label was unknown at ``last_end``, or the day after
    ``last_end``. ``lines``: every order line with its order (``demand.order_demand``), as known
    now; the lines ordered by ``last_end`` are taken as known then (``contracts.known_at``)."""
    outcome = ["order_date", "requested_date", "backordered_quantity", "shipped_date"]
    then = tables_known_at({"order_lines": lines.loc[lines["order_date"] <= last_end, outcome]}, last_end)
    known = then["order_lines"]
    open_lines = ~order_line_labels(known, last_end)["label_complete"].to_numpy()
    first_new = last_end + pd.Timedelta(days=1)
    if not open_lines.any():
        return first_new
    return min(first_new, pd.Timestamp(known.loc[open_lines, "order_date"].min()))


def plan_build(
    tables: Mapping[str, pd.DataFrame],
    lines: pd.DataFrame,
    last: Mapping[str, object] | None,
    build_recipe: str,
    horizon: int,
    digests: HistoryDigests | None = None,
) -> BuildPlan:
    """Full or incremental, from the canonical ``tables`` (plus ``forecasts``/``po_etas`` when
    used), their order ``lines`` with their order (``demand.order_demand``) and the stamp of the
    last build (``last``: None if there was none or its tables are gone). ``digests`` of ``tables``
    (made here if not given) check the history the last build saw; the build's own stamp takes the
    digest of its data end from the same ones."""
    if not last or "data_end" not in last:
        return BuildPlan(None, None, "full: no earlier build to extend")
    if last.get("recipe") != build_recipe:
        return BuildPlan(None, None, "full: the horizon, the features or the as-of inputs changed")
    last_end = pd.Timestamp(str(last["data_end"]))
    end = data_end(tables)
    if end <= last_end:
        return BuildPlan(None, None, f"full: the data end {end.date()} is not after the last build's {last_end.date()}")
    if (digests or HistoryDigests(tables)).at(last_end) != last.get("history"):
        return BuildPlan(None, None, f"full: rows dated on or before {last_end.date()} changed")
    since = label_cut(tables, last_end, horizon)
    lines_since = open_line_cut(lines, last_end)
    return BuildPlan(
        since,
        lines_since,
        f"incremental: days from {since.date()}, order lines from {lines_since.date()}",
        last_end + pd.Timedelta(days=1),
    )
