"""Exports whose header is not on the first row (a report's title and run date above it): read from
the declared ``header_row``; without it, the error names the row to declare."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import ingest_exports

TITLE = ["Open purchase orders", "", "Run 2024-03-01 06:00 by BATCH"]


def _ingest(source: Path, out: Path, header_row: object | None = None):
    if header_row is not None:
        (source / "export.yaml").write_text(json.dumps({"header_row": header_row}))
    return ingest_exports(source, out / "canonical", out / "quarantine")


def _po_rows(valid_export_rows) -> list[dict[str, object]]:
    po = valid_export_rows["purchase_orders"][0]
    return [po, {**po, "po_id": "PO-2", "quantity": "0"}, {**po, "po_id": "PO-3"}]


@pytest.fixture
def titled_csv(make_export, valid_export_rows) -> Path:
    """Purchase orders as a report writes them: three title lines, then the header on line 4."""
    source = make_export(valid_export_rows)
    table = pd.DataFrame(_po_rows(valid_export_rows)).to_csv(index=False)
    (source / "purchase_orders.csv").write_text("\n".join(TITLE) + "\n" + table)
    return source


@pytest.fixture
def titled_sheet(make_export, valid_export_rows) -> Path:
    """Purchase orders on a sheet: rows 1-2 empty, the title on row 3, the header on row 5."""
    source = make_export(valid_export_rows)
    (source / "purchase_orders.csv").unlink()
    with pd.ExcelWriter(source / "purchase_orders.xlsx") as writer:
        pd.DataFrame(_po_rows(valid_export_rows)).to_excel(writer, index=False, startrow=4, startcol=1)
        writer.sheets["Sheet1"].write(2, 1, TITLE[0])
    return source


def _pos(report):
    return next(t for t in report.tables if t.table == "purchase_orders")


@pytest.mark.parametrize(("source", "row"), [("titled_csv", 4), ("titled_sheet", 5)])
def test_without_a_declaration_the_error_names_the_header_row(source, row, request, tmp_path):
    with pytest.raises(ContractError) as error:
        _ingest(request.getfixturevalue(source), tmp_path / "out")
    assert "missing required column(s) po_id" in str(error.value)
    assert str(error.value).endswith(
        f"the header looks to be on row {row}: declare it in export.yaml as `header_row: {{purchase_orders: {row}}}`")


@pytest.mark.parametrize(("source", "row"), [("titled_csv", 4), ("titled_sheet", 5)])
def test_the_declared_header_row_is_read_and_the_rows_above_skipped(source, row, request, tmp_path):
    report = _ingest(request.getfixturevalue(source), tmp_path / "out", header_row={"purchase_orders": row})
    pos = _pos(report)
    assert (pos.rows_read, pos.accepted, pos.quarantined) == (3, 2, 1)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet")
    assert accepted["po_id"].tolist() == ["PO-1", "PO-3"]
    assert accepted["quantity"].tolist() == [100, 100]
    assert pos.first_quarantined.endswith("row 2: quantity: must be > 0, got 0")
    assert "Unnamed: 0" not in pos.ignored_columns


def test_empty_rows_above_a_sheets_header_need_no_declaration(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "purchase_orders.csv").unlink()
    pd.DataFrame(_po_rows(valid_export_rows)).to_excel(source / "purchase_orders.xlsx", index=False, startrow=3)
    pos = _pos(_ingest(source, tmp_path / "out"))
    assert (pos.accepted, pos.quarantined) == (2, 1)


def test_a_header_row_for_all_tables_applies_to_every_file(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    for path in source.glob("*.csv"):
        path.write_text("Nightly export\n" + path.read_text())
    report = _ingest(source, tmp_path / "out", header_row=2)
    assert all(table.quarantined == 0 for table in report.tables)
    assert _pos(report).accepted == 1


@pytest.mark.parametrize(("header_row", "message"), [
    (0, "must be a row number from 1, got 0"),
    ({"purchase_orders": "4"}, "purchase_orders: must be a row number from 1, got '4'"),
    ({"purchase_order": 4}, "unknown table 'purchase_order' (did you mean 'purchase_orders'?)"),
])
def test_a_header_row_that_is_not_a_row_number_is_named(titled_csv, tmp_path, header_row, message):
    with pytest.raises(ContractError) as error:
        _ingest(titled_csv, tmp_path / "out", header_row=header_row)
    assert str(error.value) == f"export.yaml: header_row: {message}"


@pytest.mark.parametrize("source", ["titled_csv", "titled_sheet"])
def test_a_header_row_past_the_end_of_the_file_is_named(source, request, tmp_path):
    with pytest.raises(ContractError) as error:
        _ingest(request.getfixturevalue(source), tmp_path / "out", header_row={"purchase_orders": 40})
    assert str(error.value).endswith(": nothing on row 40, where export.yaml's header_row puts the header")
