"""The canonical tables as they were known at the end of a day, and a digest of that view.

A nightly export only adds facts dated after the previous export: new orders, snapshots, POs and
ASNs, and outcomes (shipments, receipts) of older rows that happen later. ``tables_known_at``
rebuilds what an export of ``day`` would have held from a later one, so a step can check that
the history it already processed is unchanged (``known_at_digest`` of the old and new tables)
and process only the days after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

from contracts.fingerprint import frame_fingerprint

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


def _before(values: pd.Series, edge: pd.Timestamp) -> pd.Series:
    """Whether each timestamp falls before ``edge`` (timezone-aware values compared in UTC)."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps < edge


def _rows(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """``frame``'s rows where ``keep``; ``frame`` itself when that is all of them (no copy of a
    large table whose rows are all known)."""
    keep = keep.to_numpy()
    return frame if keep.all() else frame[keep]


def tables_known_at(tables: Mapping[str, pd.DataFrame], day: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """``tables`` as known at the end of ``day``: rows dated after it dropped, later outcomes cleared.

    Order lines follow their order (``FOLLOWERS``); tables without a date (suppliers, SKU terms,
    ...) are kept whole. Dtypes are kept.
    """
    edge = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        out[name] = _rows(frame, _before(frame[DATED_ROWS[name]], edge)) if name in DATED_ROWS else frame
    for name, (parent, key) in FOLLOWERS.items():
        if name in out and parent in out:
            out[name] = _rows(out[name], out[name][key].isin(out[parent][key]))
    for name, (column, cleared) in LATER_OUTCOMES.items():
        if name not in out:
            continue
        frame = out[name]
        later = ~_before(frame[column], edge) & frame[column].notna()
        if later.any():
            frame = frame.copy()
            frame.loc[later, column] = pd.NaT
            for other, value in cleared.items():
                if other in frame:
                    frame.loc[later, other] = value
        out[name] = frame
    return {name: _renumbered(frame) for name, frame in out.items()}


def _renumbered(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with rows numbered from 0, itself when they already are (no copy)."""
    numbered = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(pd.RangeIndex(len(frame)))
    return frame if numbered else frame.reset_index(drop=True)


def known_at_digest(tables: Mapping[str, pd.DataFrame], day: pd.Timestamp) -> str:
    """``tables_digest`` of ``tables_known_at(tables, day)``, computed one table at a time: a table
    that loses rows is copied only while it is hashed, not all of them at once."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        parent = FOLLOWERS.get(name, (None, None))[0]
        needed = {name: tables[name], **({parent: tables[parent]} if parent in tables else {})}
        digest.update(f"{name}:{frame_fingerprint(tables_known_at(needed, day)[name])}".encode())
    return digest.hexdigest()[:16]


def tables_digest(tables: Mapping[str, pd.DataFrame]) -> str:
    """A short SHA-256 of tables: names and ``frame_fingerprint`` of each.

    Row order is part of the digest: an export that reorders old rows counts as a change.
    """
    digest = hashlib.sha256()
    for name, frame in sorted(tables.items()):
        digest.update(f"{name}:{frame_fingerprint(frame)}".encode())
    return digest.hexdigest()[:16]
