"""Optional inputs: declared as data, accepted when absent or header-only, reported as what the data supports."""

from __future__ import annotations

import pandas as pd

from contracts.ingest import ingest_exports
from contracts.optional_inputs import OPTIONAL_INPUTS, OPTIONAL_TABLES, REQUIRED_TABLES, empty_table
from contracts.tables import CANONICAL_TABLES
from features.build import sku_location_feature_names
from pipelines.tables import read_canonical_tables


def _ingest(source, out):
    return ingest_exports(source, out / "canonical", out / "quarantine")


def test_required_and_optional_tables_partition_the_contracts():
    assert OPTIONAL_TABLES == {"asn_events", "promotions", "inventory_movements", "transfer_lanes",
                               "sku_substitutes"}
    assert set(REQUIRED_TABLES) | OPTIONAL_TABLES == set(CANONICAL_TABLES)
    for item in OPTIONAL_INPUTS:  # optional columns are nullable ones, named features exist
        assert all(CANONICAL_TABLES[item.table].column(c).nullable for c in item.columns), item.name
        assert set(item.features) <= set(sku_location_feature_names()), item.name


def test_header_only_and_absent_optional_tables_are_accepted_and_reported(make_export, valid_export_rows, tmp_path):
    absent = ("asn_events", "inventory_movements")
    rows = {name: table_rows for name, table_rows in valid_export_rows.items() if name not in absent}
    rows["sku_suppliers"] = [{**rows["sku_suppliers"][0], "expedite_days_saved": "", "expedite_cost_per_unit": ""}]
    source = make_export(rows)
    (source / "promotions.csv").write_text(",".join(CANONICAL_TABLES["promotions"].column_names) + "\n")

    report = _ingest(source, tmp_path / "out")

    promotions = next(t for t in report.tables if t.table == "promotions")
    assert (promotions.rows_read, promotions.accepted) == (0, 0)
    assert report.supports == [
        "no ASN events: ETAs from promised dates and the lead-time model only",
        "no promotions: the promotion features and covariates are 0 (no promotion known) on every day",
        "no inventory movements: a history rebuilt from current stock follows order lines and PO receipts only",
        "transfer lanes: stock transfers between locations in the recommendations",
        "SKU substitutes: customer notices list substitutes with stock for late or at-risk lines",
        "no expedite options: no expedite is recommended (transfers only)",
    ]
    tables = read_canonical_tables(tmp_path / "out" / "canonical", ["asn_events", "promotions"])
    for name in ("asn_events", "promotions"):  # absent and header-only both read as empty, typed tables
        assert tables[name].empty
        assert list(tables[name].columns) == CANONICAL_TABLES[name].column_names
        pd.testing.assert_series_equal(tables[name].dtypes, empty_table(name).dtypes)


def test_ingest_cli_prints_what_the_data_supports(make_export, valid_export_rows, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipelines.cli import app

    monkeypatch.chdir(tmp_path)
    rows = {name: table_rows for name, table_rows in valid_export_rows.items() if name != "asn_events"}
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "ingest", str(make_export(rows))])
    assert result.exit_code == 0, result.output
    assert "what the data supports:" in result.output
    assert "no ASN events: ETAs from promised dates and the lead-time model only" in result.output
