"""Dates as exports write them: with UTC offsets across a clock change, calendar days with a time,
partial dates (never completed) and dates of zeros (no date)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.ingest import ingest_exports


def _ingest(source: Path, out: Path, chunk_rows: int = 100_000):
    return ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows, source="test-erp")


UTC_OFFSET_TIMES = {  # written with the offset of the day, on either side of Europe's 2024 clock change
    "O-1": ("2024-03-30T23:30:00+01:00", "2024-03-30 22:30"),
    "O-2": ("2024-04-01T00:30:00+02:00", "2024-03-31 22:30"),
    "O-3": ("2024-04-01T06:00:00Z", "2024-04-01 06:00"),
    "O-4": ("2024-04-01 08:00", "2024-04-01 08:00"),  # no offset: UTC already
}


def test_date_times_with_utc_offsets_are_stored_in_utc_across_a_clock_change(make_export, valid_export_rows, tmp_path):
    order = valid_export_rows["orders"][0]
    rows = [{**order, "order_id": key, "order_time": written} for key, (written, _) in UTC_OFFSET_TIMES.items()]
    report = _ingest(make_export({"orders": rows}), tmp_path / "out")
    assert (report.tables[0].accepted, report.tables[0].quarantined) == (4, 0)
    orders = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")
    assert orders["order_time"].tolist() == [pd.Timestamp(utc) for _, utc in UTC_OFFSET_TIMES.values()]


def test_time_zone_aware_parquet_date_times_are_stored_in_utc(make_export, valid_export_rows, tmp_path):
    source = make_export({})
    local = pd.Series(pd.to_datetime(["2024-03-30 23:30", "2024-04-01 00:30"])).dt.tz_localize("Europe/Berlin")
    order = valid_export_rows["orders"][0]
    frame = pd.DataFrame([{**order, "order_id": f"O-{i}"} for i in (1, 2)]).assign(order_time=local)
    frame.to_parquet(source / "orders.parquet")
    _ingest(source, tmp_path / "out")
    orders = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")
    assert orders["order_time"].tolist() == [pd.Timestamp("2024-03-30 22:30"), pd.Timestamp("2024-03-31 22:30")]


def test_calendar_days_written_with_a_time_and_offset_keep_the_day_written(make_export, valid_export_rows, tmp_path):
    line = valid_export_rows["order_lines"][0]
    written = ["2024-03-04T00:00:00+01:00", "2024-03-04T23:30:00-05:00", "2024-03-04T00:00:00Z", "2024-03-04"]
    rows = [{**line, "line_id": str(i), "requested_date": day} for i, day in enumerate(written)]
    source = make_export({"order_lines": rows})
    _ingest(source, tmp_path / "out")
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert lines["requested_date"].tolist() == [pd.Timestamp("2024-03-04")] * 4
    local = pd.Series(pd.to_datetime(["2024-03-04 00:00"] * 4)).dt.tz_localize("Europe/Berlin")  # typed cells
    pd.DataFrame(rows).assign(requested_date=local).to_parquet(source / "order_lines.parquet")
    (source / "order_lines.csv").unlink()
    _ingest(source, tmp_path / "typed")
    typed = pd.read_parquet(tmp_path / "typed" / "canonical" / "order_lines.parquet")
    assert typed["requested_date"].tolist() == [pd.Timestamp("2024-03-04")] * 4


# Written without a declared format: what is read, and the partial dates that are not completed.
UNDECLARED_DAYS = {
    "20240304": "2024-03-04", "4 March 2024": "2024-03-04", "04-MAR-24": "2024-03-04", "2024-03-01": "2024-03-01",
    "1 Mar 2024": "2024-03-01", "2024": None, "March 2024": None, "2024-03": None, "240304": None,
}


def test_a_date_without_its_day_month_or_year_is_quarantined_not_completed(make_export, valid_export_rows, tmp_path):
    line = valid_export_rows["order_lines"][0]
    rows = [{**line, "line_id": str(i), "requested_date": written} for i, written in enumerate(UNDECLARED_DAYS)]
    _ingest(make_export({"order_lines": rows}), tmp_path / "out")
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    read = dict(zip(lines["line_id"].astype(int), lines["requested_date"], strict=True))
    assert {written: read.get(i) for i, written in enumerate(UNDECLARED_DAYS)} == {
        written: pd.Timestamp(day) if day else None for written, day in UNDECLARED_DAYS.items()}
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["reason"].tolist() == [
        f"requested_date: not a full date (day, month and year): {written!r}"
        for written, day in UNDECLARED_DAYS.items() if day is None]


@pytest.mark.parametrize("date_format", [None, "%d.%m.%Y"], ids=["undeclared", "declared"])
def test_a_date_written_as_zeros_is_no_date(make_export, valid_export_rows, tmp_path, date_format):
    """SAP writes an open PO line's goods-receipt date as 00.00.0000 (or 00000000): the line is open;
    a required date of zeros is missing."""
    line = valid_export_rows["order_lines"][0]
    po = {**valid_export_rows["purchase_orders"][0], "order_date": "01.02.2024", "promised_date": "15.02.2024"}
    valid_export_rows["purchase_orders"] = [
        {**po, "po_id": "PO-1", "received_date": "00.00.0000"},
        {**po, "po_id": "PO-2", "received_date": "00000000"},
        {**po, "po_id": "PO-3", "received_date": "13.02.2024", "received_quantity": "100"},
    ]
    valid_export_rows["order_lines"] = [{**line, "requested_date": "00.00.0000"}]
    valid_export_rows.pop("asn_events")
    source = make_export(valid_export_rows)
    if date_format:
        (source / "export.yaml").write_text(json.dumps({"date_format": {"purchase_orders": date_format}}))
    _ingest(source, tmp_path / "out")
    pos = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet").set_index("po_id")
    assert pos["received_date"].to_dict() == {"PO-1": pd.NaT, "PO-2": pd.NaT, "PO-3": pd.Timestamp("2024-02-13")}
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["reason"].tolist() == ["missing requested_date"]
