"""The stock and open PO lines the canonical tables give as of a date, and the live state seeded from them.

Serving reads supply from the canonical tables with the same functions, so "the latest snapshot"
and "an open PO line" mean the same thing in the nightly tables and in the live state.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from contracts.keys import SKU_LOCATION
from live.records import (
    PositionRecord,
    PurchaseOrderRecord,
    Record,
    position_key,
    purchase_order_key,
)

STOCK_COLUMNS = ["snapshot_date", "sku_id", "location_id", "on_hand", "allocated"]
PO_COLUMNS = [
    "po_id", "supplier_id", "sku_id", "location_id", "quantity", "order_date", "promised_date",
    "received_date", "is_expedited",
]


def latest_stock(snapshots: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``sku_id, location_id, on_hand, allocated`` from each SKU-location's last snapshot <= as_of
    (plus ``in_transit`` when the snapshots have it)."""
    dates = pd.to_datetime(snapshots["snapshot_date"])
    known = snapshots[dates <= as_of].assign(snapshot_date=dates[dates <= as_of])
    last = known.sort_values("snapshot_date").drop_duplicates(SKU_LOCATION, keep="last")
    extra = ["in_transit"] if "in_transit" in last.columns else []
    out = last[[*SKU_LOCATION, "on_hand", "allocated", *extra]].astype(
        {"on_hand": "float64", "allocated": "float64"}
    )
    return out.sort_values(SKU_LOCATION, ignore_index=True)


def open_purchase_orders(purchase_orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """PO lines placed on or before ``as_of`` and not received by then (dates as datetimes)."""
    po = purchase_orders[[c for c in PO_COLUMNS if c in purchase_orders.columns]].copy()
    for col in ("order_date", "promised_date", "received_date"):
        po[col] = pd.to_datetime(po[col])
    still_open = (po["order_date"] <= as_of) & ~(po["received_date"] <= as_of)
    po = po[still_open & (po["quantity"] > 0)].drop(columns=["received_date"])
    return po.astype({"quantity": "float64"}).reset_index(drop=True)


def latest_asn_eta(asn_events: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The announced ETA per ``po_id`` from the latest ASN received by the end of ``as_of``."""
    times = pd.to_datetime(asn_events["event_time"])
    known = asn_events[times < as_of + pd.Timedelta(days=1)].assign(event_time=times)
    last = known.sort_values("event_time").drop_duplicates("po_id", keep="last")
    return pd.Series(pd.to_datetime(last["eta"]).to_numpy(), index=last["po_id"].to_numpy(), name="asn_eta")


def canonical_seed(canonical_dir: Path, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stock (latest snapshot) and open PO lines (with ``eta`` from the latest ASN) as of ``as_of``."""
    snapshots = pd.read_parquet(canonical_dir / "inventory_snapshots.parquet")
    stock = latest_stock(snapshots, as_of)
    open_pos = open_purchase_orders(pd.read_parquet(canonical_dir / "purchase_orders.parquet"), as_of)
    asn_file = canonical_dir / "asn_events.parquet"
    eta = latest_asn_eta(pd.read_parquet(asn_file), as_of) if asn_file.exists() else pd.Series(dtype="datetime64[ns]")
    return stock, open_pos.assign(eta=eta.reindex(open_pos["po_id"]).to_numpy())


def seed_records(stock: pd.DataFrame, open_pos: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Record]:
    """The records of a live state that starts from ``stock`` and ``open_pos`` at ``as_of``.

    ``stock``: ``sku_id, location_id, on_hand`` and optionally ``allocated`` (held as reserved) and
    ``in_transit``; ``open_pos``: ``po_id, supplier_id, sku_id, location_id, quantity,
    promised_date`` and optionally ``order_date`` and ``eta``. The seed counts as a count at
    ``as_of``, so a count sent later but taken before ``as_of`` is ignored.
    """
    moment = pd.Timestamp(as_of).isoformat()
    records: dict[str, Record] = {}
    for row in stock.itertuples(index=False):
        records[position_key(row.sku_id, row.location_id)] = PositionRecord(
            sku_id=row.sku_id,
            location_id=row.location_id,
            on_hand=int(row.on_hand),
            reserved=int(getattr(row, "allocated", 0) or 0),
            in_transit=int(getattr(row, "in_transit", 0) or 0),
            counted_at=moment,
            as_of=moment,
        )
    for row in open_pos.itertuples(index=False):
        order_date = getattr(row, "order_date", None)
        eta = getattr(row, "eta", None)
        records[purchase_order_key(row.po_id)] = PurchaseOrderRecord(
            po_id=row.po_id,
            supplier_id=row.supplier_id,
            sku_id=row.sku_id,
            location_id=row.location_id,
            ordered=int(row.quantity),
            promised_date=pd.Timestamp(row.promised_date).date().isoformat(),
            created_at=pd.Timestamp(order_date).isoformat() if pd.notna(order_date) else moment,
            eta=pd.Timestamp(eta).date().isoformat() if pd.notna(eta) else None,
            eta_at=moment if pd.notna(eta) else None,
        )
    return records
