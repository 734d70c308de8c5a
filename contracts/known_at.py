"""The canonical tables as they were known at the end of a day, and a digest of that view.

A nightly export only adds facts dated after the previous export: new orders, snapshots, POs and
ASNs, and outcomes (shipments, receipts) of older rows that happen later. ``tables_known_at``
rebuilds what an export of ``day`` would have held from a later one, so a step can check that
the history it already processed is unchanged (``HistoryDigests`` of the old and new tables)
and process only the days after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from contracts.fingerprint import frame_fingerprint, hashes_fingerprint, row_hashes

# Tables whose rows are dated, with the column that dates them: rows after the day are unknown.
DATED_ROWS = {
    "orders": "order_time",
    "purchase_orders": "order_date",
    "asn_events": "event_time",
    "inventory_snapshots": "snapshot_date",
    "inventory_movements": "movement_date",
    "promotions": "announced_date",
    "forecasts": "ds",  # as-of demand forecasts, when a step passes them along
}
# Tables whose rows follow a row of another table: (table, key) whose known rows they keep.
FOLLOWERS = {
    "order_lines": ("orders", "order_id"),
    "po_etas": ("purchase_orders", "po_id"),  # as-of PO arrival predictions
}
# Outcome columns of older rows that become known later: (date column, columns cleared with it).
LATER_OUTCOMES = {
    "order_lines": ("shipped_date", {"shipped_quantity": 0}),
    "purchase_orders": ("received_date", {"received_quantity": pd.NA}),
}


def _naive_utc(values: pd.Series) -> pd.Series:
    """Timestamps without a time zone (timezone-aware values converted to UTC)."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _before(values: pd.Series, edge: pd.Timestamp) -> pd.Series:
    """Whether each timestamp falls before ``edge`` (timezone-aware values compared in UTC)."""
    return _naive_utc(values) < edge


def _rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame``'s rows where ``keep``; ``frame`` itself when that is all of them (no copy of a
    large table whose rows are all known)."""
    return frame if keep.all() else frame[keep]


def tables_known_at(tables: Mapping[str, pd.DataFrame], day: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """``tables`` as known at the end of ``day``: rows dated after it dropped, later outcomes cleared.

    Order lines follow their order (``FOLLOWERS``); tables without a date (suppliers, SKU terms,
    ...) are kept whole. Dtypes are kept.
    """
    edge = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
    known = _KnownRows(tables)
    out = {name: _rows(frame, known.before(name, edge)) for name, frame in tables.items()}
    for name in LATER_OUTCOMES.keys() & out.keys():
        out[name] = _outcomes_cleared(name, out[name], edge)
    return {name: _renumbered(frame) for name, frame in out.items()}


class _KnownRows:
    """Which rows of ``tables`` are known before a day: a dated table's rows dated before it, a
    follower's rows whose key a known row of its parent has (``DATED_ROWS``, ``FOLLOWERS``)."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]) -> None:
        self.tables = tables
        self._follower_dates: dict[str, np.ndarray] = {}

    def _dated(self, name: str) -> np.ndarray:
        """The date of each row of a dated table (``DATED_ROWS``), naive UTC; for a follower the
        earliest date of its parent's rows with its key (absent: never known), kept for other days."""
        if name in DATED_ROWS:
            return _naive_utc(self.tables[name][DATED_ROWS[name]]).to_numpy()
        if name not in self._follower_dates:
            parent, key = FOLLOWERS[name]
            parent_keys, own_keys = self.tables[parent][key].to_numpy(), self.tables[name][key].to_numpy()
            codes, uniques = pd.factorize(np.concatenate([parent_keys, own_keys]), use_na_sentinel=False)
            dates = self._dated(parent).astype("datetime64[ns]")
            dated = ~np.isnat(dates)
            never = np.iinfo(np.int64).max
            first = np.full(len(uniques), never, dtype=np.int64)
            np.minimum.at(first, codes[: len(parent_keys)][dated], dates[dated].view(np.int64))
            own = first[codes[len(parent_keys) :]]
            self._follower_dates[name] = np.where(own == never, np.datetime64("NaT"), own.view("datetime64[ns]"))
        return self._follower_dates[name]

    def before(self, name: str, edge: pd.Timestamp) -> np.ndarray:
        """Which rows of table ``name`` are known before ``edge`` (all of an undated table's)."""
        if name in DATED_ROWS or (name in FOLLOWERS and FOLLOWERS[name][0] in self.tables):
            return self._dated(name) < edge.to_datetime64()
        return np.ones(len(self.tables[name]), dtype=bool)


