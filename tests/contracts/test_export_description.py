"""An export described once in export.yaml: header names, date formats, and dates never misread."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from contracts.errors import AmbiguousDatesError, ContractError, MissingColumnsError
from contracts.export_description import ExportDescription
from contracts.ingest import ingest_exports
from contracts.tables import CANONICAL_TABLES
from pipelines.cli import app


def _ingest(source: Path, out: Path, chunk_rows: int = 100_000, export_config: Path | None = None):
    return ingest_exports(
        source, out / "canonical", out / "quarantine", chunk_rows=chunk_rows, export_config=export_config,
        source="test-erp",
    )


def _table(report, name: str):
    return next(t for t in report.tables if t.table == name)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _lines(base: dict[str, object], requested: list[str]) -> list[dict[str, object]]:
    """Order lines of one order, one per requested date, shipped-date left open."""
    return [
        {**base, "line_id": str(i + 1), "requested_date": day, "shipped_date": ""}
        for i, day in enumerate(requested)
    ]


@pytest.mark.parametrize(
    ("date_format", "written", "order_time"),
    [
        ("%m/%d/%Y", ["03/04/2024", "03/13/2024", "12/31/2024"], "03/01/2024 08:15"),
        ("%d/%m/%Y", ["04/03/2024", "13/03/2024", "31/12/2024"], "01/03/2024 08:15"),
        ("%d.%m.%Y", ["04.03.2024", "13.03.2024", "31.12.2024"], "01.03.2024 08:15:00"),
    ],
    ids=["US", "EU", "EU-dots"],
)
def test_declared_date_format_reads_every_date_as_meant(
    date_format, written, order_time, make_export, valid_export_rows, tmp_path
):
    order = {**valid_export_rows["orders"][0], "order_time": order_time}
    rows = {"orders": [order], "order_lines": _lines(valid_export_rows["order_lines"][0], written)}
    source = make_export(rows)
    (source / "export.yaml").write_text(f'date_format: "{date_format}"\n')
    report = _ingest(source, tmp_path / "out")
    assert all(t.quarantined == 0 for t in report.tables)
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    meant = ["2024-03-04", "2024-03-13", "2024-12-31"]
    assert lines["requested_date"].tolist() == [pd.Timestamp(day) for day in meant]
    orders = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")
    assert orders["order_time"].tolist() == [pd.Timestamp("2024-03-01 08:15")]
    assert "export.yaml" not in report.skipped_files


def test_date_format_per_table_leaves_other_tables_iso(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["order_lines"] = _lines(rows["order_lines"][0], ["04/03/2024", "31/12/2024"])
    source = make_export(rows)
    (source / "export.yaml").write_text('date_format:\n  order_lines: "%d/%m/%Y"\n')
    report = _ingest(source, tmp_path / "out")
    assert all(t.quarantined == 0 for t in report.tables)
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert lines["requested_date"].tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-12-31")]


@pytest.mark.parametrize(
    ("written", "example", "evidence", "suggested"),
    [
        (["04/03/2024", "05/03/2024", "13/03/2024", "31/12/2024"], "04/03/2024", "13/03/2024", "%d/%m/%Y"),
        (["03/04/2024", "03/13/2024", "12/31/2024"], "03/04/2024", "03/13/2024", "%m/%d/%Y"),
        (["04-03-24", "13-03-24"], "04-03-24", "13-03-24", "%d-%m-%y"),
    ],
    ids=["EU", "US", "EU-dashes-short-year"],
)
def test_undeclared_dates_readable_both_ways_refuse_the_file_and_write_nothing(
    written, example, evidence, suggested, make_export, valid_export_rows, tmp_path
):
    out = tmp_path / "out"
    _ingest(make_export(valid_export_rows, "first"), out)
    before = {sub: _digest(out / sub) for sub in ("canonical", "quarantine")}
    rows = {**valid_export_rows, "order_lines": _lines(valid_export_rows["order_lines"][0], written)}
    with pytest.raises(AmbiguousDatesError) as error:
        # One row per chunk: the evidence is gathered over the whole file.
        _ingest(make_export(rows, "second"), out, chunk_rows=1)
    found = error.value
    assert (found.file, found.table, found.column) == ("order_lines.csv", "order_lines", "requested_date")
    assert (found.example, found.evidence, found.date_format) == (example, evidence, suggested)
    assert {sub: _digest(out / sub) for sub in ("canonical", "quarantine")} == before
    assert not list(out.glob(".ingest-*"))


def test_values_only_valid_day_first_next_to_values_only_valid_month_first_are_refused(
    make_export, valid_export_rows, tmp_path
):
    rows = valid_export_rows
    rows["order_lines"] = _lines(rows["order_lines"][0], ["13/03/2024", "31/12/2024", "03/14/2024"])
    with pytest.raises(AmbiguousDatesError) as error:
        _ingest(make_export(rows), tmp_path / "out")
    assert (error.value.example, error.value.evidence) == ("03/14/2024", "13/03/2024")
    assert error.value.date_format == "%d/%m/%Y"


def test_undeclared_dates_in_one_clear_order_or_iso_are_accepted(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["order_lines"] = _lines(rows["order_lines"][0], ["13/03/2024", "31/12/2024", "2024-03-04"])
    report = _ingest(make_export(rows), tmp_path / "out")
    assert _table(report, "order_lines").quarantined == 0
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert lines["requested_date"].tolist() == [
        pd.Timestamp("2024-03-13"), pd.Timestamp("2024-12-31"), pd.Timestamp("2024-03-04")
    ]


def test_value_not_in_the_declared_format_is_quarantined_with_its_reason(
    make_export, valid_export_rows, tmp_path
):
    rows = valid_export_rows
    rows["order_lines"] = _lines(rows["order_lines"][0], ["04/03/2024", "2024-03-04", "31/13/2024"])
    source = make_export(rows)
    (source / "export.yaml").write_text('date_format: {order_lines: "%d/%m/%Y"}\n')
    report = _ingest(source, tmp_path / "out")
    lines = _table(report, "order_lines")
    assert (lines.accepted, lines.quarantined) == (1, 2)
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["source_row"].tolist() == ["2", "3"]
    assert quarantined["reason"].tolist() == [
        "requested_date: does not match date_format '%d/%m/%Y': '2024-03-04'",
        "requested_date: does not match date_format '%d/%m/%Y': '31/13/2024'",
    ]


ERP_HEADERS = {"order_id": "Order No", "line_id": "Line", "sku_id": "Item Number",
               "location_id": "Whse", "quantity": "Order Qty", "requested_date": "Req Date"}
ERP_DESCRIPTION = """\
date_format: "%d/%m/%Y"
columns:
  order_lines:
    Order No: order_id
    Line: line_id
    Item Number: sku_id
    Whse: location_id
    Order Qty: quantity
    Req Date: requested_date
