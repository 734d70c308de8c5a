"""The canonical tables, declared as data: columns, types, ranges, keys and foreign keys."""

from __future__ import annotations

from contracts.table_spec import ColumnSpec, ForeignKey, RowRule, TableContract

TIERS = ("gold", "silver", "bronze")

QTY = "units, whole number"  # how every quantity column describes its unit

SKUS = TableContract(
    name="skus",
    description="Stock-keeping units: what is sold and stocked.",
    key=("sku_id",),
    columns=(
        ColumnSpec("sku_id", "string", "SKU identifier."),
        ColumnSpec("category", "string", "Product category, used for segment metrics."),
        ColumnSpec("unit_cost", "float", "Standard cost per unit (currency).", ge=0, shown_as="money"),
        ColumnSpec("unit_price", "float", "List price per unit (currency).", ge=0, shown_as="money"),
        ColumnSpec("launch_date", "date", "First day the SKU can be sold.", nullable=True),
        ColumnSpec("phase_out_date", "date", "Last day the SKU is sold.", nullable=True),
    ),
    row_rules=(
        RowRule(
            "phase_out_after_launch",
            "phase_out_date >= launch_date",
            ("launch_date", "phase_out_date"),
            "phase_out_date must not be before launch_date",
        ),
    ),
)

LOCATIONS = TableContract(
    name="locations",
    description="Distribution centres and other stocking locations.",
    key=("location_id",),
    columns=(
        ColumnSpec("location_id", "string", "Location identifier."),
        ColumnSpec("name", "string", "Display name."),
        ColumnSpec("region", "string", "Region served."),
        ColumnSpec(
            "holding_cost_rate", "float", "Annual holding cost as a fraction of unit cost.", ge=0, le=1,
            shown_as="fraction",
        ),
    ),
)

SUPPLIERS = TableContract(
    name="suppliers",
    description="Vendors that replenish stock.",
    key=("supplier_id",),
    columns=(
        ColumnSpec("supplier_id", "string", "Supplier identifier."),
        ColumnSpec("name", "string", "Display name."),
        ColumnSpec("country", "string", "Country of origin.", nullable=True),
    ),
)

SKU_SUPPLIERS = TableContract(
    name="sku_suppliers",
    description="Purchasing terms of a SKU with one supplier (primary and alternates).",
    key=("sku_id", "supplier_id"),
    foreign_keys=(
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("supplier_id",), "suppliers", ("supplier_id",)),
    ),
    columns=(
        ColumnSpec("sku_id", "string", "SKU."),
        ColumnSpec("supplier_id", "string", "Supplier."),
        ColumnSpec("is_primary", "bool", "True for the supplier used by default."),
        ColumnSpec("quoted_lead_time_days", "int", "Lead time the supplier quotes, in days.", ge=0),
        ColumnSpec("unit_cost", "float", "Purchase price per unit from this supplier.", ge=0, shown_as="money"),
        ColumnSpec("moq", "int", f"Minimum order quantity ({QTY}).", ge=0, stock_units=True),
        ColumnSpec(
            "expedite_days_saved", "int", "Days an expedite saves on an open PO line.", ge=0, nullable=True
        ),
        ColumnSpec(
            "expedite_cost_per_unit", "float", "Extra cost per unit when expedited.", ge=0, nullable=True,
            shown_as="money",
        ),
    ),
)

TRANSFER_LANES = TableContract(
    name="transfer_lanes",
    description="Lanes along which stock can be moved between locations.",
    key=("from_location_id", "to_location_id"),
    foreign_keys=(
        ForeignKey(("from_location_id",), "locations", ("location_id",)),
        ForeignKey(("to_location_id",), "locations", ("location_id",)),
    ),
    row_rules=(
        RowRule(
            "distinct_endpoints",
            "from_location_id != to_location_id",
            ("from_location_id", "to_location_id"),
            "a lane must join two different locations",
        ),
    ),
    columns=(
        ColumnSpec("from_location_id", "string", "Shipping location."),
        ColumnSpec("to_location_id", "string", "Receiving location."),
        ColumnSpec("transit_days", "int", "Days in transit.", ge=0),
        ColumnSpec("cost_per_unit", "float", "Transfer cost per unit.", ge=0, shown_as="money"),
    ),
)

