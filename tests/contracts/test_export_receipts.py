"""Goods receipts exported as their own table (``po_receipts``, one row per delivery), as ERPs keep
them: summed onto their PO lines at ingest, bad receipts quarantined, and refused beside PO lines
that carry their own receipt."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from tests.contracts.conftest import ingested_tables

RECEIPT_HEADERS = {"Posting Date": "received_date", "Qty": "received_quantity"}
RECEIPT_PARTS = {"receipt_id": ["Material Doc", "Item"], "po_id": ["PO Number", "PO Item"]}


def _receipt(document: str, po_item: str, posted: str, quantity: str, po_number: str = "4500017") -> dict[str, str]:
    return {"Material Doc": document, "Item": "1", "PO Number": po_number, "PO Item": po_item,
            "Posting Date": posted, "Qty": quantity}


@pytest.fixture
def export_with_receipts(make_export, valid_export_rows) -> Path:
    """PO lines 4500017-10 (100 units, ordered 1 February 2024) and 4500017-20 (open), without receipt
    columns; goods receipts as an ERP writes them: two deliveries of line 10, a receipt of an unknown
    PO line, one dated before its line was ordered and one of a negative quantity."""
    rows = valid_export_rows
    po = {key: value for key, value in rows["purchase_orders"][0].items()
          if key not in ("received_date", "received_quantity")}
    rows["purchase_orders"] = [{**po, "po_id": "4500017-10"}, {**po, "po_id": "4500017-20"}]
    rows["asn_events"] = [{**rows["asn_events"][0], "po_id": "4500017-10"}]
    rows["po_receipts"] = [
        _receipt("5000001", "10", "14.02.2024", "60"),
        _receipt("5000002", "10", "20.02.2024", "40"),
        _receipt("5000003", "10", "20.02.2024", "5", po_number="4599999"),
        _receipt("5000004", "20", "15.01.2024", "30"),
        _receipt("5000005", "20", "21.02.2024", "-3"),
    ]
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({
        "date_format": {"po_receipts": "%d.%m.%Y"},
        "columns": {"po_receipts": RECEIPT_HEADERS},
        "combine": {"po_receipts": RECEIPT_PARTS},
    }))
    return source


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_receipts_are_summed_onto_their_po_lines(export_with_receipts, tmp_path, chunk_rows):
    reports = ingested_tables(export_with_receipts, tmp_path / "out", chunk_rows)
    canonical, quarantine = tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine"
    pos = pd.read_parquet(canonical / "purchase_orders.parquet").set_index("po_id")
    assert pos.loc["4500017-10", ["received_date", "received_quantity"]].tolist() == [pd.Timestamp("2024-02-20"), 100]
    assert pos.loc["4500017-20", ["received_date", "received_quantity"]].isna().all()
    receipts = reports["po_receipts"]
    assert (receipts.rows_read, receipts.accepted, receipts.quarantined) == (5, 2, 3)
    assert receipts.summed_onto == {"purchase_orders": 1}
    assert not (canonical / "po_receipts.parquet").exists()
    kept = pd.read_parquet(canonical / "_po_receipts.parquet")  # each delivery, for the inventory rebuild
    assert sorted(kept["received_quantity"]) == [40, 60]
    quarantined = pd.read_csv(quarantine / "po_receipts.csv", dtype=str).set_index("Material Doc")["reason"]
    assert quarantined.to_dict() == {
        "5000003": "unknown po_id '4599999-10' (not in purchase_orders)",
        "5000004": "received_date must not be before its purchase_orders row's order_date",
        "5000005": "received_quantity: must be >= 0, got -3",
    }
    assert reports["asn_events"].accepted == 1


def test_a_receipts_file_with_no_rows_leaves_every_po_line_open(export_with_receipts, tmp_path):
    path = export_with_receipts / "po_receipts.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    reports = ingested_tables(export_with_receipts, tmp_path / "out")
    pos = pd.read_parquet(tmp_path / "out" / "canonical" / "purchase_orders.parquet")
    assert pos["received_date"].isna().all()
    assert reports["po_receipts"].summed_onto == {"purchase_orders": 0}


def test_po_lines_with_their_own_receipt_columns_are_refused_beside_receipts(export_with_receipts, tmp_path):
    pos = pd.read_csv(export_with_receipts / "purchase_orders.csv", dtype=str)
    pos.assign(received_quantity="").to_csv(export_with_receipts / "purchase_orders.csv", index=False)
    with pytest.raises(ContractError, match=r"purchase_orders.csv: has received_quantity, which po_receipts.csv gives"):
        ingested_tables(export_with_receipts, tmp_path / "out")
    assert not (tmp_path / "out" / "canonical").exists()


def test_receipts_without_their_po_lines_are_refused(export_with_receipts, tmp_path):
    (export_with_receipts / "purchase_orders.csv").unlink()
    (export_with_receipts / "asn_events.csv").unlink()
    with pytest.raises(ContractError, match="po_receipts.csv: po_receipts is summed onto purchase_orders, and no file"):
        ingested_tables(export_with_receipts, tmp_path / "out")


def test_the_deliveries_kept_go_when_the_po_lines_carry_their_own_receipt_again(export_with_receipts, tmp_path):
    ingested_tables(export_with_receipts, tmp_path / "out")
    (export_with_receipts / "po_receipts.csv").unlink()
    ingested_tables(export_with_receipts, tmp_path / "out")
    assert not (tmp_path / "out" / "canonical" / "_po_receipts.parquet").exists()
