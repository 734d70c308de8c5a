"""One workbook holding several tables, one per sheet named after its table (``erp.xlsx`` with sheets
``SKUs``, ``Order Lines``, ...): each sheet is read as its table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import ingest_exports

SHEET_NAMES = {"skus": "SKUs", "order_lines": "Order Lines", "purchase_orders": "PO Lines"}


def _ingest(source: Path, out: Path):
    return ingest_exports(source, out / "canonical", out / "quarantine")


@pytest.fixture
def workbook_export(make_export, valid_export_rows) -> Path:
    """Every table on a sheet of ``erp.xlsx`` (the purchase orders' sheet not named after its table,
    so written as its own file), with a notes sheet, a bad order line and the order lines under a title."""
    rows = valid_export_rows
    rows["order_lines"].append({**rows["order_lines"][0], "line_id": "2", "quantity": "-2", "shipped_quantity": "",
                                "shipped_date": "", "backordered_quantity": ""})
    source = make_export({"purchase_orders": rows["purchase_orders"]})
    with pd.ExcelWriter(source / "erp.xlsx") as book:
        pd.DataFrame({"note": ["exported by the ERP"]}).to_excel(book, sheet_name="Notes", index=False)
        for table, table_rows in rows.items():
            if table == "purchase_orders":
                continue
            frame = pd.DataFrame(table_rows)
            if table == "order_lines":
                frame.to_excel(book, sheet_name=SHEET_NAMES[table], index=False, startrow=2)
                book.sheets[SHEET_NAMES[table]].write(0, 0, "Order lines, March")
            else:
                frame.to_excel(book, sheet_name=SHEET_NAMES.get(table, table), index=False)
    (source / "export.yaml").write_text(json.dumps({"header_row": {"order_lines": 3}}))
    return source


def test_each_sheet_named_after_a_table_is_read_as_that_table(workbook_export, make_export, valid_export_rows,
                                                              tmp_path):
    report = _ingest(workbook_export, tmp_path / "out")
    by_table = {t.table: t for t in report.tables}
    assert set(by_table) == set(valid_export_rows)
    assert by_table["skus"].source_file == "erp.xlsx[SKUs]"
    assert by_table["purchase_orders"].source_file == "purchase_orders.csv"
    assert report.skipped_files == ["erp.xlsx[Notes]"]
    assert {t.table: (t.accepted, t.quarantined) for t in report.tables} == {
        table: (len(rows) - (table == "order_lines"), int(table == "order_lines"))
        for table, rows in valid_export_rows.items()}
    assert by_table["order_lines"].first_quarantined == (
        "erp.xlsx[Order Lines] row 2: quantity: must be > 0, got -2")
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined[["source_file", "source_row", "line_id"]].values.tolist() == [
        ["erp.xlsx[Order Lines]", "2", "2"]]
    as_csv = make_export(valid_export_rows, name="as-csv")
    _ingest(as_csv, tmp_path / "csv-out")
    for table in valid_export_rows:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "out" / "canonical" / f"{table}.parquet"),
            pd.read_parquet(tmp_path / "csv-out" / "canonical" / f"{table}.parquet"), obj=table)


def test_a_sheets_header_below_a_title_is_found_on_its_sheet(workbook_export, tmp_path):
    (workbook_export / "export.yaml").unlink()
    with pytest.raises(ContractError) as error:
        _ingest(workbook_export, tmp_path / "out")
    assert str(error.value).startswith("erp.xlsx[Order Lines]: missing required column(s) order_id")
    assert str(error.value).endswith("declare it in export.yaml as `header_row: {order_lines: 3}`")


def test_a_table_on_a_sheet_and_in_a_file_is_refused(workbook_export, valid_export_rows, tmp_path):
    pd.DataFrame(valid_export_rows["skus"]).to_csv(workbook_export / "skus.csv", index=False)
    with pytest.raises(ContractError) as error:
        _ingest(workbook_export, tmp_path / "out")
    assert str(error.value) == "both erp.xlsx[SKUs] and skus.csv hold table skus"


def test_a_workbook_without_a_sheet_named_after_a_table_is_skipped_whole(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    with pd.ExcelWriter(source / "notes.xlsx") as book:
        pd.DataFrame({"note": ["a"]}).to_excel(book, sheet_name="Sheet1", index=False)
        pd.DataFrame({"note": ["b"]}).to_excel(book, sheet_name="Sheet2", index=False)
    report = _ingest(source, tmp_path / "out")
    assert report.skipped_files == ["notes.xlsx"]


def test_lock_and_hidden_files_beside_the_exports_are_skipped(workbook_export, tmp_path):
    (workbook_export / "~$erp.xlsx").write_bytes(b"\x00lock")  # kept by a spreadsheet program while open
    (workbook_export / "._purchase_orders.csv").write_bytes(b"\x00\x05\x16\x07")  # a copy's resource fork
    report = _ingest(workbook_export, tmp_path / "out")
    assert report.skipped_files == ["._purchase_orders.csv", "erp.xlsx[Notes]", "~$erp.xlsx"]
    assert {t.table for t in report.tables} >= {"skus", "order_lines", "purchase_orders"}
