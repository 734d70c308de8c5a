"""Compose the feature pipelines into the tables the feature store serves and training reads.

Each function takes canonical tables (already validated, canonical dtypes) and returns one frame;
the only state is the frames passed in. Feature rows carry ``event_timestamp`` = the snapshot day
plus one day: a day's end-of-day figures become usable at midnight after it, so an order placed
during day t is joined with the features of day t-1, never with figures it helped to produce.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from contracts.tables import CANONICAL_TABLES
from features.chunks import sku_groups
from features.demand import FORECAST_FEATURES, demand_feature_names, demand_features, order_demand
from features.demand import LONGEST_WINDOW as DEMAND_LONGEST_WINDOW
from features.grid import make_grid, to_day
from features.inventory import ETA_FEATURES, inventory_feature_names, inventory_features
from features.labels import DEFAULT_HORIZON, order_line_labels, sku_location_labels
from features.supplier import LONGEST_WINDOW as SUPPLIER_LONGEST_WINDOW
from features.supplier import (
    calendar_grid,
    lane_feature_names,
    lane_features,
    primary_suppliers,
    supplier_feature_names,
    supplier_features,
)
from features.view_rows import (
    TIMESTAMP,
    label_rows,
    lane_rows,
    order_line_rows,
    sku_location_rows,
    supplier_rows,
)

# SKUs per group in ``iter_feature_tables``: ~1.5M SKU-location-days per group on two years.
SKUS_PER_GROUP = 500
# Order lines per piece of the order-line labels in ``iter_feature_tables`` (whole order days).
LINES_PER_PIECE = 2_000_000
REQUIRED_TABLES = (
    "inventory_snapshots",
    "orders",
    "order_lines",
    "purchase_orders",
    "asn_events",
    "promotions",
    "sku_suppliers",
    "suppliers",
)


@dataclass(frozen=True)
class FeatureTables:
    """Feature tables (served by Feast) and label tables (entity rows for training sets)."""

    sku_location_features: pd.DataFrame
    supplier_features: pd.DataFrame
    lane_features: pd.DataFrame
    sku_location_labels: pd.DataFrame
    order_line_labels: pd.DataFrame

    def as_dict(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def sku_location_feature_names() -> list[str]:
    """Features of the SKU-location view: its own, then its primary supplier's and lane's."""
    return (
        demand_feature_names()
        + inventory_feature_names()
        + supplier_feature_names()
        + lane_feature_names()
    )


def asof_feature_names() -> list[str]:
    """Features computed from the demand and lead-time models' as-of outputs: NaN without them
    (``forecasts`` and ``po_etas`` of the build functions, made by ``backorder features asof``)."""
    return [*FORECAST_FEATURES, *ETA_FEATURES]


def available_at(day: pd.Series) -> pd.Series:
    """When a day's end-of-day figures may be used: midnight (UTC) after the day."""
    return (
        (pd.to_datetime(day) + pd.Timedelta(days=1))
        .dt.tz_localize("UTC")
        .astype("datetime64[us, UTC]")
    )


def lookback_start(since: pd.Timestamp | None, longest_window: int) -> pd.Timestamp | None:
    """The first day a grid needs so that rows from ``since`` get whole windows of
    ``longest_window`` days (None: the whole history)."""
    return None if since is None else pd.Timestamp(since) - pd.Timedelta(days=longest_window - 1)


def check_tables(
    tables: Mapping[str, pd.DataFrame], names: tuple[str, ...] = REQUIRED_TABLES
) -> None:
    """Fail early, naming the table and column, when an input lacks what the pipelines read."""
    for name in names:
        if name not in tables:
            raise ValueError(f"missing canonical table {name!r}")
        missing = set(CANONICAL_TABLES[name].required_columns) - set(tables[name].columns)
        if missing:
            raise ValueError(f"table {name!r}: missing column(s) {sorted(missing)}")


