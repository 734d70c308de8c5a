"""The live state's answers (``StockPosition``, position and open-PO frames) built from its records."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from live.records import PositionRecord, PurchaseOrderRecord
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


def positions_frame(positions: Iterable[PositionRecord]) -> pd.DataFrame:
    rows = [(p.sku_id, p.location_id, p.on_hand, p.reserved, p.in_transit) for p in positions]
    frame = pd.DataFrame(rows, columns=POSITION_COLUMNS).astype(
        {"on_hand": "int64", "reserved": "int64", "in_transit": "int64"}
    )
    return frame.sort_values(POSITION_COLUMNS[:2], ignore_index=True)


def open_purchase_orders_frame(purchase_orders: Iterable[PurchaseOrderRecord]) -> pd.DataFrame:
    rows = [
        (po.po_id, po.supplier_id, po.sku_id, po.location_id, po.open_quantity, po.promised_date, po.eta)
        for po in purchase_orders
        if po.open_quantity > 0
    ]
    frame = pd.DataFrame(rows, columns=OPEN_PO_COLUMNS).astype({"quantity": "int64"})
    frame["promised_date"] = pd.to_datetime(frame["promised_date"])
    frame["eta"] = pd.to_datetime(frame["eta"])
    return frame.sort_values(["sku_id", "location_id", "promised_date", "po_id"], ignore_index=True)
