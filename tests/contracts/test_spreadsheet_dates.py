"""Dates in spreadsheet cells without a date format: a number in a date column is the serial day the
spreadsheet stores the date as, counted in the workbook's date system."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from contracts.ingest import ingest_exports

# 4 March 2024 and 1 March 2024 08:15 as serial days of the 1900 date system; the 1904 system counts
# 1,462 days fewer.
MARCH_4, MARCH_1_0815 = 45355, 45352.34375
DAYS_1904 = 1462


def _write_sheet(path: Path, rows: list[dict[str, object]], date_1904: bool) -> None:
    options = {"options": {"date_1904": True}} if date_1904 else {}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs=options) as writer:
        pd.DataFrame(rows).to_excel(writer, index=False)


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900-system", "1904-system"])
def test_number_cells_in_date_columns_are_read_as_serial_days(make_export, valid_export_rows, tmp_path, date_1904):
    shift = DAYS_1904 if date_1904 else 0
    rows = valid_export_rows
    order, line = rows.pop("orders")[0], rows.pop("order_lines")[0]
    source = make_export(rows)
    _write_sheet(source / "orders.xlsx", [{**order, "order_time": MARCH_1_0815 - shift}], date_1904)
    requested = [MARCH_4 - shift, dt.datetime(2024, 3, 4), "2024-03-04", 99_999_999]
    lines = [{**line, "line_id": str(i), "requested_date": day} for i, day in enumerate(requested)]
    _write_sheet(source / "order_lines.xlsx", lines, date_1904)

    report = ingest_exports(source, tmp_path / "canonical", tmp_path / "quarantine")

    orders = pd.read_parquet(tmp_path / "canonical" / "orders.parquet")
    assert orders["order_time"].tolist() == [pd.Timestamp("2024-03-01 08:15")]
    accepted = pd.read_parquet(tmp_path / "canonical" / "order_lines.parquet")
    assert accepted["requested_date"].tolist() == [pd.Timestamp("2024-03-04")] * 3
    assert {t.table: t.quarantined for t in report.tables}["order_lines"] == 1
    quarantined = pd.read_csv(tmp_path / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["reason"].tolist() == ["requested_date: unparseable date '99999999.0'"]


def test_number_cells_in_other_columns_stay_numbers(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    line = rows.pop("order_lines")[0]
    source = make_export(rows)
    _write_sheet(source / "order_lines.xlsx", [{**line, "line_id": 45355, "quantity": 45355}], date_1904=False)
    ingest_exports(source, tmp_path / "canonical", tmp_path / "quarantine")
    accepted = pd.read_parquet(tmp_path / "canonical" / "order_lines.parquet")
    assert accepted[["line_id", "quantity"]].values.tolist() == [["45355", 45355]]
