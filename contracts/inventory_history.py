"""Rebuild daily inventory snapshots backwards from current stock and the recorded stock flows.

A WMS often exports today's stock only, next to what moved. Each quantity of
``inventory_snapshots`` on a day is then its current value minus the flows after that day:

- ``on_hand``: + PO receipts (``received_quantity`` on ``received_date``, or each delivery on
  its day when goods receipts are exported one per delivery), + stock movements
  (``quantity_delta`` on ``movement_date``, transfer legs included), - order-line units on the
  days they shipped;
- ``in_transit``: + a PO line's ``quantity`` from its ``order_date`` until its ``received_date``
  (less each delivery from its day),
  + a transfer from the day it left its origin (a movement out whose counterpart is this
  location) until it arrives (a movement in here whose counterpart is the origin);
- ``backordered``: + the units of a line that did not ship on its order day
  (``backordered_quantity``), - those units on the day they ship;
- ``allocated``: the stock held for open backorders, ``min(on_hand, backordered)``, before the
  current date; the exported value on it.

A current-stock export may leave out ``allocated``, ``in_transit`` and ``backordered``
(``DERIVED_WHEN_ABSENT``; a WMS knows what is on the shelf, not what is on order): their current
value is then what the open documents add up to, as for a SKU-location the export does not list.

A line ships ``quantity - backordered_quantity`` on its order day (the day of its order's
``order_time``) and the rest on ``shipped_date``, the day it shipped in full. A line shipped in
several pieces after its order day records only the last day, and one that is still open records
no day for what it shipped after the order day: those units are booked on the current date
(never making earlier stock negative) and counted as ``undated_units`` in the reconciliation.
Besides missing rows, these pieces are the only difference from the true history: stock and
backorders are overstated by a piece from the day it really shipped until the day it is booked.

Negative rebuilt stock on a day means a flow is missing, unless it is explained: the run of
negative days ends with a stock movement that adds stock and states why (``reason_code``) (a cycle count that
found units the books had not received, for example). Negative values are written as 0, as the
contract asks, and reported. The rebuild is numpy over a (SKU-location x day) grid: cumulative
sums along the days, no loop over days or SKU-locations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contracts.errors import ContractError
from contracts.keys import SKU_LOCATION
from contracts.tables import INVENTORY_MOVEMENTS

DATE = "snapshot_date"
FLOWS = ("on_hand", "in_transit", "backordered")
QUANTITIES = ("on_hand", "allocated", "in_transit", "backordered")
DERIVED_WHEN_ABSENT = ("allocated", "in_transit", "backordered")
_EVENT_COLUMNS = [*SKU_LOCATION, DATE, *FLOWS, "undated"]


@dataclass(frozen=True)
class InventoryHistory:
    """Rebuilt daily snapshots, the negative-stock days and the reconciliation per SKU-location.

    ``snapshots`` follows the ``inventory_snapshots`` contract (negatives written as 0).
    ``negative_stock`` has one row per SKU-location and day with negative rebuilt ``on_hand``
    (the value before clipping) and ``explained_by``, the reason of the movement that ended the
    run of negative days (null when nothing explains it). ``reconciliation`` has per SKU-location:
    ``flow_rows`` (flow records used), ``days_rebuilt``, ``negative_days``,
    ``unexplained_negative_days``, ``clipped_days`` (days with negative in-transit or backordered
    units: PO or order rows are missing), ``undated_units``, ``reference_days`` (days with an
    exported snapshot besides the current one) and ``max_discrepancy`` (largest absolute
    difference in units from those snapshots over the four quantities; null without any).
    ``unlisted`` counts SKU-locations with flows but no current stock row, rebuilt as holding
    nothing on the current date.
    """

    snapshots: pd.DataFrame
    negative_stock: pd.DataFrame
    reconciliation: pd.DataFrame
    current_date: pd.Timestamp
    first_date: pd.Timestamp
    unlisted: int

    @property
    def unexplained_negative_days(self) -> int:
        return int(self.reconciliation["unexplained_negative_days"].sum())

    def summary(self) -> str:
        """One sentence for the ingest report."""
        rec = self.reconciliation
        text = (
            f"inventory_snapshots rebuilt from the stock of {self.current_date:%Y-%m-%d}: "
            f"{len(rec)} SKU-locations x {(self.current_date - self.first_date).days + 1} days "
            f"from {self.first_date:%Y-%m-%d}; negative stock on {int(rec['negative_days'].sum())} "
            f"SKU-location days ({self.unexplained_negative_days} without a stated reason), "
            f"{int(rec['undated_units'].sum())} shipped units without a ship date"
        )
        compared = rec["reference_days"] > 0
        if compared.any():
            text += (
                f", max difference from {int(rec['reference_days'].sum())} exported snapshot rows "
                f"{int(rec.loc[compared, 'max_discrepancy'].max())} units"
            )
        if self.unlisted:
            text += f"; {self.unlisted} SKU-locations absent from the current stock taken as holding none"
        return text


def holds_current_stock(declared: str | None, snapshot_dates: int) -> bool:
    """Whether exported snapshots are current stock to rebuild the history from: as declared
    (``inventory`` in export.yaml), else when they hold a single date."""
    return declared == "current_stock" if declared else snapshot_dates == 1


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.normalize()


def _events(frame: pd.DataFrame, date: pd.Series, **deltas: object) -> pd.DataFrame:
    out = pd.DataFrame({"sku_id": frame["sku_id"].to_numpy(), "location_id": frame["location_id"].to_numpy()})
    out[DATE] = date.to_numpy()
    for name in (*FLOWS, "undated"):
        value = deltas.get(name, 0)
        out[name] = np.asarray(value, dtype=np.int64) if np.ndim(value) else np.int64(value)
    return out[_EVENT_COLUMNS]


def _line_events(
    order_lines: pd.DataFrame, orders: pd.DataFrame, current_date: pd.Timestamp
) -> list[pd.DataFrame]:
    order_time = orders.drop_duplicates("order_id").set_index("order_id")["order_time"]
    order_day = _day(order_lines["order_id"].map(order_time))
    if order_day.isna().any():
        unknown = order_lines.loc[order_day.isna(), "order_id"].iloc[0]
        raise ContractError(f"order_lines: order_id {unknown!r} has no order in orders (order_time needed)")
    quantity = order_lines["quantity"].astype(np.int64)
    shipped_date = _day(order_lines["shipped_date"])
    shipped = (
        pd.to_numeric(order_lines["shipped_quantity"])
        .fillna(quantity.where(shipped_date.notna(), 0))
        .astype(np.int64)
    )
    short = pd.to_numeric(order_lines["backordered_quantity"])
    complete_on_order_day = quantity.where(shipped_date == order_day, 0)
    first_day = (quantity - short).fillna(complete_on_order_day).clip(lower=0)
    first_day = np.minimum(first_day.astype(np.int64), shipped)
    later = shipped - first_day
    undated = later.where(shipped_date.isna(), 0)
    return [
        _events(order_lines, order_day, on_hand=-first_day, backordered=quantity - first_day),
        _events(
            order_lines,
            shipped_date.fillna(current_date),
            on_hand=-later,
            backordered=-later,
            undated=undated,
        ),
    ]


def _po_events(purchase_orders: pd.DataFrame, deliveries: pd.DataFrame | None) -> list[pd.DataFrame]:
    """A PO line is in transit from its order day; each delivery (``deliveries``: ``po_id``,
    ``received_date``, ``received_quantity``; by default a received line's one) moves its units on
    hand on its day, and the line's ``received_date`` takes what never came out of transit."""
    quantity = purchase_orders["quantity"].astype(np.int64)
    received_date = _day(purchase_orders["received_date"])
    received = received_date.notna()
    receipts = purchase_orders[received]
    received_quantity = pd.to_numeric(receipts["received_quantity"]).fillna(quantity[received]).astype(np.int64)
    if deliveries is None:
        deliveries = pd.DataFrame({"po_id": receipts["po_id"], "received_date": received_date[received],
                                   "received_quantity": received_quantity})
    delivered = deliveries.merge(purchase_orders[["po_id", *SKU_LOCATION]], on="po_id")
    units = delivered["received_quantity"].astype(np.int64)
    return [
        _events(purchase_orders, _day(purchase_orders["order_date"]), in_transit=quantity),
        _events(delivered, _day(delivered["received_date"]), on_hand=units, in_transit=-units),
        _events(receipts, received_date[received], in_transit=received_quantity - quantity[received]),
    ]


def _movement_events(movements: pd.DataFrame) -> list[pd.DataFrame]:
    delta = movements["quantity_delta"].astype(np.int64)
    date = _day(movements["movement_date"])
    transfer = movements["counterpart_location_id"].notna()
    left = transfer & (delta < 0)
    on_the_way = movements[left].assign(location_id=movements.loc[left, "counterpart_location_id"])
    arrived = transfer & (delta > 0)
    return [
        _events(movements, date, on_hand=delta),
        _events(on_the_way, date[left], in_transit=-delta[left]),
        _events(movements[arrived], date[arrived], in_transit=-delta[arrived]),
    ]


def _explaining_reasons(movements: pd.DataFrame) -> pd.DataFrame:
    """Movements that can end a run of negative stock: they add stock, are not transfers, say why."""
    reason = movements["reason_code"].astype("string").str.strip()
    explains = (
        (movements["quantity_delta"] > 0)
        & movements["counterpart_location_id"].isna()
        & reason.notna()
        & (reason != "")
    ).fillna(False)
    picked = movements[explains]
    return pd.DataFrame(
        {
            "sku_id": picked["sku_id"].to_numpy(),
            "location_id": picked["location_id"].to_numpy(),
            DATE: _day(picked["movement_date"]).to_numpy(),
            "reason": reason[explains].to_numpy(dtype=object),
        }
    )


def _grid_cells(
    frame: pd.DataFrame, keys: pd.DataFrame, first: pd.Timestamp, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row of the SKU-location, day index) of each row of ``frame``; -1 where off the grid."""
    row = frame[SKU_LOCATION].astype(object).merge(keys, on=SKU_LOCATION, how="left")["row"]
    day = ((pd.to_datetime(frame[DATE]) - first) // pd.Timedelta(days=1)).to_numpy()
    on_grid = row.notna().to_numpy() & (day >= 0) & (day < n_days)
    return np.where(on_grid, row.fillna(-1).to_numpy(dtype=np.int64), -1), np.where(on_grid, day, -1)


def rebuild_history(
    snapshots: pd.DataFrame,
    order_lines: pd.DataFrame,
    orders: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    movements: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    derived: Collection[str] = (),
    deliveries: pd.DataFrame | None = None,
) -> InventoryHistory:
    """Daily snapshots of every SKU-location of the latest snapshot date, from ``start`` (default:
    the earliest flow) to that date. The ``derived`` quantities (of ``DERIVED_WHEN_ABSENT``, not in
    the export) start from the open documents instead of the current stock's values.

    Snapshots on earlier dates are not used to rebuild; they are the reference the
    reconciliation compares the rebuilt history with. Flows after the latest snapshot date are
    ignored. Tables are in the canonical columns (``contracts.tables``); ``movements`` may be
    None or empty. ``deliveries`` are the PO lines' goods receipts when exported one per delivery.
    """
    if snapshots.empty:
        raise ContractError("inventory_snapshots: no current stock to rebuild the history from")
    dates = pd.to_datetime(snapshots[DATE])
    current_date = dates.max()
    listed = snapshots[dates == current_date].drop_duplicates(SKU_LOCATION)
    movements = movements if movements is not None else pd.DataFrame(columns=INVENTORY_MOVEMENTS.column_names)
    events = pd.concat(
        [
            *_line_events(order_lines, orders, current_date),
            *_po_events(purchase_orders, deliveries),
            *_movement_events(movements),
        ],
        ignore_index=True,
    )
    events = events[events[DATE] <= current_date]
    current = _current_stock(listed, events, derived)
    earliest = events[DATE].min()
    first = pd.Timestamp(start) if start is not None else current_date if pd.isna(earliest) else earliest
    if first > current_date:
        raise ContractError(f"start {first:%Y-%m-%d} is after the current stock date {current_date:%Y-%m-%d}")
    n_days = int((current_date - first) / pd.Timedelta(days=1)) + 1
    keys = current[SKU_LOCATION].astype(object).assign(row=np.arange(len(current)))
    n_keys = len(keys)

    row, day = _grid_cells(events, keys, first, n_days)
    on_grid = row >= 0
    flat = row[on_grid] * n_days + day[on_grid]
    after = {}
    for name in FLOWS:
        delta = np.bincount(flat, events[name].to_numpy()[on_grid], n_keys * n_days)
        delta = np.rint(delta).astype(np.int64).reshape(n_keys, n_days)
        cumulative = np.cumsum(delta, axis=1)
        after[name] = cumulative[:, -1:] - cumulative  # the flows of the days after each day
    raw = {name: current[name].to_numpy(dtype=np.int64)[:, None] - after[name] for name in FLOWS}

    negative = raw["on_hand"] < 0
    explained_by = _explanations(negative, movements, keys, first, n_days)
    explained = negative & explained_by.notna().to_numpy().reshape(n_keys, n_days)
    values = {name: np.clip(raw[name], 0, None) for name in FLOWS}
    allocated = np.minimum(values["on_hand"], values["backordered"])
    allocated[:, -1] = current["allocated"].to_numpy(dtype=np.int64)
    values["allocated"] = allocated

    day_index = pd.date_range(first, current_date, freq="D")
    rebuilt = pd.DataFrame(
        {
            DATE: np.repeat(day_index.to_numpy(), n_keys),
            "sku_id": np.tile(current["sku_id"].to_numpy(dtype=object), n_days),
            "location_id": np.tile(current["location_id"].to_numpy(dtype=object), n_days),
            **{name: values[name].T.ravel() for name in QUANTITIES},
        }
    )
    cell_row, cell_day = np.nonzero(negative)
    negative_stock = pd.DataFrame(
        {
            "sku_id": current["sku_id"].to_numpy(dtype=object)[cell_row],
            "location_id": current["location_id"].to_numpy(dtype=object)[cell_row],
            DATE: day_index.to_numpy()[cell_day],
            "on_hand": raw["on_hand"][cell_row, cell_day],
            "explained_by": explained_by.to_numpy()[cell_row * n_days + cell_day],
        }
    )
    flow_rows = np.bincount(row[on_grid], minlength=n_keys)
    undated = np.bincount(row[on_grid], events["undated"].to_numpy()[on_grid], n_keys)
    reconciliation = current[SKU_LOCATION].copy()
    reconciliation["flow_rows"] = flow_rows
    reconciliation["days_rebuilt"] = n_days
    reconciliation["negative_days"] = negative.sum(axis=1)
    reconciliation["unexplained_negative_days"] = (negative & ~explained).sum(axis=1)
    reconciliation["clipped_days"] = ((raw["in_transit"] < 0) | (raw["backordered"] < 0)).sum(axis=1)
    reconciliation["undated_units"] = np.rint(undated).astype(np.int64)
    exported = [name for name in QUANTITIES if name not in derived]
    reconciliation = _compare(reconciliation, rebuilt, snapshots[dates < current_date], keys, first, n_days, exported)
    unlisted = len(current) - len(listed)
    return InventoryHistory(rebuilt, negative_stock, reconciliation, current_date, first, unlisted)


def _current_stock(listed: pd.DataFrame, events: pd.DataFrame, derived: Collection[str]) -> pd.DataFrame:
    """Current stock with a row for every SKU-location that has flows but none in the export
    (systems often leave out what they hold none of): nothing on hand or allocated, in transit
    and backordered what its open PO and order lines add up to. The ``derived`` quantities of the
    listed rows are set the same way (allocated: ``min(on_hand, backordered)``)."""
    open_documents = events.groupby(SKU_LOCATION, as_index=False)[["in_transit", "backordered"]].sum()
    open_documents[["in_transit", "backordered"]] = open_documents[["in_transit", "backordered"]].clip(lower=0)
    listed = listed[[*SKU_LOCATION, *QUANTITIES]]
    from_documents = [name for name in ("in_transit", "backordered") if name in derived]
    if from_documents:
        found = listed[SKU_LOCATION].astype(object).merge(open_documents, on=SKU_LOCATION, how="left")
        listed = listed.assign(**{name: found[name].fillna(0).to_numpy(dtype=np.int64) for name in from_documents})
    if "allocated" in derived:
        listed = listed.assign(allocated=np.minimum(listed["on_hand"], listed["backordered"]))
    known = pd.MultiIndex.from_frame(listed[SKU_LOCATION].astype(object))
    unlisted = open_documents[~pd.MultiIndex.from_frame(open_documents[SKU_LOCATION].astype(object)).isin(known)]
    unlisted = unlisted.assign(on_hand=0, allocated=0)
    return pd.concat([listed, unlisted], ignore_index=True)


def _explanations(
    negative: np.ndarray, movements: pd.DataFrame, keys: pd.DataFrame, first: pd.Timestamp, n_days: int
) -> pd.Series:
    """Per grid cell (row-major), the reason of the movement on the day a negative run ends."""
    n_keys = len(keys)
    reasons = pd.Series(pd.NA, index=range(n_keys * n_days), dtype="object")
    explaining = _explaining_reasons(movements)
    if not negative.any() or explaining.empty:
        return reasons
    row, day = _grid_cells(explaining, keys, first, n_days)
    found = row >= 0
    by_cell = (
        pd.Series(explaining["reason"].to_numpy()[found], index=row[found] * n_days + day[found])
        .groupby(level=0)
        .agg("; ".join)
    )
    reasons.loc[by_cell.index] = by_cell.to_numpy()
    # the first day at or after each day whose stock is not negative: where a negative run ends
    days = np.broadcast_to(np.arange(n_days), negative.shape)
    next_ok = np.minimum.accumulate(np.where(negative, n_days, days)[:, ::-1], axis=1)[:, ::-1]
    ends = np.minimum(next_ok, n_days - 1) + np.arange(n_keys)[:, None] * n_days
    ending_reason = reasons.to_numpy()[ends.ravel()]
    keep = negative.ravel() & (next_ok.ravel() < n_days)
    return pd.Series(np.where(keep, ending_reason, pd.NA), dtype="object")


def _compare(
    reconciliation: pd.DataFrame,
    rebuilt: pd.DataFrame,
    reference: pd.DataFrame,
    keys: pd.DataFrame,
    first: pd.Timestamp,
    n_days: int,
    exported: list[str],
) -> pd.DataFrame:
    """Add ``reference_days`` and ``max_discrepancy``: the rebuilt history against exported snapshots,
    on the ``exported`` quantities."""
    reference = reference.assign(**{DATE: pd.to_datetime(reference[DATE])})
    row, day = _grid_cells(reference, keys, first, n_days)
    found = row >= 0
    cells = day[found] * len(keys) + row[found]  # rebuilt is day-major
    ours = rebuilt[exported].to_numpy(dtype=np.int64)[cells]
    theirs = reference[exported].to_numpy(dtype=np.int64)[found]
    worst = np.abs(ours - theirs).max(axis=1, initial=0)
    compared = pd.DataFrame({"row": row[found], "worst": worst}).groupby("row")["worst"]
    reconciliation["reference_days"] = compared.size().reindex(range(len(keys)), fill_value=0).to_numpy()
    reconciliation["max_discrepancy"] = compared.max().reindex(range(len(keys))).to_numpy(dtype=float)
    return reconciliation