def sku_location_columns(
    snapshots: pd.DataFrame,
    lines: pd.DataFrame,
    promotions: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    asn_events: pd.DataFrame,
    sku_suppliers: pd.DataFrame,
    horizon: int = DEFAULT_HORIZON,
    forecasts: pd.DataFrame | None = None,
    po_etas: pd.DataFrame | None = None,
    since: pd.Timestamp | None = None,
) -> dict[str, object]:
    """Per snapshot: keys, primary ``supplier_id``, features, ``label``, ``label_complete``.

    Columns as arrays: the wide table is assembled once, by the caller. ``lines`` comes from
    ``demand.order_demand``; ``forecasts`` and ``po_etas`` are the as-of model outputs (see
    ``asof_feature_names``). Rows are independent per SKU, so any split of the inputs by SKU
    gives the same rows (what ``features.distributed`` and ``chunks`` rely on). With ``since``
    only the snapshots of that day on come back, computed over the days from
    ``lookback_start(since, demand.LONGEST_WINDOW)``: the same values as a pass over the whole
    history, at the cost of the recent days.
    """
    spans = snapshots.groupby(SKU_LOCATION, sort=False)["snapshot_date"].agg(
        ["min", "max"]
    )
    grid_since = lookback_start(since, DEMAND_LONGEST_WINDOW)
    grid = make_grid(spans.reset_index(), tuple(SKU_LOCATION), "min", "max", grid_since)
    if grid_since is not None:
        snapshots = snapshots[snapshots["snapshot_date"] >= grid_since]
    demand = demand_features(grid, lines, promotions, horizon, forecasts)
    primary = primary_suppliers(sku_suppliers)
    inventory = inventory_features(
        grid, snapshots, purchase_orders, asn_events, primary, demand["demand_mean_28"].to_numpy(), po_etas
    )
    labels = sku_location_labels(grid, inventory["backordered"].to_numpy(), lines, horizon)
    keep = ~np.isnan(inventory["on_hand"].to_numpy())  # rows with a snapshot
    if since is not None:
        keep &= grid.day >= to_day(np.array([pd.Timestamp(since)]))[0]
    cells = grid.frame()
    columns: dict[str, object] = {
        "sku_id": cells["sku_id"].to_numpy()[keep],
        "location_id": cells["location_id"].to_numpy()[keep],
        "snapshot_date": cells["date"].to_numpy()[keep],
    }
    columns[TIMESTAMP] = available_at(pd.Series(columns["snapshot_date"])).array
    for part in (demand, inventory, labels):
        columns.update({name: values.to_numpy()[keep] for name, values in part.items()})
    supplier_of = dict(zip(primary["sku_id"], primary["supplier_id"], strict=True))
    columns["supplier_id"] = pd.Series(columns["sku_id"]).map(supplier_of).to_numpy()
    return columns


def sku_location_table(*inputs: Any, **options: Any) -> pd.DataFrame:
    """``sku_location_columns`` (same arguments) as a DataFrame."""
    return pd.DataFrame(sku_location_columns(*inputs, **options))


