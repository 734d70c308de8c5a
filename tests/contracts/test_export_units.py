"""Quantities exported in units of measure (cases, pallets), declared with ``units:`` and converted
to each item's stocking units by the export's ``sku_units`` table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from tests.contracts.conftest import ingested_tables

UNITS = {"units": {"order_lines": "Sales Unit", "purchase_orders": "Order Unit"}}


@pytest.fixture
def export_in_cases(make_export, valid_export_rows) -> Path:
    """SKU-1 sold in cases of 12 (written `CS` or `cs`) and eaches, bought in pallets of 480 (the code
    padded, as an ERP writes it); order lines in a unit their item has no conversion for, in half a
    case, in a tenth of a case (its unit written as the Excel formula showing it), and in stocking
    units (no unit)."""
    rows = valid_export_rows
    line = {**rows["order_lines"][0], "shipped_quantity": "", "shipped_date": "", "backordered_quantity": ""}
    rows["order_lines"] = [
        {**line, "line_id": "1", "quantity": "2", "shipped_quantity": "1", "Sales Unit": "CS"},
        {**line, "line_id": "2", "quantity": "5", "Sales Unit": "EA"},
        {**line, "line_id": "3", "quantity": "7", "Sales Unit": ""},
        {**line, "line_id": "4", "sku_id": "SKU-2", "quantity": "1", "Sales Unit": "CS"},
        {**line, "line_id": "5", "quantity": "0.5", "Sales Unit": "cs"},
        {**line, "line_id": "6", "quantity": "0.1", "Sales Unit": '="CS"'},
    ]
    rows["purchase_orders"] = [{**rows["purchase_orders"][0], "quantity": "2", "Order Unit": "PAL"}]
    rows["sku_units"] = [
        {"sku_id": "SKU-1", "unit": "CS", "stock_units": "12"},
        {"sku_id": "SKU-1", "unit": "EA", "stock_units": "1"},
        {"sku_id": "SKU-1", "unit": "PAL ", "stock_units": "480"},
        {"sku_id": "SKU-2", "unit": "PAL", "stock_units": "480"},
        {"sku_id": "SKU-9", "unit": "CS", "stock_units": "6"},
        {"sku_id": "SKU-2", "unit": "CS", "stock_units": "0"},
    ]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps(UNITS))
    return source


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_quantities_in_cases_and_pallets_are_ingested_in_stocking_units(export_in_cases, tmp_path, chunk_rows):
    reports = ingested_tables(export_in_cases, tmp_path / "out", chunk_rows)
    canonical, quarantine = tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine"
    lines = pd.read_parquet(canonical / "order_lines.parquet").set_index("line_id")
    assert lines["quantity"].to_dict() == {"1": 24, "2": 5, "3": 7, "5": 6}
    assert lines.loc["1", "shipped_quantity"] == 12
    assert pd.read_parquet(canonical / "purchase_orders.parquet")["quantity"].tolist() == [960]
    quarantined = pd.read_csv(quarantine / "order_lines.csv", dtype=str).set_index("line_id")["reason"]
    assert quarantined.to_dict() == {
        "4": "unit 'CS' of SKU-2 not in sku_units",
        "6": "quantity: 0.1 CS is 1.2 stocking units, not a whole number",
    }
    assert reports["order_lines"].units_converted == {"CS": 3, "EA": 1, "cs": 1}
    assert reports["order_lines"].ignored_columns == []
    units = reports["sku_units"]
    assert (units.accepted, units.quarantined) == (4, 2)
    assert not (canonical / "sku_units.parquet").exists()
    refused = pd.read_csv(quarantine / "sku_units.csv", dtype=str)["reason"].tolist()
    assert refused == ["unknown sku_id 'SKU-9' (not in skus)", "stock_units: must be > 0, got 0.0"]


def test_units_without_their_conversions_are_refused(export_in_cases, tmp_path):
    (export_in_cases / "sku_units.csv").unlink()
    with pytest.raises(ContractError, match="gives the unit of measure of order_lines, purchase_orders .units., and no "
                                            "file holds sku_units"):
        ingested_tables(export_in_cases, tmp_path / "out")


def test_a_unit_column_the_file_does_not_have_is_named(export_in_cases, tmp_path):
    (export_in_cases / "export.yaml").write_text(json.dumps({"units": {"order_lines": "UoM"}}))
    with pytest.raises(ContractError, match="order_lines.csv: export.yaml gives the unit of measure in 'UoM'"):
        ingested_tables(export_in_cases, tmp_path / "out")


def test_units_of_a_table_without_item_quantities_are_refused(tmp_path):
    (tmp_path / "export.yaml").write_text(json.dumps({"units": {"orders": "Unit"}}))
    with pytest.raises(ContractError, match="export.yaml: units: orders: its rows hold no item quantity to "
                                            "convert; units apply to sku_suppliers, inventory_snapshots"):
        load_export_description(tmp_path)


def test_units_with_one_factor_for_every_item_need_no_conversion(export_in_cases, tmp_path):
    """`EA` declared 1 and `CS` 6 for every item: SKU-1's own case of 12 still applies, SKU-2's case
    (line 4) counts 6 and eaches need no conversion. Without sku_units and with `EA` alone declared,
    every row in cases is quarantined."""
    (export_in_cases / "export.yaml").write_text(json.dumps({**UNITS, "unit_factors": {"ea": 1, "CS": 6}}))
    conversions = pd.read_csv(export_in_cases / "sku_units.csv", dtype=str)
    conversions[conversions["unit"] != "EA"].to_csv(export_in_cases / "sku_units.csv", index=False)
    ingested_tables(export_in_cases, tmp_path / "with")
    accepted = pd.read_parquet(tmp_path / "with" / "canonical" / "order_lines.parquet").set_index("line_id")
    assert accepted["quantity"].to_dict() == {"1": 24, "2": 5, "3": 7, "4": 6, "5": 6}
    (export_in_cases / "sku_units.csv").unlink()
    (export_in_cases / "export.yaml").write_text(json.dumps({**UNITS, "unit_factors": {"EA": 1}}))
    reports = ingested_tables(export_in_cases, tmp_path / "without")
    accepted = pd.read_parquet(tmp_path / "without" / "canonical" / "order_lines.parquet")
    assert sorted(accepted["line_id"]) == ["2", "3"]
    assert reports["order_lines"].quarantined == 4


def test_a_unit_factor_not_above_zero_is_refused(tmp_path):
    (tmp_path / "export.yaml").write_text(json.dumps({**UNITS, "unit_factors": {"DZ": 0}}))
    with pytest.raises(ContractError, match="export.yaml: unit_factors: DZ: the stocking units in one DZ must be > 0"):
        load_export_description(tmp_path)


def test_case_sizes_read_from_the_item_master(export_in_cases, tmp_path):
    """No conversions table: each item's case size is a column of the SKU file."""
    (export_in_cases / "sku_units.csv").unlink()
    skus = pd.read_csv(export_in_cases / "skus.csv", dtype=str)
    skus.assign(**{"Case Pack": ["12", "6"]}).to_csv(export_in_cases / "skus.csv", index=False)
    (export_in_cases / "export.yaml").write_text(json.dumps({
        **UNITS, "unit_factors": {"EA": 1, "PAL": 480}, "read_from": {"sku_units": "skus"},
        "columns": {"sku_units": {"Case Pack": "stock_units"}}, "defaults": {"sku_units": {"unit": "CS"}}}))
    reports = ingested_tables(export_in_cases, tmp_path / "out")
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet").set_index("line_id")
    assert accepted["quantity"].to_dict() == {"1": 24, "2": 5, "3": 7, "4": 6, "5": 6}
    assert (reports["sku_units"].accepted, reports["skus"].ignored_columns) == (2, [])


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_receipts_and_asns_in_units_take_the_item_of_their_po_line(export_in_cases, tmp_path, chunk_rows):
    """PO-1 is 2 pallets of SKU-1, PO-2 2 pallets of SKU-2 (which has no case); a pallet and a case
    received on PO-1, a case on PO-2, an ASN of a pallet on each and one on a PO line not exported."""
    pos = pd.read_csv(export_in_cases / "purchase_orders.csv", dtype=str, keep_default_na=False)
    pos = pd.concat([pos, pos.assign(po_id="PO-2", sku_id="SKU-2")]).drop(columns=["received_date",
                                                                                "received_quantity"])
    pos.to_csv(export_in_cases / "purchase_orders.csv", index=False)
    pd.DataFrame({"receipt_id": ["R-1", "R-2", "R-3"], "po_id": ["PO-1", " PO-1", "PO-2"],
                  "received_date": ["2024-02-14", "2024-02-15", "2024-02-15"], "received_quantity": ["1", "1", "1"],
                  "Unit": ["PAL", "cs", "CS"]}).to_csv(export_in_cases / "po_receipts.csv", index=False)
    asn = pd.read_csv(export_in_cases / "asn_events.csv", dtype=str)
    pd.concat([asn.assign(asn_id=f"A-{i}", po_id=po) for i, po in enumerate(["PO-1", "PO-2", "PO-9"], start=1)]).assign(
        quantity="1", Unit="PAL").to_csv(export_in_cases / "asn_events.csv", index=False)
    (export_in_cases / "export.yaml").write_text(json.dumps(
        {"units": {**UNITS["units"], "po_receipts": "Unit", "asn_events": "Unit"}}))
    reports = ingested_tables(export_in_cases, tmp_path / "out", chunk_rows)
    canonical, quarantine = tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine"
    received = pd.read_parquet(canonical / "purchase_orders.parquet").set_index("po_id")["received_quantity"]
    assert received["PO-1"] == 480 + 12 and pd.isna(received["PO-2"])
    receipts = pd.read_csv(quarantine / "po_receipts.csv", dtype=str).set_index("receipt_id")["reason"]
    assert receipts.to_dict() == {"R-3": "unit 'CS' of SKU-2 not in sku_units"}
    assert reports["po_receipts"].units_converted == {"PAL": 1, "cs": 1, "CS": 1}
    asns = pd.read_parquet(canonical / "asn_events.parquet").set_index("asn_id")["quantity"]
    assert asns.to_dict() == {"A-1": 480, "A-2": 480}
    assert pd.read_csv(quarantine / "asn_events.csv", dtype=str)["reason"].tolist() == [
        "unknown po_id 'PO-9' (not in purchase_orders)"]