INVENTORY_SNAPSHOTS = TableContract(
    name="inventory_snapshots",
    description="End-of-day stock position per SKU and location.",
    key=("snapshot_date", "sku_id", "location_id"),
    foreign_keys=(
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("location_id",), "locations", ("location_id",)),
    ),
    columns=(
        ColumnSpec("snapshot_date", "date", "Day of the snapshot (end of day)."),
        ColumnSpec("sku_id", "string", "SKU."),
        ColumnSpec("location_id", "string", "Location."),
        ColumnSpec("on_hand", "int", f"Physical stock ({QTY}).", ge=0, stock_units=True),
        ColumnSpec("allocated", "int", f"Stock reserved for open order lines ({QTY}).", ge=0, stock_units=True),
        ColumnSpec("in_transit", "int", f"Stock on the way to this location ({QTY}).", ge=0, stock_units=True),
        ColumnSpec("backordered", "int", f"Open demand that could not be served ({QTY}).", ge=0, stock_units=True),
    ),
)

INVENTORY_MOVEMENTS = TableContract(
    name="inventory_movements",
    description=(
        "Optional. Stock movements not recorded in another table: adjustments, counts, scrap, "
        "returns and transfers between locations. With current stock only (one snapshot date), "
        "ingest rebuilds the daily snapshots from it, the shipped order lines and the PO receipts."
    ),
    key=("movement_id",),
    foreign_keys=(
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("location_id",), "locations", ("location_id",)),
        ForeignKey(("counterpart_location_id",), "locations", ("location_id",)),
    ),
    columns=(
        ColumnSpec("movement_id", "string", "Movement (stock transaction) identifier."),
        ColumnSpec("sku_id", "string", "SKU."),
        ColumnSpec("location_id", "string", "Location whose stock changed."),
        ColumnSpec("movement_date", "date", "Day the stock changed."),
        ColumnSpec(
            "quantity_delta", "int", f"Change of on-hand stock, negative when stock left ({QTY}).", stock_units=True
        ),
        ColumnSpec(
            "reason_code",
            "string",
            "Why the stock changed (e.g. cycle count, damage, transfer); a movement that adds stock "
            "and states why explains negative rebuilt stock on the days before it.",
            nullable=True,
        ),
        ColumnSpec(
            "counterpart_location_id",
            "string",
            "For a transfer, the other location: the destination of stock that left, the origin of "
            "stock that arrived (stock that left is in transit to it until it arrives).",
            nullable=True,
        ),
    ),
    row_rules=(
        RowRule(
            "counterpart_elsewhere",
            "counterpart_location_id != location_id",
            ("counterpart_location_id", "location_id"),
            "counterpart_location_id must differ from location_id",
        ),
    ),
)

ORDERS = TableContract(
    name="orders",
    description="Customer orders (headers).",
    key=("order_id",),
    columns=(
        ColumnSpec("order_id", "string", "Order identifier."),
        ColumnSpec("customer_id", "string", "Customer."),
        ColumnSpec("customer_tier", "string", "Service tier of the customer.", allowed=TIERS),
        ColumnSpec("order_time", "datetime", "When the order was placed."),
        ColumnSpec("allow_split", "bool", "Whether lines may ship partially or in several shipments."),
    ),
)

ORDER_LINES = TableContract(
    name="order_lines",
    description="Order lines with, where known, their fulfilment outcome.",
    key=("order_id", "line_id"),
    foreign_keys=(
        ForeignKey(("order_id",), "orders", ("order_id",)),
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("location_id",), "locations", ("location_id",)),
    ),
    columns=(
        ColumnSpec("order_id", "string", "Order."),
        ColumnSpec("line_id", "string", "Line number within the order."),
        ColumnSpec("sku_id", "string", "SKU ordered."),
        ColumnSpec("location_id", "string", "Location that fulfils the line."),
        ColumnSpec("quantity", "int", f"Quantity ordered ({QTY}).", gt=0, stock_units=True),
        ColumnSpec("requested_date", "date", "Date the customer asked to receive it by."),
        ColumnSpec(
            "shipped_quantity", "int", f"Quantity shipped so far ({QTY}).", ge=0, nullable=True, stock_units=True
        ),
        ColumnSpec("shipped_date", "date", "Date the line shipped in full.", nullable=True),
        ColumnSpec(
            "backordered_quantity",
            "int",
            f"Quantity that could not ship on the order day and went on backorder ({QTY}).",
            ge=0,
            nullable=True,
            stock_units=True,
        ),
    ),
    row_rules=(
        RowRule(
            "shipped_not_above_ordered",
            "shipped_quantity <= quantity",
            ("shipped_quantity", "quantity"),
            "shipped_quantity must not exceed quantity",
        ),
        RowRule(
            "backordered_not_above_ordered",
            "backordered_quantity <= quantity",
            ("backordered_quantity", "quantity"),
            "backordered_quantity must not exceed quantity",
        ),
    ),
)

