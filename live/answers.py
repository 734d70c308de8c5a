"""The live state's answers (``StockPosition``, position and open-PO frames) built from its records."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from live.records import OrderLineRecord, PositionRecord, PurchaseOrderRecord, Record
from live.state import OPEN_PO_COLUMNS, POSITION_COLUMNS, OpenPurchaseOrder, StockPosition


def _timestamp(text: str | None) -> pd.Timestamp | None:
    return pd.Timestamp(text) if text is not None else None


def open_purchase_order(po: PurchaseOrderRecord) -> OpenPurchaseOrder:
    return OpenPurchaseOrder(
        po_id=po.po_id,
        supplier_id=po.supplier_id,
        quantity=po.open_quantity,
        promised_date=pd.Timestamp(po.promised_date),
        eta=_timestamp(po.eta),
    )


def stock_position(position: PositionRecord, purchase_orders: Iterable[PurchaseOrderRecord]) -> StockPosition:
    """The position with the open PO lines of its SKU-location, soonest promise first."""
    open_lines = sorted(
        (po for po in purchase_orders if po.open_quantity > 0
         and (po.sku_id, po.location_id) == (position.sku_id, position.location_id)),
        key=lambda po: (po.promised_date, po.po_id),
    )
    return StockPosition(
        sku_id=position.sku_id,
        location_id=position.location_id,
        on_hand=position.on_hand,
        reserved=position.reserved,
        in_transit=position.in_transit,
        open_pos=[open_purchase_order(po) for po in open_lines],
        as_of=_timestamp(position.as_of),
    )


def order_line_records(order_id: str, records: Iterable[Record | None]) -> list[OrderLineRecord]:
    """The lines of ``order_id`` among ``records`` (read by key prefix, which another order's id
    may share), by ``line_id``."""
    found = [r for r in records if isinstance(r, OrderLineRecord) and r.order_id == order_id]
    return sorted(found, key=lambda line: line.line_id)


# Both frames are built from sorted records, one array per column: every request reads them, and
# a frame built row-wise then cast and sorted cost more than the scoring around it.


def positions_frame(positions: Iterable[PositionRecord]) -> pd.DataFrame:
    rows = sorted(positions, key=lambda p: (p.sku_id, p.location_id))
    return pd.DataFrame(
        {
            "sku_id": np.array([p.sku_id for p in rows], dtype=object),
            "location_id": np.array([p.location_id for p in rows], dtype=object),
            "on_hand": np.array([p.on_hand for p in rows], dtype=np.int64),
            "reserved": np.array([p.reserved for p in rows], dtype=np.int64),
            "in_transit": np.array([p.in_transit for p in rows], dtype=np.int64),
        },
        columns=POSITION_COLUMNS,
    )


def _dates(texts: list[str | None]) -> np.ndarray:
    """ISO dates (None: NaT) as datetime64[ns]."""
    return np.array(["NaT" if t is None else t for t in texts], dtype="datetime64[D]").astype("datetime64[ns]")


def open_purchase_orders_frame(purchase_orders: Iterable[PurchaseOrderRecord]) -> pd.DataFrame:
    rows = sorted(
        (po for po in purchase_orders if po.open_quantity > 0),
        key=lambda po: (po.sku_id, po.location_id, po.promised_date, po.po_id),
    )
    return pd.DataFrame(
        {
            "po_id": np.array([po.po_id for po in rows], dtype=object),
            "supplier_id": np.array([po.supplier_id for po in rows], dtype=object),
            "sku_id": np.array([po.sku_id for po in rows], dtype=object),
            "location_id": np.array([po.location_id for po in rows], dtype=object),
            "quantity": np.array([po.open_quantity for po in rows], dtype=np.int64),
            "promised_date": _dates([po.promised_date for po in rows]),
            "eta": _dates([po.eta for po in rows]),
        },
        columns=OPEN_PO_COLUMNS,
    )


def stock_frames(records: Iterable[PositionRecord | PurchaseOrderRecord]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The positions frame and the open PO lines frame of a mix of both records."""
    records = list(records)
    return (positions_frame(r for r in records if isinstance(r, PositionRecord)),
            open_purchase_orders_frame(r for r in records if isinstance(r, PurchaseOrderRecord)))
