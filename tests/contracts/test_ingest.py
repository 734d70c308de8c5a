"""Ingestion of export folders: invariant, idempotence, header matching, structural failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import REPORT_FILE, ingest_exports

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ingest(source: Path, out: Path, chunk_rows: int = 100_000):
    """Export folders of one system (``source``), so later ones add to the world of earlier ones."""
    return ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows, source="test-erp")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_example_export_accepted_plus_quarantined_equals_rows_read(tmp_path):
    report = _ingest(REPO_ROOT / "examples" / "erp_export", tmp_path)
    for table in report.tables:
        assert table.accepted + table.quarantined == table.rows_read
        accepted = pd.read_parquet(tmp_path / "canonical" / f"{table.table}.parquet")
        quarantined = pd.read_csv(tmp_path / "quarantine" / f"{table.table}.csv")
        assert len(accepted) == table.accepted
        assert len(quarantined) == table.quarantined
        assert quarantined["reason"].notna().all()
        if table.quarantined:  # the summary points at the first of them
            first = quarantined.iloc[0]
            assert table.first_quarantined == f"{first['source_file']} row {first['source_row']}: {first['reason']}"
        else:
            assert table.first_quarantined == ""
    assert sum(t.quarantined for t in report.tables) > 0


def test_rerunning_on_the_same_input_gives_identical_output(tmp_path):
    source = REPO_ROOT / "examples" / "erp_export"
    _ingest(source, tmp_path / "first")
    _ingest(source, tmp_path / "second")
    _ingest(source, tmp_path / "second")
    for sub in ("canonical", "quarantine"):
        assert _digest(tmp_path / "first" / sub) == _digest(tmp_path / "second" / sub)


def test_chunked_reading_gives_the_same_result_as_one_chunk(tmp_path):
    source = REPO_ROOT / "examples" / "erp_export"
    _ingest(source, tmp_path / "whole")
    _ingest(source, tmp_path / "chunked", chunk_rows=2)
    assert _digest(tmp_path / "whole" / "quarantine") == _digest(tmp_path / "chunked" / "quarantine")
    for table in (tmp_path / "whole" / "canonical").glob("*.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(table), pd.read_parquet(tmp_path / "chunked" / "canonical" / table.name)
        )


def test_headers_match_ignoring_case_spaces_and_underscores(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["skus"] = [{"SKU ID": "SKU-1", "CATEGORY": "snacks", "Unit-Cost": "1", "unit price": "2", "Notes": "x"}]
    report = _ingest(make_export(rows), tmp_path / "out")
    skus = next(t for t in report.tables if t.table == "skus")
    assert (skus.accepted, skus.quarantined) == (1, 0)
    assert skus.ignored_columns == ["Notes"]


def test_file_names_match_tables_loosely_and_others_are_reported(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "skus.csv").rename(source / "SKUs.CSV")
    (source / "readme.txt").write_text("not a table")
    report = _ingest(source, tmp_path / "out")
    assert "skus" in [t.table for t in report.tables]
    assert report.skipped_files == ["readme.txt"]


def test_parquet_exports_are_read_like_csv(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    pd.read_csv(source / "order_lines.csv", dtype=str).to_parquet(source / "order_lines.parquet")
    (source / "order_lines.csv").unlink()
    report = _ingest(source, tmp_path / "out")
    lines = next(t for t in report.tables if t.table == "order_lines")
    assert (lines.accepted, lines.quarantined) == (1, 0)


def test_a_table_exported_as_a_folder_of_parts_is_read_part_by_part(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "order_lines.csv").unlink()
    line = valid_export_rows["order_lines"][0]
    parts = source / "Order Lines"
    parts.mkdir()
    pd.DataFrame([{**line, "line_id": "1"}, {**line, "line_id": "2"}]).to_csv(parts / "2024-01.csv", index=False)
    pd.DataFrame([{**line, "line_id": "3"}, {**line, "line_id": "1"}, {**line, "line_id": "5", "quantity": "-2"}]
                 ).to_csv(parts / "2024-02.csv.gz", index=False)
    pd.DataFrame([{**line, "line_id": "4"}]).to_parquet(parts / "2024-03.parquet")
    (parts / "_SUCCESS").write_text("")
    report = _ingest(source, tmp_path / "out")
    lines = next(t for t in report.tables if t.table == "order_lines")
    assert (lines.source_file, lines.rows_read, lines.accepted, lines.quarantined) == ("Order Lines/", 6, 4, 2)
    assert report.skipped_files == ["Order Lines/_SUCCESS"]
    assert lines.first_quarantined == "Order Lines/2024-02.csv.gz row 2: duplicate key (order_id, line_id)"
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted["line_id"].tolist() == ["1", "2", "3", "4"]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined[["source_file", "source_row", "line_id"]].values.tolist() == [
        ["Order Lines/2024-02.csv.gz", "2", "1"], ["Order Lines/2024-02.csv.gz", "3", "5"]]
    assert quarantined.loc[0, "reason"] == "duplicate key (order_id, line_id)"
    assert "quantity: must be > 0, got -2" in quarantined.loc[1, "reason"]


def test_a_part_missing_a_required_column_is_named(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "order_lines").mkdir()
    (source / "order_lines.csv").rename(source / "order_lines" / "a.csv")
    pd.read_csv(source / "order_lines" / "a.csv", dtype=str).drop(columns=["quantity"]).to_csv(
        source / "order_lines" / "b.csv", index=False
    )
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value).startswith("order_lines/b.csv: missing required column(s) quantity")


def test_every_file_that_cannot_be_read_as_its_table_is_named_at_once(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    pd.read_csv(source / "order_lines.csv", dtype=str).drop(columns=["quantity"]).to_csv(
        source / "order_lines.csv", index=False)
    pd.read_csv(source / "skus.csv", dtype=str).to_csv(source / "skus.csv", index=False, sep=";")
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    message = str(error.value).splitlines()
    assert message[0] == "2 files cannot be read as their table:"
    assert message[1].startswith("  - order_lines.csv: missing required column(s) quantity")
    assert message[2].startswith("  - skus.csv: the header reads as one column")
    assert not (tmp_path / "out").exists()


def test_a_table_both_as_a_file_and_as_a_folder_is_refused(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "orders").mkdir()
    (source / "orders.csv").rename(source / "orders" / "part-0.csv")
    pd.read_csv(source / "orders" / "part-0.csv", dtype=str).to_csv(source / "orders.csv.gz", index=False)
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value) == "both orders/ and orders.csv.gz hold table orders"
    assert not (tmp_path / "out").exists()


def _typed(row: dict[str, object]) -> dict[str, object]:
    """A row as a spreadsheet holds it: numbers as numbers, dates as dates, blanks empty."""
    typed: dict[str, object] = {}
    for column, value in row.items():
        text = str(value)
        if text == "":
            typed[column] = None
        elif text.lstrip("-").replace(".", "", 1).isdigit():
            typed[column] = float(text) if "." in text else int(text)
        else:
            typed[column] = pd.Timestamp(text) if text[:4].isdigit() and text[4:5] == "-" else text
    return typed


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_spreadsheet_exports_are_read_with_their_typed_cells(chunk_rows, make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    source = make_export(rows)
    lines = [_typed({**rows["order_lines"][0], "line_id": n, "shipped_date": ""}) for n in ("1", "2")]
    lines[1]["shipped_date"] = pd.Timestamp("2024-03-05 00:00")  # a blank and a date in one column
    lines[1]["requested_date"] = "04/03/2024"  # a date typed as text next to a date cell
    pd.DataFrame(lines).to_excel(source / "Order Lines.xlsx", index=False)
    with pd.ExcelWriter(source / "skus.xlsx") as book:
        pd.DataFrame({"note": ["exported by the ERP"]}).to_excel(book, sheet_name="About", index=False)
        pd.DataFrame([_typed(row) for row in rows["skus"]]).to_excel(book, sheet_name="SKUs", index=False)
    for table in ("order_lines", "skus"):
        (source / f"{table}.csv").unlink()
    (source / "export.yaml").write_text('date_format: "%d/%m/%Y"\n')  # for text dates; typed cells are dates
    (source / "orders.csv").write_text(
        "order_id,customer_id,customer_tier,order_time,allow_split\nO-1,C-1,gold,01/03/2024 08:00,true\n"
    )
    for table in ("purchase_orders", "promotions", "inventory_snapshots", "asn_events", "inventory_movements"):
        (source / f"{table}.csv").unlink()
    report = _ingest(source, tmp_path / "out", chunk_rows=chunk_rows)
    assert {t.table: (t.accepted, t.quarantined) for t in report.tables if t.table in ("skus", "order_lines")} == {
        "skus": (2, 0), "order_lines": (2, 0)}
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted["line_id"].tolist() == ["1", "2"]
    assert accepted["requested_date"].tolist() == [pd.Timestamp("2024-03-04")] * 2
    assert accepted["quantity"].tolist() == [3, 3]
    assert accepted["shipped_date"].isna().tolist() == [True, False]
    assert accepted.loc[1, "shipped_date"] == pd.Timestamp("2024-03-05")


def test_a_sheet_with_empty_header_cells_ignores_them_and_one_naming_a_column_twice_is_refused(
    make_export, valid_export_rows, tmp_path
):
    source = make_export({"skus": valid_export_rows["skus"]})
    (source / "skus.csv").unlink()
    skus = pd.DataFrame(valid_export_rows["skus"])
    skus.assign(**{" ": "", "  ": ""}).to_excel(source / "skus.xlsx", index=False)  # formatted but empty columns
    report = _ingest(source, tmp_path / "out")
    assert (report.tables[0].accepted, report.tables[0].ignored_columns) == (2, ["Unnamed: 6", "Unnamed: 7"])
    skus.assign(extra=skus["category"]).rename(columns={"extra": "category"}).to_excel(
        source / "skus.xlsx", index=False
    )
    with pytest.raises(ContractError, match=r"skus.xlsx: the header names 'category' more than once"):
        _ingest(source, tmp_path / "again")


def test_a_csv_header_naming_a_column_twice_is_refused_like_a_sheets(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "order_lines.csv").write_text(
        "order_id,line_id,sku_id,location_id,quantity,Date,Date,,\nO-1,1,SKU-1,DC-1,3,2024-03-04,2024-03-02,,\n")
    (source / "export.yaml").write_text("columns: {order_lines: {Date: requested_date}}\n")
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value) == (
        "order_lines.csv: the header names 'Date' more than once; rename all but one in the export")


def test_parquet_date_columns_are_dates_whatever_the_declared_text_format(make_export, valid_export_rows, tmp_path):
    source = make_export({"order_lines": valid_export_rows["order_lines"]})
    lines = pd.read_csv(source / "order_lines.csv", dtype=str)
    lines["requested_date"] = [dt.date(2024, 3, 4)]  # Parquet date32 columns read as date objects
    lines["shipped_date"] = [dt.date(2024, 3, 2)]
    lines.to_parquet(source / "order_lines.parquet")
    (source / "order_lines.csv").unlink()
    (source / "export.yaml").write_text('date_format: "%d/%m/%Y"\n')
    report = _ingest(source, tmp_path / "out")
    assert (report.tables[0].accepted, report.tables[0].quarantined) == (1, 0)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted["requested_date"].tolist() == [pd.Timestamp("2024-03-04")]


def test_a_workbook_of_several_sheets_none_named_like_the_file_is_refused(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    with pd.ExcelWriter(source / "skus.xlsx") as book:
        for name in ("Sheet1", "Sheet2"):
            pd.DataFrame([valid_export_rows["skus"][0]]).to_excel(book, sheet_name=name, index=False)
    (source / "skus.csv").unlink()
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value) == (
        "skus.xlsx: 2 sheets ('Sheet1', 'Sheet2') and none named like the file; keep the table on one sheet "
        "or name its sheet 'skus'"
    )


def _prepare_previous_output(make_export, valid_export_rows, tmp_path) -> Path:
    out = tmp_path / "out"
    _ingest(make_export(valid_export_rows, "first"), out)
    return out


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("missing_column", "order_lines.csv: missing required column(s) quantity"),
        ("undecodable", "orders.csv: not valid utf-8 text"),
        ("empty", "orders.csv: the file is empty"),
        ("header_only", "orders.csv: the file has a header but no rows"),
    ],
)
def test_structurally_unusable_file_fails_naming_it_and_leaves_no_partial_output(
    breakage, message, make_export, valid_export_rows, tmp_path
):
    out = _prepare_previous_output(make_export, valid_export_rows, tmp_path)
    before = {sub: _digest(out / sub) for sub in ("canonical", "quarantine")}
    source = make_export(valid_export_rows, "second")
    if breakage == "missing_column":
        pd.read_csv(source / "order_lines.csv").drop(columns=["quantity"]).to_csv(
            source / "order_lines.csv", index=False
        )
    elif breakage == "undecodable":
        (source / "orders.csv").write_bytes(
            b"order_id,customer_id,customer_tier,order_time,allow_split\n\xff\xfe,\x81,gold,x,y\n"
        )
    elif breakage == "empty":
        (source / "orders.csv").write_text("")
    else:
        (source / "orders.csv").write_text("order_id,customer_id,customer_tier,order_time,allow_split\n")
    with pytest.raises(ContractError) as error:
        _ingest(source, out)
    assert message in str(error.value)
    assert {sub: _digest(out / sub) for sub in ("canonical", "quarantine")} == before
    assert not list(out.glob(".ingest-*"))


def test_foreign_keys_are_checked_against_tables_ingested_earlier(make_export, valid_export_rows, tmp_path):
    out = _prepare_previous_output(make_export, valid_export_rows, tmp_path)
    later = {
        "order_lines": [
            {**valid_export_rows["order_lines"][0], "line_id": "2"},
            {**valid_export_rows["order_lines"][0], "line_id": "3", "sku_id": "SKU-404"},
        ]
    }
    report = _ingest(make_export(later, "later"), out)
    lines = report.tables[0]
    assert (lines.accepted, lines.quarantined) == (1, 1)
    quarantined = pd.read_csv(out / "quarantine" / "order_lines.csv")
    assert quarantined["reason"].tolist() == ["unknown sku_id 'SKU-404' (not in skus)"]
    assert quarantined["source_row"].tolist() == [2]


def test_unchecked_foreign_keys_are_reported_when_no_parent_exists(make_export, valid_export_rows, tmp_path):
    report = _ingest(make_export({"asn_events": valid_export_rows["asn_events"]}), tmp_path / "out")
    assert report.tables[0].foreign_keys_not_checked == ["po_id -> purchase_orders"]
    summary = json.loads((tmp_path / "out" / "canonical" / REPORT_FILE).read_text())
    assert summary["tables"][0]["accepted"] == 1


def test_bad_rows_in_a_large_file_do_not_lose_accepted_rows(make_export, valid_export_rows, tmp_path):
    base = valid_export_rows["inventory_snapshots"][0]
    days = pd.date_range("2023-01-01", periods=2000).strftime("%Y-%m-%d")
    rows = [{**base, "snapshot_date": d, "on_hand": str(-1 if i % 97 == 0 else i)} for i, d in enumerate(days)]
    source = make_export({**valid_export_rows, "inventory_snapshots": rows})
    report = _ingest(source, tmp_path / "out", chunk_rows=300)
    snaps = next(t for t in report.tables if t.table == "inventory_snapshots")
    bad = sum(1 for i in range(2000) if i % 97 == 0)
    assert (snaps.rows_read, snaps.accepted, snaps.quarantined) == (2000, 2000 - bad, bad)