def _outcomes_cleared(name: str, frame: pd.DataFrame, edge: pd.Timestamp) -> pd.DataFrame:
    """``frame`` (of table ``name``) with its outcomes dated on or after ``edge`` cleared
    (``LATER_OUTCOMES``); itself when there are none."""
    column, cleared = LATER_OUTCOMES[name]
    later = ~_before(frame[column], edge) & frame[column].notna()
    if not later.any():
        return frame
    frame = frame.copy()
    frame.loc[later, column] = pd.NaT
    for other, value in cleared.items():
        if other in frame:
            frame.loc[later, other] = value
    return frame


def _renumbered(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with rows numbered from 0, itself when they already are (no copy)."""
    numbered = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(pd.RangeIndex(len(frame)))
    return frame if numbered else frame.reset_index(drop=True)


class HistoryDigests:
    """``tables_digest`` of ``tables_known_at(tables, day)`` at any number of days, each table's rows hashed once.

    A row's hash does not depend on the other rows (``row_hashes``), so the digest of a day takes
    the hashes of the rows known that day; only the rows whose later outcome that day clears are
    hashed again, as cleared. No table is copied whole.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame]) -> None:
        self.tables = tables
        self._known = _KnownRows(tables)
        self._hashes: dict[str, np.ndarray] = {}

    def at(self, day: pd.Timestamp) -> str:
        edge = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            frame = self.tables[name]
            keep = self._known.before(name, edge)
            hashes = self._row_hashes(name)
            if name in LATER_OUTCOMES:
                hashes = self._with_outcomes_cleared(name, hashes, keep, edge)
            digest.update(f"{name}:{hashes_fingerprint(hashes[keep], frame.columns)}".encode())
        return digest.hexdigest()[:16]

    def _row_hashes(self, name: str) -> np.ndarray:
        if name not in self._hashes:
            self._hashes[name] = row_hashes(self.tables[name])
        return self._hashes[name]

    def _with_outcomes_cleared(self, name: str, hashes: np.ndarray, keep: np.ndarray, edge: pd.Timestamp) -> np.ndarray:
        """``hashes`` with those of the kept rows whose outcome falls on or after ``edge`` taken from
        the rows as ``tables_known_at`` clears them."""
        frame = self.tables[name]
        column = LATER_OUTCOMES[name][0]
        later = keep & (~_before(frame[column], edge) & frame[column].notna()).to_numpy()
        if not later.any():
            return hashes
        cleared = _outcomes_cleared(name, frame[later], edge)
        if not cleared.dtypes.equals(frame.dtypes):  # clearing changed a column's type: rehash every row
            return row_hashes(_outcomes_cleared(name, frame, edge))
        hashes = hashes.copy()
        hashes[later] = row_hashes(cleared)
        return hashes


def tables_digest(tables: Mapping[str, pd.DataFrame]) -> str:
    """A short SHA-256 of tables: names and ``frame_fingerprint`` of each.

    Row order is part of the digest: an export that reorders old rows counts as a change.
    """
    digest = hashlib.sha256()
    for name, frame in sorted(tables.items()):
        digest.update(f"{name}:{frame_fingerprint(frame)}".encode())
    return digest.hexdigest()[:16]
