"""Dates stored as day numbers (a spreadsheet's serial days saved to CSV, JD Edwards' CYYDDD dates):
read as the days they count once export.yaml names the count, refused with a hint before."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.day_numbers import day_number_dates
from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from tests.contracts.conftest import ingested_tables


def _canonical(out: Path, table: str, key: str) -> pd.DataFrame:
    return pd.read_parquet(out / "canonical" / f"{table}.parquet").set_index(key)


def _quarantined(out: Path, table: str, key: str) -> pd.Series:
    return pd.read_csv(out / "quarantine" / f"{table}.csv", dtype=str).set_index(key)["reason"]


def _po_lines(valid_export_rows, dates: list[tuple[object, object, object]]) -> dict[str, list[dict[str, object]]]:
    """The valid rows with one PO line per (order, promised, received) date triple (PO-1, PO-2, ...)."""
    line = valid_export_rows["purchase_orders"][0]
    valid_export_rows["purchase_orders"] = [
        {**line, "po_id": f"PO-{i}", "order_date": ordered, "promised_date": promised, "received_date": received,
         "received_quantity": "" if received in ("", 0, "0") else line["quantity"]}
        for i, (ordered, promised, received) in enumerate(dates, start=1)]
    return valid_export_rows


@pytest.mark.parametrize(("numbers", "days"), [
    (["124064", "99365", "100001", "124366", "124060"],
     ["2024-03-04", "1999-12-31", "2000-01-01", "2024-12-31", "2024-02-29"]),
    (["123366", "124000", "124064.5", "-124064", "x"], [None] * 5),
])
def test_jde_numbers_are_the_day_of_their_year(numbers, days):
    read = day_number_dates(pd.Series(numbers, dtype=object), "jde")
    assert read.tolist() == [pd.NaT if day is None else pd.Timestamp(day) for day in days]


def test_serial_days_count_from_the_spreadsheet_day_zero():
    read = day_number_dates(pd.Series([45355, 45355.75, "45355.5416666667"]), "excel")
    assert read.tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-04 18:00"),
                             pd.Timestamp("2024-03-04 13:00")]
    assert day_number_dates(pd.Series([45355]), "excel-1904").tolist() == [pd.Timestamp("2028-03-05")]


def test_jde_dates_of_a_csv_export_are_read_when_declared(make_export, valid_export_rows, tmp_path):
    rows = _po_lines(valid_export_rows, [("124032", "124046", "0"), ("123365", "124060", "124061"),
                                         ("124032", "124400", "0"), ("124032", "2024-02-15", "")])
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"date_format": {"purchase_orders": "jde"}}))
    ingested_tables(source, tmp_path / "out")
    lines = _canonical(tmp_path / "out", "purchase_orders", "po_id")
    assert lines.loc["PO-1", ["order_date", "promised_date"]].tolist() == [pd.Timestamp("2024-02-01"),
                                                                          pd.Timestamp("2024-02-15")]
    assert pd.isna(lines.loc["PO-1", "received_date"])  # JD Edwards' 0: no date, the line is open
    assert lines.loc["PO-2", ["order_date", "received_date"]].tolist() == [pd.Timestamp("2023-12-31"),
                                                                          pd.Timestamp("2024-03-01")]
    reasons = _quarantined(tmp_path / "out", "purchase_orders", "po_id")
    assert reasons["PO-3"] == "promised_date: does not match date_format 'jde': '124400'"
    assert reasons["PO-4"] == "promised_date: does not match date_format 'jde': '2024-02-15'"
    # the other tables keep the default reading
    assert _canonical(tmp_path / "out", "order_lines", "line_id")["requested_date"].tolist() == [
        pd.Timestamp("2024-03-04")]


def test_serial_days_saved_to_csv_are_read_when_declared_and_named_in_the_reason_when_not(
        make_export, valid_export_rows, tmp_path):
    valid_export_rows["orders"][0]["order_time"] = "45352.3333333333"
    valid_export_rows["order_lines"][0].update(requested_date="45355", shipped_date="45353")
    source = make_export(valid_export_rows)
    ingested_tables(source, tmp_path / "undeclared")
    reason = _quarantined(tmp_path / "undeclared", "orders", "order_id")["O-1"]
    assert reason.startswith("order_time: unparseable date-time '45352.3333333333'")
    assert "date_format: excel, excel-1904, jde" in reason

    (source / "export.yaml").write_text(json.dumps({"date_format": {"orders": "excel", "order_lines": "excel"}}))
    ingested_tables(source, tmp_path / "declared")
    assert _canonical(tmp_path / "declared", "orders", "order_id").loc["O-1", "order_time"] == pd.Timestamp(
        "2024-03-01 08:00")
    line = _canonical(tmp_path / "declared", "order_lines", "line_id").iloc[0]
    assert [line["requested_date"], line["shipped_date"]] == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-02")]


def test_number_cells_of_a_sheet_are_read_in_the_declared_count(make_export, valid_export_rows, tmp_path):
    """A sheet's number cells in a date column are its serial days unless export.yaml names another
    count: JD Edwards' numbers, or the 1904 date system a workbook does not declare."""
    rows = _po_lines(valid_export_rows, [(124032, 124046, 0)])
    lines = pd.DataFrame(rows.pop("purchase_orders"))
    source = make_export(rows)
    lines.to_excel(source / "purchase_orders.xlsx", index=False)
    (source / "export.yaml").write_text(json.dumps({"date_format": {"purchase_orders": "jde"}}))
    ingested_tables(source, tmp_path / "jde")
    line = _canonical(tmp_path / "jde", "purchase_orders", "po_id").loc["PO-1"]
    assert [line["order_date"], line["promised_date"]] == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-15")]

    days_1904 = [(pd.Timestamp(day) - pd.Timestamp("1904-01-01")).days for day in ("2024-02-01", "2024-02-15")]
    lines[["order_date", "promised_date"]] = [days_1904]
    lines.to_excel(source / "purchase_orders.xlsx", index=False)
    (source / "export.yaml").write_text(json.dumps({"date_format": {"purchase_orders": "excel-1904"}}))
    ingested_tables(source, tmp_path / "1904")
    line = _canonical(tmp_path / "1904", "purchase_orders", "po_id").loc["PO-1"]
    assert [line["order_date"], line["promised_date"]] == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-15")]


@pytest.mark.parametrize(("description", "message"), [
    ({"date_format": "julian"}, "must name the day, the month and the year .*or be a day number: excel, excel-1904"),
    ({"date_format": {"orders": "jde"}, "combine": {"orders": {"order_time": ["Created On", "Time"]}}},
     "orders: order_time: a date and a time of day are not combined when the table's dates are day numbers"),
])
def test_day_number_declarations_that_cannot_be_read_are_refused(tmp_path, description, message):
    (tmp_path / "export.yaml").write_text(json.dumps(description))
    with pytest.raises(ContractError, match=message):
        load_export_description(tmp_path)
