"""A table exported on the rows of another (``read_from:``): the orders' columns on each order line,
one order read per key, repeats read once, lines that disagree on their order quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import export_identity, ingest_exports
from contracts.world_manifest import read_manifest
from pipelines.commands.ingest import format_report

ORDER_COLUMNS = ("customer_id", "customer_tier", "order_time", "allow_split")


@pytest.fixture
def orders_on_lines(make_export, valid_export_rows) -> Path:
    """No orders file: each order line carries its order's columns. O-1's two lines agree, O-2's
    tier is not one of ours, O-3's second line gives another order time."""
    rows = valid_export_rows
    order, line = rows.pop("orders")[0], rows["order_lines"][0]
    on_line = {**line, **{column: order[column] for column in ORDER_COLUMNS}}
    rows["order_lines"] = [
        {**on_line, "line_id": "1"},
        {**on_line, "line_id": "2"},
        {**on_line, "order_id": "O-2", "customer_tier": "vip"},
        {**on_line, "order_id": "O-3", "line_id": "1"},
        {**on_line, "order_id": "O-3", "line_id": "2", "order_time": "2024-03-01 09:30:00"},
    ]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"read_from": {"orders": "order_lines"}}))
    return source


def _ingest(source: Path, out: Path, chunk_rows: int = 100_000):
    return ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows)


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_orders_are_read_once_from_their_lines(orders_on_lines, tmp_path, chunk_rows):
    report = _ingest(orders_on_lines, tmp_path / "out", chunk_rows)
    by_table = {t.table: t for t in report.tables}
    orders, lines = by_table["orders"], by_table["order_lines"]
    assert orders.source_file == "order_lines.csv"
    assert (orders.rows_read, orders.accepted, orders.quarantined, orders.repeated) == (5, 2, 2, 1)
    assert (lines.rows_read, lines.accepted, lines.quarantined) == (5, 4, 1)
    assert not set(ORDER_COLUMNS) & set(lines.ignored_columns)
    canonical = tmp_path / "out" / "canonical"
    accepted = pd.read_parquet(canonical / "orders.parquet")
    assert accepted[["order_id", "order_time"]].values.tolist() == [
        ["O-1", pd.Timestamp("2024-03-01 08:00")], ["O-3", pd.Timestamp("2024-03-01 08:00")]]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "orders.csv", dtype=str)
    assert quarantined[["source_file", "source_row", "order_id"]].values.tolist() == [
        ["order_lines.csv", "3", "O-2"], ["order_lines.csv", "5", "O-3"]]
    assert quarantined["reason"].tolist()[1] == "duplicate key (order_id)"
    line_quarantine = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert line_quarantine["reason"].tolist() == ["unknown order_id 'O-2' (not in orders)"]
    assert "rows repeating an earlier one, read once: 1" in format_report(report)


def test_a_rerun_on_the_same_export_is_recognized(orders_on_lines, tmp_path):
    _ingest(orders_on_lines, tmp_path / "out")
    assert read_manifest(tmp_path / "out" / "canonical").inputs_digest == export_identity(orders_on_lines)[1]


def test_a_table_read_from_another_and_exported_too_is_refused(orders_on_lines, valid_rows, tmp_path):
    pd.DataFrame([valid_rows["orders"]]).to_csv(orders_on_lines / "orders.csv", index=False)
    with pytest.raises(ContractError) as error:
        _ingest(orders_on_lines, tmp_path / "out")
    assert str(error.value) == "orders.csv holds table orders, which export.yaml reads from order_lines (read_from)"


@pytest.mark.parametrize(("read_from", "message"), [
    ({"orders": "order_line"}, "orders: unknown table 'order_line' (did you mean 'order_lines'?)"),
    ({"orders": "orders"}, "orders: a table cannot be read from its own files"),
    ({"orders": "order_lines", "order_lines": "purchase_orders"},
     "orders: order_lines is itself read from purchase_orders; name a table exported in its own files"),
])
def test_an_unusable_read_from_is_named(orders_on_lines, tmp_path, read_from, message):
    (orders_on_lines / "export.yaml").write_text(json.dumps({"read_from": read_from}))
    with pytest.raises(ContractError) as error:
        _ingest(orders_on_lines, tmp_path / "out")
    assert str(error.value) == f"export.yaml: read_from: {message}"


def test_an_item_master_naming_each_items_supplier_holds_the_purchasing_terms(make_export, valid_export_rows,
                                                                             tmp_path):
    rows = valid_export_rows
    terms = {k: v for k, v in rows.pop("sku_suppliers")[0].items() if k not in ("sku_id", "unit_cost")}
    rows["skus"] = [{**sku, **terms} for sku in rows["skus"]]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({"read_from": {"sku_suppliers": "skus"}}))
    report = _ingest(source, tmp_path / "out")
    by_table = {t.table: t for t in report.tables}
    assert (by_table["sku_suppliers"].accepted, by_table["sku_suppliers"].quarantined) == (2, 0)
    assert by_table["skus"].ignored_columns == []
    terms = pd.read_parquet(tmp_path / "out" / "canonical" / "sku_suppliers.parquet")
    skus = pd.read_parquet(tmp_path / "out" / "canonical" / "skus.parquet")
    assert terms["sku_id"].tolist() == ["SKU-1", "SKU-2"]
    assert terms["unit_cost"].tolist() == skus["unit_cost"].tolist() == [1.5, 1.5]
    assert terms["quoted_lead_time_days"].tolist() == [14, 14]


def test_a_table_read_from_successive_extracts_takes_their_latest_values(orders_on_lines, tmp_path):
    lines = pd.read_csv(orders_on_lines / "order_lines.csv", dtype=str, keep_default_na=False).iloc[[0, 1, 3]]
    (orders_on_lines / "order_lines.csv").unlink()
    (orders_on_lines / "order_lines").mkdir()
    lines.to_csv(orders_on_lines / "order_lines" / "1.csv", index=False)
    lines.iloc[[1]].assign(allow_split="false").to_csv(orders_on_lines / "order_lines" / "2.csv", index=False)
    (orders_on_lines / "export.yaml").write_text(
        json.dumps({"read_from": {"orders": "order_lines"}, "parts": {"order_lines": "updates"}}))
    report = _ingest(orders_on_lines, tmp_path / "out")
    orders = next(t for t in report.tables if t.table == "orders")
    assert (orders.rows_read, orders.accepted, orders.quarantined, orders.repeated, orders.replaced) == (4, 2, 0, 1, 1)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet").set_index("order_id")
    assert accepted["allow_split"].to_dict() == {"O-3": True, "O-1": False}
