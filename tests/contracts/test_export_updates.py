"""A table's folder of successive extracts (``parts: updates``): a key's row in a later file replaces
the earlier one; without the declaration the later row is a duplicate."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.ingest import ingest_exports
from pipelines.commands.ingest import format_report


def _extracts(source: Path, table: str, files: dict[str, list[dict[str, object]]]) -> None:
    """``table`` as a folder of the given files in place of its single CSV."""
    (source / f"{table}.csv").unlink()
    (source / table).mkdir()
    for name, rows in files.items():
        pd.DataFrame(rows).to_csv(source / table / name, index=False)


@pytest.fixture
def po_extracts(make_export, valid_export_rows) -> Path:
    """Purchase orders exported month by month: PO-1 open in January and received in February, PO-2
    twice in February, PO-3 in February and again in March with a row that is not valid."""
    source = make_export(valid_export_rows)
    po = valid_export_rows["purchase_orders"][0]
    received = {"received_date": "2024-02-14", "received_quantity": "100"}
    _extracts(source, "purchase_orders", {
        "2024-01.csv": [po, {**po, "po_id": "PO-0"}],
        "2024-02.csv": [{**po, "po_id": "PO-2"}, {**po, **received}, {**po, "po_id": "PO-3"},
                        {**po, "po_id": "PO-2", "quantity": "7"}],
        "2024-03.csv": [{**po, "po_id": "PO-3", "quantity": "0"}],
    })
    return source


def _ingest(source: Path, out: Path, parts: object | None = None):
    if parts is not None:
        (source / "export.yaml").write_text(json.dumps({"parts": parts}))
    return ingest_exports(source, out / "canonical", out / "quarantine", chunk_rows=1)


def _table(report, table: str):
    return next(t for t in report.tables if t.table == table)


def test_a_later_extract_replaces_the_row_with_its_key(po_extracts, tmp_path):
    report = _ingest(po_extracts, tmp_path / "out", parts={"purchase_orders": "updates"})
    pos = _table(report, "purchase_orders")
    assert (pos.rows_read, pos.accepted, pos.quarantined, pos.replaced) == (7, 4, 2, 1)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet")
    assert accepted["po_id"].tolist() == ["PO-0", "PO-2", "PO-1", "PO-3"]
    po_1 = accepted.set_index("po_id").loc["PO-1"]
    assert (po_1["received_date"], po_1["received_quantity"]) == (pd.Timestamp("2024-02-14"), 100)
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "purchase_orders.csv", dtype=str)
    # Within one extract a key twice is still ambiguous; a later row that is not valid leaves the earlier one.
    assert quarantined[["source_file", "source_row", "po_id"]].values.tolist() == [
        ["purchase_orders/2024-02.csv", "4", "PO-2"], ["purchase_orders/2024-03.csv", "1", "PO-3"]]
    assert accepted.set_index("po_id").loc["PO-3", "quantity"] == 100
    assert "replaced by a later file's row with the same key: 1" in format_report(report)


def test_updates_for_all_tables_applies_to_every_folder(po_extracts, valid_export_rows, tmp_path):
    order = valid_export_rows["orders"][0]
    _extracts(po_extracts, "orders", {"a.csv": [order], "b.csv": [{**order, "customer_tier": "bronze"}]})
    report = _ingest(po_extracts, tmp_path / "out", parts="updates")
    assert (_table(report, "purchase_orders").replaced, _table(report, "orders").replaced) == (1, 1)
    orders = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")
    assert orders[["order_id", "customer_tier"]].values.tolist() == [["O-1", "bronze"]]
    lines = _table(report, "order_lines")
    assert (lines.accepted, lines.quarantined, lines.replaced) == (1, 0, 0)


def test_without_the_declaration_a_later_extract_is_a_duplicate(po_extracts, tmp_path):
    report = _ingest(po_extracts, tmp_path / "out")
    pos = _table(report, "purchase_orders")
    assert (pos.rows_read, pos.accepted, pos.quarantined, pos.replaced) == (7, 4, 3, 0)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet").set_index("po_id")
    assert pd.isna(accepted.loc["PO-1", "received_date"])
    assert pos.first_quarantined == "purchase_orders/2024-02.csv row 2: duplicate key (po_id)"


@pytest.mark.parametrize(("parts", "message"), [
    ({"purchase_order": "updates"}, "unknown table 'purchase_order' (did you mean 'purchase_orders'?)"),
    ({"purchase_orders": "latest"}, "purchase_orders: 'latest' is not one of split, updates"),
    ("latest", "'latest' is not one of split, updates"),
])
def test_an_unknown_parts_mode_or_table_is_named(po_extracts, tmp_path, parts, message):
    with pytest.raises(ContractError) as error:
        _ingest(po_extracts, tmp_path / "out", parts=parts)
    assert str(error.value) == f"export.yaml: parts: {message}"
