"""Every table an export may hold, declared as data: the canonical tables and those the ingest
reads and does not keep as tables (a PO line's goods receipts summed onto it, an item's
unit-of-measure conversions)."""

from __future__ import annotations

from contracts.table_spec import ColumnSpec, ForeignKey, SummedTable, TableContract
from contracts.tables import CANONICAL_TABLES, QTY, SKUS

PO_RECEIPTS = TableContract(
    name="po_receipts",
    description=(
        "Optional, in place of the receipt columns of `purchase_orders`: the goods receipts of PO lines, one row "
        "per delivery (an ERP's goods-receipt or receiving history)."
    ),
    key=("receipt_id",),
    foreign_keys=(
        ForeignKey(("po_id",), "purchase_orders", ("po_id",), not_before=(("received_date", "order_date"),)),
    ),
    columns=(
        ColumnSpec("receipt_id", "string", "Receipt identifier (a goods-receipt document and its line)."),
        ColumnSpec("po_id", "string", "PO line received."),
        ColumnSpec("received_date", "date", "Date the goods arrived."),
        ColumnSpec("received_quantity", "int", f"Quantity received ({QTY}).", ge=0, stock_units=True),
    ),
)

# Tables an export may hold in place of some columns of a canonical table, summed onto it at ingest.
SUMMED_TABLES: dict[str, SummedTable] = {
    PO_RECEIPTS.name: SummedTable(
        PO_RECEIPTS, onto="purchase_orders", by=("po_id",), totals={"received_quantity": "sum", "received_date": "max"}
    ),
}

SKU_UNITS = TableContract(
    name="sku_units",
    description=(
        "Optional, with `units:` in export.yaml: how many of an item's stocking units one of its other units of "
        "measure holds (a case of 12, a pallet of 480), to convert the quantities exported in those units "
        "(an ERP's unit-of-measure conversions)."
    ),
    key=("sku_id", "unit"),
    foreign_keys=(ForeignKey(("sku_id",), "skus", ("sku_id",)),),
    columns=(
        ColumnSpec("sku_id", "string", "SKU."),
        ColumnSpec("unit", "string", "Unit of measure as the export writes it (`CS`, `PAL`)."),
        ColumnSpec("stock_units", "float", "Stocking units in one `unit`.", gt=0),
    ),
)

# Every table an export may hold; parents before children, the unit conversions right after the SKUs, each
# summed table after the one it is summed onto. Those not canonical are used at ingest.
EXPORT_TABLES: dict[str, TableContract] = {
    SKUS.name: SKUS, SKU_UNITS.name: SKU_UNITS, **CANONICAL_TABLES,
    **{name: summed.contract for name, summed in SUMMED_TABLES.items()},
}
EXPORT_ORDER: tuple[str, ...] = tuple(EXPORT_TABLES)


def item_key(table: str) -> ForeignKey | None:
    """The foreign key through which a row of ``table`` that does not name its item points at a row
    that does (a goods receipt or an ASN at its PO line); None when the row names it, or nothing it
    points at does."""
    contract = EXPORT_TABLES[table]
    if "sku_id" in contract.column_names:
        return None
    return next((fk for fk in contract.foreign_keys if "sku_id" in EXPORT_TABLES[fk.ref_table].column_names), None)


def parent_columns(fk: ForeignKey, table: str) -> list[str]:
    """The columns of ``fk``'s table that the rows of ``table`` pointing at it need: the key, the
    dates they may not precede, and the item when they name theirs through it."""
    columns = [*fk.ref_columns, *(ref for _, ref in fk.not_before)]
    return columns + ["sku_id"] if item_key(table) == fk else columns


def counts_items(table: str) -> bool:
    """Whether the rows of ``table`` hold quantities of an item they name, themselves or through the
    row they point at: the quantities units of measure apply to."""
    contract = EXPORT_TABLES[table]
    named = "sku_id" in contract.column_names or item_key(table) is not None
    return named and any(c.stock_units for c in contract.columns)
