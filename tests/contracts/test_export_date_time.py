"""A date-time exported as a date column and a time-of-day column (an ERP's "Created on" and "Time"),
declared combined: read as one date-time, in text files and in spreadsheets, the day/month order
never guessed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from contracts.ingest import ingest_exports

ORDER_TIME = {"orders": {"order_time": ["Created On", "Time"]}}


def _ingest(source: Path, out: Path):
    report = ingest_exports(source, out / "canonical", out / "quarantine")
    return {table.table: table for table in report.tables}


def _orders_with(valid_export_rows, cells: list[tuple[object, object]]) -> dict[str, list[dict[str, object]]]:
    """The valid rows with one order per (date, time) cell pair (ids O-1, O-2, ...); every line on O-1."""
    rows = valid_export_rows
    order = {key: value for key, value in rows["orders"][0].items() if key != "order_time"}
    rows["orders"] = [{**order, "order_id": f"O-{i}", "Created On": day, "Time": time}
                      for i, (day, time) in enumerate(cells, start=1)]
    return rows


def _order_times(out: Path) -> dict[str, pd.Timestamp]:
    orders = pd.read_parquet(out / "canonical" / "orders.parquet")
    return dict(zip(orders["order_id"], orders["order_time"], strict=True))


def test_a_date_and_a_time_in_two_columns_make_the_order_time(make_export, valid_export_rows, tmp_path):
    rows = _orders_with(valid_export_rows, [("04.03.2024", "13:05"), ("04.03.2024", "13:05:12"),
                                            ("05.03.2024", ""), ("05.03.2024", "25:99")])
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"date_format": {"orders": "%d.%m.%Y"}, "combine": ORDER_TIME}))
    reports = _ingest(source, tmp_path / "out")
    assert _order_times(tmp_path / "out") == {
        "O-1": pd.Timestamp("2024-03-04 13:05:00"), "O-2": pd.Timestamp("2024-03-04 13:05:12")}
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "orders.csv", dtype=str).set_index("order_id")
    assert quarantined.loc["O-3", "reason"] == "missing order_time"
    assert quarantined.loc["O-4", "reason"].startswith("order_time: does not match date_format '%d.%m.%Y'")
    assert reports["orders"].ignored_columns == []


def test_spreadsheet_date_and_time_cells_make_the_order_time(make_export, valid_export_rows, tmp_path):
    """Date cells, time cells, and a time left without a time format (a fraction of a day)."""
    rows = _orders_with(valid_export_rows, [(dt.datetime(2024, 3, 4), dt.time(13, 5)),
                                            (dt.datetime(2024, 3, 4), 0.75), (dt.datetime(2024, 3, 5), "08:30")])
    orders = pd.DataFrame(rows.pop("orders"))
    source = make_export(rows)
    orders.to_excel(source / "orders.xlsx", index=False)
    (source / "export.yaml").write_text(json.dumps({"combine": ORDER_TIME}))
    _ingest(source, tmp_path / "out")
    assert _order_times(tmp_path / "out") == {
        "O-1": pd.Timestamp("2024-03-04 13:05"), "O-2": pd.Timestamp("2024-03-04 18:00"),
        "O-3": pd.Timestamp("2024-03-05 08:30")}


def test_a_combined_date_of_unclear_day_and_month_order_stops_the_ingest(make_export, valid_export_rows, tmp_path):
    rows = _orders_with(valid_export_rows, [("04/03/2024", "13:05"), ("13/03/2024", "09:00")])
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"combine": ORDER_TIME}))
    with pytest.raises(ContractError, match="order_time"):
        _ingest(source, tmp_path / "out")


@pytest.mark.parametrize(("combine", "message"), [
    ({"orders": {"order_time": ["Created On", "Time", "Zone"]}}, "a date-time is made of two export columns"),
    ({"orders": {"order_time": "Created On"}}, "a date-time is made of two export columns"),
    ({"order_lines": {"requested_date": ["Day", "Month"]}}, "only a text column (an id, a name) or a date-time"),
])
def test_a_date_time_made_of_other_than_a_date_and_a_time_is_refused(tmp_path, combine, message):
    (tmp_path / "export.yaml").write_text(json.dumps({"combine": combine}))
    with pytest.raises(ContractError, match=f"combine.*{message.replace('(', '.').replace(')', '.')}"):
        load_export_description(tmp_path)
