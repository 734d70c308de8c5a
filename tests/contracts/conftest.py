"""One valid row per canonical table, consistent across foreign keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from contracts.ingest import TableReport, ingest_exports

VALID_ROWS: dict[str, dict[str, object]] = {
    "skus": {"sku_id": "SKU-1", "category": "snacks", "unit_cost": "1.5", "unit_price": "2.5",
             "launch_date": "2024-01-01", "phase_out_date": ""},
    "locations": {"location_id": "DC-1", "name": "North", "region": "north", "holding_cost_rate": "0.2"},
    "suppliers": {"supplier_id": "S-1", "name": "Acme", "country": "US"},
    "sku_suppliers": {"sku_id": "SKU-1", "supplier_id": "S-1", "is_primary": "yes",
                      "quoted_lead_time_days": "14", "unit_cost": "1.4", "moq": "10",
                      "expedite_days_saved": "3", "expedite_cost_per_unit": "0.2"},
    "transfer_lanes": {"from_location_id": "DC-1", "to_location_id": "DC-2", "transit_days": "2",
                       "cost_per_unit": "0.1"},
    "inventory_snapshots": {"snapshot_date": "2024-03-01", "sku_id": "SKU-1", "location_id": "DC-1",
                            "on_hand": "10", "allocated": "2", "in_transit": "0", "backordered": "0"},
    "inventory_movements": {"movement_id": "M-1", "sku_id": "SKU-1", "location_id": "DC-1",
                            "movement_date": "2024-03-01", "quantity_delta": "-2", "reason_code": "damaged",
                            "counterpart_location_id": ""},
    "orders": {"order_id": "O-1", "customer_id": "C-1", "customer_tier": "gold",
               "order_time": "2024-03-01 08:00:00", "allow_split": "true"},
    "order_lines": {"order_id": "O-1", "line_id": "1", "sku_id": "SKU-1", "location_id": "DC-1",
                    "quantity": "3", "requested_date": "2024-03-04", "shipped_quantity": "3",
                    "shipped_date": "2024-03-02", "backordered_quantity": "0"},
    "purchase_orders": {"po_id": "PO-1", "supplier_id": "S-1", "sku_id": "SKU-1", "location_id": "DC-1",
                        "quantity": "100", "order_date": "2024-02-01", "promised_date": "2024-02-15",
                        "received_date": "", "received_quantity": "", "is_expedited": "false"},
    "asn_events": {"asn_id": "A-1", "po_id": "PO-1", "event_time": "2024-02-10T09:00:00",
                   "eta": "2024-02-14", "quantity": "100"},
    "promotions": {"promotion_id": "P-1", "sku_id": "SKU-1", "location_id": "DC-1",
                   "announced_date": "2024-02-01", "start_date": "2024-03-01", "end_date": "2024-03-07",
                   "discount_pct": "0.1"},
    "sku_substitutes": {"sku_id": "SKU-1", "substitute_sku_id": "SKU-2", "priority": "1"},
}

# Parent rows so that every foreign key of VALID_ROWS resolves.
PARENTS = {
    "skus": pd.DataFrame({"sku_id": ["SKU-1", "SKU-2"]}),
    "suppliers": pd.DataFrame({"supplier_id": ["S-1"]}),
    "locations": pd.DataFrame({"location_id": ["DC-1", "DC-2"]}),
    "orders": pd.DataFrame({"order_id": ["O-1"]}),
    "purchase_orders": pd.DataFrame({"po_id": ["PO-1"]}),
}


def ingested_tables(source: Path, out: Path, chunk_rows: int = 100_000) -> dict[str, TableReport]:
    """Ingest the export in ``source`` into ``out/canonical`` and ``out/quarantine``; the report's
    tables by name."""
    report = ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows)
    return {table.table: table for table in report.tables}


def _write_export(folder: Path, rows: dict[str, list[dict[str, object]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, table_rows in rows.items():
        pd.DataFrame(table_rows).to_csv(folder / f"{table}.csv", index=False)
    return folder


@pytest.fixture
def valid_rows() -> dict[str, dict[str, object]]:
    return {table: dict(row) for table, row in VALID_ROWS.items()}


@pytest.fixture
def parents() -> dict[str, pd.DataFrame]:
    return {name: frame.copy() for name, frame in PARENTS.items()}


@pytest.fixture
def make_export(tmp_path: Path):
    """Write ``{table: [row, ...]}`` as one CSV per table; returns the folder."""

    def make(rows: dict[str, list[dict[str, object]]], name: str = "export") -> Path:
        return _write_export(tmp_path / name, rows)

    return make


@pytest.fixture
def valid_export_rows(valid_rows) -> dict[str, list[dict[str, object]]]:
    rows = {table: [dict(row)] for table, row in valid_rows.items()}
    rows["locations"].append({**valid_rows["locations"], "location_id": "DC-2", "name": "South"})
    rows["skus"].append({**valid_rows["skus"], "sku_id": "SKU-2"})
    return rows
