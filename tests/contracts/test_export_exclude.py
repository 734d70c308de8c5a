"""Rows the export holds but the business does not count (``exclude:``): cancelled order lines,
deleted PO lines; left out by the value of an export column and counted, never quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import ingest_exports
from pipelines.commands.ingest import format_report


@pytest.fixture
def lines_with_status(make_export, valid_export_rows) -> Path:
    """Order lines with the ERP's status column: open, cancelled (written two ways), deleted."""
    line = valid_export_rows["order_lines"][0]
    statuses = ["OPEN", "CANCELLED", " cancelled ", "OPEN", "X"]
    valid_export_rows["order_lines"] = [
        {**line, "line_id": str(i + 1), "Line Status": status, "quantity": "-1" if i == 3 else "3"}
        for i, status in enumerate(statuses)
    ]
    return make_export(valid_export_rows)


def _ingest(source: Path, out: Path, exclude: object, chunk_rows: int = 100_000):
    (source / "export.yaml").write_text(json.dumps({"exclude": exclude}))
    return ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows)


def _lines(report):
    return next(t for t in report.tables if t.table == "order_lines")


@pytest.mark.parametrize("chunk_rows", [2, 100_000])
def test_rows_holding_an_excluded_value_are_left_out_and_counted(lines_with_status, tmp_path, chunk_rows):
    report = _ingest(lines_with_status, tmp_path / "out",
                     {"order_lines": {"line status": ["CANCELLED", "cancelled", "X"]}}, chunk_rows)
    lines = _lines(report)
    assert (lines.rows_read, lines.accepted, lines.quarantined, lines.excluded) == (5, 1, 1, {"Line Status": 3})
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted["line_id"].tolist() == ["1"]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined[["source_row", "line_id"]].values.tolist() == [["4", "4"]]
    assert "rows left out by export.yaml exclude: Line Status 3" in format_report(report)


def test_an_excluded_header_the_file_does_not_have_is_named(lines_with_status, tmp_path):
    with pytest.raises(ContractError) as error:
        _ingest(lines_with_status, tmp_path / "out", {"order_lines": {"Status": ["CANCELLED"]}})
    assert str(error.value) == "order_lines.csv: export.yaml excludes rows by 'Status', which the file does not have"


def test_an_exclusion_without_values_is_named(lines_with_status, tmp_path):
    with pytest.raises(ContractError) as error:
        _ingest(lines_with_status, tmp_path / "out", {"order_lines": {"Line Status": []}})
    assert str(error.value) == (
        "export.yaml: exclude: order_lines: 'Line Status': list the values whose rows are left out")


def test_a_table_read_from_another_leaves_out_the_same_rows(make_export, valid_export_rows, tmp_path):
    order, line = valid_export_rows.pop("orders")[0], valid_export_rows["order_lines"][0]
    on_line = {**line, **{k: order[k] for k in ("customer_id", "customer_tier", "order_time", "allow_split")}}
    valid_export_rows["order_lines"] = [{**on_line, "Status": "OPEN"},
                                        {**on_line, "order_id": "O-2", "Status": "CANCELLED"}]
    source = make_export(valid_export_rows)
    (source / "export.yaml").write_text(json.dumps(
        {"read_from": {"orders": "order_lines"}, "exclude": {"order_lines": {"Status": ["CANCELLED"]}}}))
    report = ingest_exports(source, tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine")
    orders = next(t for t in report.tables if t.table == "orders")
    assert (orders.accepted, orders.quarantined, orders.excluded) == (1, 0, {"Status": 1})
    assert pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")["order_id"].tolist() == ["O-1"]


@pytest.mark.parametrize("reinstated", [False, True])
def test_a_later_extract_leaving_a_row_out_retires_the_earlier_row(make_export, valid_export_rows, tmp_path,
                                                                   reinstated):
    line = valid_export_rows["order_lines"][0]
    source = make_export(valid_export_rows)
    (source / "order_lines.csv").unlink()
    (source / "order_lines").mkdir()
    extracts = {
        "1.csv": [{**line, "line_id": "1", "Status": "OPEN"}, {**line, "line_id": "2", "Status": "OPEN"}],
        "2.csv": [{**line, "line_id": "1", "Status": "CANCELLED"}, {**line, "line_id": "3", "Status": "OPEN"}],
        "3.csv": [{**line, "line_id": "1", "Status": "OPEN", "quantity": "5"}] if reinstated else [],
    }
    for name, rows in extracts.items():
        if rows:
            pd.DataFrame(rows).to_csv(source / "order_lines" / name, index=False)
    (source / "export.yaml").write_text(json.dumps(
        {"parts": {"order_lines": "updates"}, "exclude": {"order_lines": {"Status": ["CANCELLED"]}}}))
    report = ingest_exports(source, tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine")
    lines = _lines(report)
    assert (lines.rows_read, lines.accepted, lines.replaced, lines.excluded) == (
        4 + reinstated, 2 + reinstated, 1, {"Status": 1})
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    expected = [["2", 3], ["3", 3]] + ([["1", 5]] if reinstated else [])
    assert accepted[["line_id", "quantity"]].values.tolist() == expected