def supplier_table(
    purchase_orders: pd.DataFrame,
    supplier_ids: pd.Series,
    calendar: tuple[pd.Timestamp, pd.Timestamp],
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Supplier features per supplier and calendar day (from ``since`` on, if given)."""
    grid = calendar_grid(
        pd.DataFrame({"supplier_id": supplier_ids}),
        ("supplier_id",),
        *calendar,
        lookback_start(since, SUPPLIER_LONGEST_WINDOW),
    )
    frame = pd.concat([grid.frame(), supplier_features(grid, purchase_orders)], axis=1)
    frame.insert(1, TIMESTAMP, available_at(frame["date"]))
    return _from_day(frame, since)


def lane_table(
    sku_suppliers: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    calendar: tuple[pd.Timestamp, pd.Timestamp],
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """SKU-supplier lane features per lane and calendar day (from ``since`` on, if given)."""
    grid = calendar_grid(
        sku_suppliers,
        ("sku_id", "supplier_id"),
        *calendar,
        lookback_start(since, SUPPLIER_LONGEST_WINDOW),
    )
    frame = pd.concat([grid.frame(), lane_features(grid, sku_suppliers, purchase_orders)], axis=1)
    frame.insert(2, TIMESTAMP, available_at(frame["date"]))
    return _from_day(frame, since)


def _from_day(calendar_table: pd.DataFrame, since: pd.Timestamp | None) -> pd.DataFrame:
    """The rows of a calendar table from ``since`` on (all of them without it)."""
    if since is None:
        return calendar_table
    return calendar_table[calendar_table["date"] >= since].reset_index(drop=True)


def order_line_table(
    lines: pd.DataFrame, sku_suppliers: pd.DataFrame, data_end: pd.Timestamp
) -> pd.DataFrame:
    """Order-line entity rows (request fields at ``order_time``) with their label."""
    labels = order_line_labels(lines, data_end)
    primary = primary_suppliers(sku_suppliers)[["sku_id", "supplier_id"]]
    frame = pd.DataFrame(
        {
            "order_id": lines["order_id"],
            "line_id": lines["line_id"],
            "sku_id": lines["sku_id"],
            "location_id": lines["location_id"],
            TIMESTAMP: lines["order_time"]
            .dt.tz_localize("UTC")
            .dt.floor("us")
            .astype("datetime64[us, UTC]"),
            "request_time": lines["order_time"],
            "quantity": lines["quantity"],
            "requested_date": lines["requested_date"],
            "customer_tier": lines["customer_tier"],
        }
    )
    frame = pd.concat([frame, labels], axis=1).merge(primary, on="sku_id", how="left")
    return frame.reset_index(drop=True)


def calendar_of(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Days supplier and lane features cover: from the first PO or snapshot to the last snapshot."""
    snapshots = tables["inventory_snapshots"]["snapshot_date"]
    pos = tables["purchase_orders"]["order_date"]
    first = min(snapshots.min(), pos.min()) if len(pos) else snapshots.min()
    return pd.Timestamp(first), pd.Timestamp(snapshots.max())


def iter_feature_tables(
    tables: Mapping[str, pd.DataFrame],
    horizon: int = DEFAULT_HORIZON,
    forecasts: pd.DataFrame | None = None,
    skus_per_group: int = SKUS_PER_GROUP,
    po_etas: pd.DataFrame | None = None,
    since: pd.Timestamp | None = None,
    order_lines_since: pd.Timestamp | None = None,
    lines_per_piece: int = LINES_PER_PIECE,
    lines: pd.DataFrame | None = None,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(table name, rows)`` pieces of every feature and label table, SKU group by SKU group.

    Supplier and lane tables come first, whole, then the order-line labels in pieces of whole
    order days (about ``lines_per_piece`` lines, in order); SKU-location features and labels
    follow in pieces of ``skus_per_group`` SKUs, so memory grows with a piece, not the history.
    Incomplete label windows are dropped. ``since`` limits the daily tables to the rows of that
    day on, ``order_lines_since`` the order-line rows to lines ordered that day or later (an
    incremental build, see ``features.incremental``); the rows are those of a whole build.
    ``lines``: ``demand.order_demand`` of the tables, when the caller already has it.
    """
    check_tables(tables)
    if tables["inventory_snapshots"].empty:
        raise ValueError("table 'inventory_snapshots' is empty: nothing to compute features for")
    lines = order_demand(tables["order_lines"], tables["orders"]) if lines is None else lines
    calendar = calendar_of(tables)
    pos = tables["purchase_orders"]
    supplier = supplier_table(pos, tables["suppliers"]["supplier_id"], calendar, since)
    lane = lane_table(tables["sku_suppliers"], pos, calendar, since)
    yield "supplier_features", supplier_rows(supplier)
    yield "lane_features", lane_rows(lane)
    recent = lines if order_lines_since is None else lines[lines["order_date"] >= order_lines_since]
    for piece in order_day_pieces(recent, lines_per_piece):
        yield "order_line_labels", order_line_rows(order_line_table(piece, tables["sku_suppliers"], calendar[1]))
    asn = tables["asn_events"].merge(pos[["po_id", "sku_id"]], on="po_id", how="inner")
    by_sku = {
        "inventory_snapshots": tables["inventory_snapshots"],
        "lines": lines,
        "promotions": tables["promotions"],
        "purchase_orders": pos,
        "asn_events": asn,
        "sku_suppliers": tables["sku_suppliers"],
        "forecasts": forecasts,
        "po_etas": po_etas,
    }
    for part in sku_groups(by_sku, skus_per_group):
        sku_location = sku_location_columns(
            part["inventory_snapshots"],
            part["lines"],
            part["promotions"],
            part["purchase_orders"],
            part["asn_events"].drop(columns=["sku_id"]),
            part["sku_suppliers"],
            horizon,
            part["forecasts"],
            part["po_etas"],
            since,
        )
        yield "sku_location_features", sku_location_rows(sku_location, supplier, lane)
        yield "sku_location_labels", label_rows(sku_location)


def order_day_pieces(lines: pd.DataFrame, lines_per_piece: int) -> Iterator[pd.DataFrame]:
    """``lines`` in pieces of whole order days (``order_date``), in day order, each of about
    ``lines_per_piece`` lines (a day with more is one piece); one empty piece when there are none.
    Rows sorted by order time piece by piece are then sorted as a whole."""
    days = lines["order_date"].to_numpy()
    per_day = pd.Series(days).value_counts().sort_index()
    if per_day.empty:
        yield lines
        return
    piece = (per_day.cumsum().to_numpy() - 1) // lines_per_piece
    starts = per_day.index[np.r_[True, piece[1:] != piece[:-1]]]
    for start, end in zip(starts, [*starts[1:], None], strict=True):
        yield lines[(days >= start) & (days < end)] if end is not None else lines[days >= start]


def build_feature_tables(
    tables: Mapping[str, pd.DataFrame],
    horizon: int = DEFAULT_HORIZON,
    forecasts: pd.DataFrame | None = None,
    skus_per_group: int = SKUS_PER_GROUP,
    po_etas: pd.DataFrame | None = None,
    lines_per_piece: int = LINES_PER_PIECE,
) -> FeatureTables:
    """All feature and label tables in memory (``iter_feature_tables``, pieces concatenated)."""
    pieces: dict[str, list[pd.DataFrame]] = {
        name: [] for name in FeatureTables.__dataclass_fields__
    }
    pieces_of = iter_feature_tables(
        tables, horizon, forecasts, skus_per_group, po_etas, lines_per_piece=lines_per_piece
    )
    for name, frame in pieces_of:
        pieces[name].append(frame)
    return FeatureTables(
        **{name: pd.concat(frames, ignore_index=True) for name, frames in pieces.items()}
    )


def split_tables(
    sku_location: pd.DataFrame,
    supplier: pd.DataFrame,
    lane: pd.DataFrame,
    order_lines: pd.DataFrame,
) -> FeatureTables:
    """The feature and label tables from whole intermediate frames (the Dask path)."""
    return FeatureTables(
        sku_location_features=sku_location_rows(sku_location, supplier, lane),
        supplier_features=supplier_rows(supplier),
        lane_features=lane_rows(lane),
        sku_location_labels=label_rows(sku_location),
        order_line_labels=order_line_rows(order_lines),
    )