PURCHASE_ORDERS = TableContract(
    name="purchase_orders",
    description="Purchase order lines placed with suppliers, with their receipt once delivered.",
    key=("po_id",),
    foreign_keys=(
        ForeignKey(("supplier_id",), "suppliers", ("supplier_id",)),
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("location_id",), "locations", ("location_id",)),
    ),
    columns=(
        ColumnSpec("po_id", "string", "Purchase order line identifier."),
        ColumnSpec("supplier_id", "string", "Supplier."),
        ColumnSpec("sku_id", "string", "SKU."),
        ColumnSpec("location_id", "string", "Receiving location."),
        ColumnSpec("quantity", "int", f"Quantity ordered ({QTY}).", gt=0, stock_units=True),
        ColumnSpec("order_date", "date", "Date the PO was placed."),
        ColumnSpec("promised_date", "date", "Delivery date promised by the supplier."),
        ColumnSpec("received_date", "date", "Date the goods arrived (null while open).", nullable=True),
        ColumnSpec(
            "received_quantity", "int", f"Quantity received ({QTY}).", ge=0, nullable=True, stock_units=True
        ),
        ColumnSpec("is_expedited", "bool", "Whether the PO line was expedited.", nullable=True),
    ),
    row_rules=(
        RowRule(
            "promised_after_order",
            "promised_date >= order_date",
            ("promised_date", "order_date"),
            "promised_date must not be before order_date",
        ),
        RowRule(
            "received_after_order",
            "received_date >= order_date",
            ("received_date", "order_date"),
            "received_date must not be before order_date",
        ),
    ),
)

ASN_EVENTS = TableContract(
    name="asn_events",
    description="Advance shipping notices: the supplier's announced ETA for a PO line.",
    key=("asn_id",),
    foreign_keys=(ForeignKey(("po_id",), "purchase_orders", ("po_id",)),),
    columns=(
        ColumnSpec("asn_id", "string", "ASN identifier."),
        ColumnSpec("po_id", "string", "PO line the notice refers to."),
        ColumnSpec("event_time", "datetime", "When the notice was received."),
        ColumnSpec("eta", "date", "Announced arrival date."),
        ColumnSpec("quantity", "int", f"Quantity announced ({QTY}).", gt=0, stock_units=True),
    ),
)

PROMOTIONS = TableContract(
    name="promotions",
    description="Promotions, known in advance (announced before they start).",
    key=("promotion_id",),
    foreign_keys=(
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("location_id",), "locations", ("location_id",)),
    ),
    columns=(
        ColumnSpec("promotion_id", "string", "Promotion identifier."),
        ColumnSpec("sku_id", "string", "SKU promoted."),
        ColumnSpec("location_id", "string", "Location where it runs."),
        ColumnSpec("announced_date", "date", "Date the promotion became known."),
        ColumnSpec("start_date", "date", "First day."),
        ColumnSpec("end_date", "date", "Last day (inclusive)."),
        ColumnSpec("discount_pct", "float", "Price reduction as a fraction.", ge=0, le=1, shown_as="fraction"),
    ),
    row_rules=(
        RowRule("end_after_start", "end_date >= start_date", ("end_date", "start_date"),
                "end_date must not be before start_date"),
        RowRule("announced_before_start", "announced_date <= start_date",
                ("announced_date", "start_date"), "announced_date must not be after start_date"),
    ),
)

SKU_SUBSTITUTES = TableContract(
    name="sku_substitutes",
    description=(
        "Optional. SKUs a customer accepts in place of another, one unit for one unit, in order of "
        "preference (an ERP's substitution or alternative-item list)."
    ),
    key=("sku_id", "substitute_sku_id"),
    foreign_keys=(
        ForeignKey(("sku_id",), "skus", ("sku_id",)),
        ForeignKey(("substitute_sku_id",), "skus", ("sku_id",)),
    ),
    row_rules=(
        RowRule(
            "not_itself",
            "sku_id != substitute_sku_id",
            ("sku_id", "substitute_sku_id"),
            "a SKU cannot be its own substitute",
        ),
    ),
    columns=(
        ColumnSpec("sku_id", "string", "SKU ordered."),
        ColumnSpec("substitute_sku_id", "string", "SKU that may ship in its place."),
        ColumnSpec("priority", "int", "Preference among the SKU's substitutes (1 = offered first).", ge=1),
    ),
)

CANONICAL_TABLES: dict[str, TableContract] = {
    t.name: t
    for t in (
        SKUS,
        LOCATIONS,
        SUPPLIERS,
        SKU_SUPPLIERS,
        TRANSFER_LANES,
        INVENTORY_SNAPSHOTS,
        INVENTORY_MOVEMENTS,
        ORDERS,
        ORDER_LINES,
        PURCHASE_ORDERS,
        ASN_EVENTS,
        PROMOTIONS,
        SKU_SUBSTITUTES,
    )
}

# Parents before children, so foreign keys can be checked against already-accepted rows.
TABLE_ORDER: tuple[str, ...] = tuple(CANONICAL_TABLES)
