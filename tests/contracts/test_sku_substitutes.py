"""``sku_substitutes`` ingested from an ERP's own headers: good rows kept, bad ones quarantined."""

from __future__ import annotations

import pandas as pd

from contracts.ingest import ingest_exports


def test_an_alternative_item_list_is_ingested_under_its_own_headers(make_export, valid_export_rows, tmp_path):
    rows = dict(valid_export_rows)
    rows["sku_substitutes"] = [
        {"Item Number": "SKU-1", "Alternative Item": "SKU-2", "Preference": "1"},
        {"Item Number": "SKU-2", "Alternative Item": "SKU-2", "Preference": "1"},
        {"Item Number": "SKU-2", "Alternative Item": "SKU-9", "Preference": "2"},
    ]
    source = make_export(rows)
    (source / "export.yaml").write_text(
        "columns:\n  sku_substitutes:\n    Item Number: sku_id\n    Alternative Item: substitute_sku_id\n"
        "    Preference: priority\n"
    )
    out = tmp_path / "out"
    report = ingest_exports(source, out / "canonical", out / "quarantine", source="test-erp")
    table = next(t for t in report.tables if t.table == "sku_substitutes")
    assert (table.accepted, table.quarantined) == (1, 2)
    accepted = pd.read_parquet(out / "canonical" / "sku_substitutes.parquet")
    assert accepted[["sku_id", "substitute_sku_id", "priority"]].values.tolist() == [["SKU-1", "SKU-2", 1]]
    reasons = " ".join(pd.read_csv(out / "quarantine" / "sku_substitutes.csv")["reason"])
    assert "a SKU cannot be its own substitute" in reasons and "unknown substitute_sku_id 'SKU-9'" in reasons
    assert "SKU substitutes: customer notices list substitutes" in " ".join(report.supports)