"""


def _erp_lines(valid_export_rows) -> dict[str, list[dict[str, object]]]:
    line = valid_export_rows["order_lines"][0]
    erp = {header: line[column] for column, header in ERP_HEADERS.items()}
    erp["Req Date"] = "31/12/2024"
    return {**valid_export_rows, "order_lines": [erp]}


def test_erp_headers_declared_in_export_yaml_are_mapped(make_export, valid_export_rows, tmp_path):
    source = make_export(_erp_lines(valid_export_rows))
    for table in ("orders", "purchase_orders", "skus", "promotions", "inventory_snapshots", "asn_events"):
        (source / f"{table}.csv").unlink()  # ISO dates: the declared format is for order_lines only here
    (source / "export.yaml").write_text(ERP_DESCRIPTION)
    report = _ingest(source, tmp_path / "out")
    lines = _table(report, "order_lines")
    assert (lines.accepted, lines.quarantined, lines.ignored_columns) == (1, 0, [])
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert accepted.loc[0, ["sku_id", "location_id", "quantity"]].tolist() == ["SKU-1", "DC-1", 3]
    assert accepted.loc[0, "requested_date"] == pd.Timestamp("2024-12-31")


def test_export_description_can_live_outside_the_export_folder(make_export, valid_export_rows, tmp_path):
    source = make_export({"order_lines": _erp_lines(valid_export_rows)["order_lines"]})
    described = tmp_path / "erp.yaml"
    described.write_text(ERP_DESCRIPTION)
    report = _ingest(source, tmp_path / "out", export_config=described)
    assert (report.tables[0].accepted, report.tables[0].quarantined) == (1, 0)


def test_missing_required_column_lists_the_close_matches_in_the_file(make_export, valid_export_rows, tmp_path):
    line = valid_export_rows["order_lines"][0]
    renamed = {"Order Quantity" if k == "quantity" else "Req Date" if k == "requested_date" else k: v
               for k, v in line.items()}
    with pytest.raises(MissingColumnsError) as error:
        _ingest(make_export({"order_lines": [{**renamed, "Notes": "x"}]}), tmp_path / "out")
    assert error.value.file == "order_lines.csv"
    assert error.value.missing == ["quantity", "requested_date"]
    assert error.value.close_matches == {"quantity": ["Order Quantity"], "requested_date": ["Req Date"]}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("columns:\n  order_line: {Item Number: sku_id}\n",
         "columns: unknown table 'order_line' (did you mean 'order_lines'?)"),
        ("columns:\n  order_lines: {Item Number: sku}\n",
         "table order_lines has no column 'sku' (did you mean 'sku_id'?)"),
        ("columns:\n  order_lines: {Item: sku_id, Item Number: sku_id}\n",
         "'Item' and 'Item Number' both map to sku_id"),
        ('date_format: "%d/%m"\n', "date_format: '%d/%m' must name the day, the month and the year"),
        ('date_format: {orders: "%d/%m/%Y", order_line: "%d/%m/%Y"}\n', "unknown table 'order_line'"),
        ('date_fromat: "%d/%m/%Y"\n', "date_fromat: not a key of export.yaml (did you mean 'date_format'?)"),
        ("date_format: %d/%m/%Y\n", 'not valid YAML'),
        ("- order_lines\n",
         f"expected keys {', '.join(ExportDescription.model_fields)} at the top level"),
        ('csv: {delimiter: ";;"}\n', "csv.delimiter: String should have at most 1 character"),
        ("header_rows: 3\n", "header_rows: not a key of export.yaml (did you mean 'header_row'?); the keys are "),
        ("csv: {negative: trailing}\n", "csv.negative: not a key of csv (did you mean 'negatives'?)"),
        ("csv: {encoding: utf-9}\n", "csv.encoding: unknown encoding 'utf-9'"),
        ('csv: {delimiter: ",", decimal: ","}\n', "csv: delimiter and decimal are both ','"),
        ('csv: {decimal: ",", thousands: ","}\n', "csv: thousands and decimal are both ','"),
        ("defaults: {orders: {tier: gold}}\n", "defaults: orders: table orders has no column 'tier'"),
        ("defaults: {orders: {customer_tier: vip}}\n",
         "defaults: orders: customer_tier: must be one of ['gold', 'silver', 'bronze'], got 'vip'"),
        ("defaults: {locations: {holding_cost_rate: 2}}\n", "defaults: locations: holding_cost_rate: must be <= 1"),
        ("defaults: {sku_suppliers: {moq: some}}\n", "defaults: sku_suppliers: moq: not a whole number 'some'"),
        ("defaults: {orders: {order_id: O-1}}\n", "defaults: orders: order_id is the table's key"),
        ("values: {orders: {customer_tier: {A: vip}}}\n",
         "values: orders: customer_tier: must be one of ['gold', 'silver', 'bronze'], got 'vip'"),
        ("values: {orders: {tier: {A: gold}}}\n", "values: orders: table orders has no column 'tier'"),
    ],
    ids=["table", "column", "twice", "format", "format-table", "key", "yaml", "list",
         "delimiter", "unknown-key", "unknown-csv-key", "encoding", "decimal-delimiter", "decimal-thousands",
         "default-column", "default-allowed", "default-range", "default-type", "default-key",
         "value-allowed", "value-column"],
)
def test_malformed_export_yaml_is_an_error_naming_the_key(content, named, make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "export.yaml").write_text(content)
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert named in str(error.value)
    assert str(error.value).startswith("export.yaml: ")
    assert not (tmp_path / "out").exists()


def test_declared_header_absent_from_the_file_is_an_error(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "export.yaml").write_text("columns:\n  order_lines: {Item Number: sku_id}\n")
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert "order_lines.csv: declared header(s) 'Item Number' not in the file" in str(error.value)


def test_cli_takes_the_export_description_and_refuses_ambiguous_dates(
    make_export, valid_export_rows, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    rows = {"order_lines": _lines(valid_export_rows["order_lines"][0], ["04/03/2024", "13/03/2024"])}
    source = make_export(rows)
    refused = CliRunner().invoke(app, ["ingest", str(source)])
    assert refused.exit_code == 2
    assert not (tmp_path / "data" / "canonical" / "order_lines.parquet").exists()
    described = tmp_path / "erp.yaml"
    described.write_text('date_format: "%d/%m/%Y"\n')
    accepted = CliRunner().invoke(app, ["ingest", str(source), "--export-config", str(described)])
    assert accepted.exit_code == 0, accepted.output
    lines = pd.read_parquet(tmp_path / "data" / "canonical" / "order_lines.parquet")
    assert lines["requested_date"].tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-13")]


def test_the_documented_erp_example_is_a_valid_description_of_every_table_it_names():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "your-data.md").read_text()
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    described = ExportDescription.model_validate(yaml.safe_load(example))
    assert described.date_format_for("order_lines") == "%d/%m/%Y"
    assert described.headers_for("order_lines")["Item Number"] == "sku_id"
    for table in CANONICAL_TABLES:
        assert f"[`{table}`](data-contracts.md#{table})" in guide


def test_declared_defaults_fill_columns_the_export_does_not_have_and_empty_cells(
    make_export, valid_export_rows, tmp_path
):
    rows = valid_export_rows
    rows["orders"] = [{k: v for k, v in {**rows["orders"][0], "order_id": key}.items() if k != "customer_tier"}
                      for key in ("O-1", "O-2")]
    rows["locations"] = [{**row, "region": ""} for row in rows["locations"]]
    rows["locations"][0]["region"] = "north"
    for row in rows["locations"]:
        del row["holding_cost_rate"]
    source = make_export(rows)
    (source / "export.yaml").write_text(
        "defaults:\n  orders: {customer_tier: silver, allow_split: false}\n"
        "  locations: {region: all, holding_cost_rate: 0.25}\n"
    )
    report = _ingest(source, tmp_path / "out")
    by_table = {t.table: t for t in report.tables}
    assert (by_table["orders"].accepted, by_table["orders"].quarantined) == (2, 0)
    assert by_table["orders"].defaults_filled == {"customer_tier": 2, "allow_split": 0}
    assert by_table["locations"].defaults_filled == {"region": 1, "holding_cost_rate": 2}
    canonical = tmp_path / "out" / "canonical"
    orders = pd.read_parquet(canonical / "orders.parquet")
    assert orders[["customer_tier", "allow_split"]].values.tolist() == [["silver", True], ["silver", True]]
    locations = pd.read_parquet(canonical / "locations.parquet")
    assert locations[["region", "holding_cost_rate"]].values.tolist() == [["north", 0.25], ["all", 0.25]]


def test_a_single_site_export_gives_its_location_as_a_default_of_the_keys_it_is_part_of(
    make_export, valid_export_rows, tmp_path
):
    rows = valid_export_rows
    rows["locations"] = rows["locations"][:1]
    rows.pop("transfer_lanes")
    for table in ("inventory_snapshots", "order_lines", "purchase_orders", "inventory_movements", "promotions"):
        rows[table] = [{k: v for k, v in row.items() if k != "location_id"} for row in rows[table]]
    rows["inventory_snapshots"].append({**rows["inventory_snapshots"][0], "snapshot_date": "2024-03-01"})
    source = make_export(rows)
    site = {"location_id": "DC-1"}
    (source / "export.yaml").write_text(json.dumps({"defaults": {
        table: site for table in ("inventory_snapshots", "order_lines", "purchase_orders", "inventory_movements",
                                  "promotions")}}))
    report = _ingest(source, tmp_path / "out")
    by_table = {t.table: t for t in report.tables}
    snapshots = by_table["inventory_snapshots"]
    assert (snapshots.accepted, snapshots.quarantined, snapshots.defaults_filled) == (1, 1, {"location_id": 2})
    assert all(by_table[t].accepted == 1 for t in ("order_lines", "purchase_orders", "promotions"))
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert lines["location_id"].tolist() == ["DC-1"]


def test_without_a_default_a_missing_required_column_still_stops_the_ingest(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["orders"] = [{k: v for k, v in rows["orders"][0].items() if k != "customer_tier"}]
    with pytest.raises(MissingColumnsError) as error:
        _ingest(make_export(rows), tmp_path / "out")
    assert error.value.missing == ["customer_tier"]


def test_declared_values_stand_for_the_canonical_ones_and_others_are_read_as_written(
    make_export, valid_export_rows, tmp_path
):
    order = valid_export_rows["orders"][0]
    written = [("A", "X"), (" B ", ""), ("gold", "Y"), ("Z", "Y"), ("1", "X")]
    rows = [{**order, "order_id": f"O-{i}", "customer_tier": tier, "allow_split": split}
            for i, (tier, split) in enumerate(written)]
    source = make_export({"orders": rows})
    (source / "export.yaml").write_text(
        "values:\n  orders:\n    customer_tier: {A: gold, B: silver, 1: bronze}\n    allow_split: {X: yes, '': no}\n"
    )
    report = _ingest(source, tmp_path / "out")
    assert (report.tables[0].accepted, report.tables[0].quarantined) == (4, 1)
    assert report.tables[0].values_recoded == {"customer_tier": 3, "allow_split": 3}
    orders = pd.read_parquet(tmp_path / "out" / "canonical" / "orders.parquet")
    assert orders[["order_id", "customer_tier", "allow_split"]].values.tolist() == [
        ["O-0", "gold", True], ["O-1", "silver", False], ["O-2", "gold", True], ["O-4", "bronze", True]]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "orders.csv", dtype=str)
    assert quarantined[["customer_tier", "reason"]].values.tolist() == [
        ["Z", "customer_tier: must be one of ['gold', 'silver', 'bronze'], got 'Z'"]]
