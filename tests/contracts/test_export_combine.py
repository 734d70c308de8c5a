"""A canonical id made of several export columns (``combine:``): a PO line's id from its PO number and
line number, the same on the PO lines and on the ASNs that point at them; an order line's id from its
item when the OMS numbers no lines."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from contracts.ingest import ingest_exports

PO_PARTS = {"po_id": ["PO Number", "Line"]}


def _ingest(source: Path, out: Path, chunk_rows: int = 100_000):
    report = ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows)
    return {table.table: table for table in report.tables}


def _with_po_number_and_line(row: dict[str, object], number: object, line: object) -> dict[str, object]:
    out = {key: value for key, value in row.items() if key != "po_id"}
    return {"PO Number": number, "Line": line, **out}


@pytest.fixture
def po_lines_by_number(make_export, valid_export_rows) -> Path:
    """PO 4500017 with lines 10 and 20, a line without its number, and an ASN for line 20."""
    rows = valid_export_rows
    po, asn = rows["purchase_orders"][0], rows["asn_events"][0]
    rows["purchase_orders"] = [
        _with_po_number_and_line(po, "4500017", "10"),
        _with_po_number_and_line(po, "4500017", "20"),
        _with_po_number_and_line(po, "4500018", " "),
    ]
    rows["asn_events"] = [_with_po_number_and_line(asn, "4500017", "20")]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"combine": {"purchase_orders": PO_PARTS, "asn_events": PO_PARTS}}))
    return source


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_a_po_line_id_is_made_of_its_po_number_and_line(po_lines_by_number, tmp_path, chunk_rows):
    reports = _ingest(po_lines_by_number, tmp_path / "out", chunk_rows)
    canonical, quarantine = tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine"
    assert pd.read_parquet(canonical / "purchase_orders.parquet")["po_id"].tolist() == ["4500017-10", "4500017-20"]
    assert pd.read_parquet(canonical / "asn_events.parquet")["po_id"].tolist() == ["4500017-20"]
    assert (reports["purchase_orders"].accepted, reports["purchase_orders"].quarantined) == (2, 1)
    assert reports["asn_events"].accepted == 1
    assert reports["purchase_orders"].ignored_columns == []
    quarantined = pd.read_csv(quarantine / "purchase_orders.csv", dtype=str)
    assert quarantined[["source_row", "PO Number", "reason"]].values.tolist() == [["3", "4500018", "missing po_id"]]


def test_line_numbers_in_a_float_column_are_written_as_whole_numbers(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    po = rows.pop("purchase_orders")[0]
    rows.pop("asn_events")
    source = make_export(rows)
    numbered = pd.DataFrame([_with_po_number_and_line(po, 4500017, 10.0), _with_po_number_and_line(po, 4500017, 20.5)])
    numbered.astype({"Line": "float64"}).to_parquet(source / "purchase_orders.parquet")
    (source / "export.yaml").write_text(json.dumps({"combine": {"purchase_orders": PO_PARTS}}))
    _ingest(source, tmp_path / "out")
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet")
    assert accepted["po_id"].tolist() == ["4500017-10", "4500017-20.5"]


def test_order_lines_without_line_numbers_take_their_item_as_line(make_export, valid_export_rows, tmp_path):
    """One export column gives two canonical ones: the item is the line's SKU and its id in the order;
    a second line of the same item in an order is a duplicate key."""
    rows = valid_export_rows
    line = {key: value for key, value in rows["order_lines"][0].items() if key not in ("line_id", "sku_id")}
    rows["order_lines"] = [{**line, "Item": "SKU-1"}, {**line, "Item": "SKU-2"}, {**line, "Item": "SKU-1"}]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({
        "columns": {"order_lines": {"Item": "sku_id"}}, "combine": {"order_lines": {"line_id": "Item"}}}))
    reports = _ingest(source, tmp_path / "out")
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted[["line_id", "sku_id"]].values.tolist() == [["SKU-1", "SKU-1"], ["SKU-2", "SKU-2"]]
    assert reports["order_lines"].quarantined == 1
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["reason"].tolist() == ["duplicate key (order_id, line_id)"]


def test_a_combined_header_the_file_lacks_names_the_file(po_lines_by_number, tmp_path):
    asns = pd.read_csv(po_lines_by_number / "asn_events.csv", dtype=str).drop(columns="Line")
    asns.to_csv(po_lines_by_number / "asn_events.csv", index=False)
    with pytest.raises(ContractError) as error:
        _ingest(po_lines_by_number, tmp_path / "out")
    assert str(error.value) == "asn_events.csv: combined header(s) 'Line' not in the file"


@pytest.mark.parametrize(("combine", "columns", "message"), [
    ({"purchase_orders": {"quantity": ["Qty", "Unit"]}}, {},
     "combine: purchase_orders: quantity: only a text column (an id, a name) or a date-time (a date and a time "
     "of day) is made of export columns"),
    ({"purchase_orders": {"po_id": []}}, {},
     "combine: purchase_orders: po_id: name the export header(s) it is made of"),
    ({"purchase_orders": {"po_ids": ["PO Number", "Line"]}}, {},
     "combine: purchase_orders: table purchase_orders has no column 'po_ids' (did you mean 'po_id'?)"),
    ({"purchase_orders": PO_PARTS}, {"purchase_orders": {"PO Line": "po_id"}},
     "combine: purchase_orders: po_id: also mapped from 'PO Line' under columns; keep one"),
])
def test_a_bad_combination_is_named(tmp_path, combine, columns, message):
    (tmp_path / "export.yaml").write_text(json.dumps({"columns": columns, "combine": combine}))
    with pytest.raises(ContractError) as error:
        load_export_description(tmp_path)
    assert str(error.value) == f"export.yaml: {message}"
