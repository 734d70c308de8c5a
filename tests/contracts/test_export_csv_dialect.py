"""CSV files written the local way, declared under `csv:` in export.yaml: delimiter, decimal mark,
digit grouping and encoding; numbers never guessed, and a wrong dialect named by the error. Text
exports (`.txt`, `.tsv`) tab-separated, UTF-16 read by its byte-order mark."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from contracts.ingest import ingest_exports


def _ingest(source: Path, out: Path):
    return ingest_exports(source, out / "canonical", out / "quarantine", source="test-erp")


def _table(report, name: str):
    return next(t for t in report.tables if t.table == name)


EUROPEAN_CSV = 'csv: {delimiter: ";", decimal: ",", thousands: ".", encoding: cp1252}\n'


def _european(rows: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """The rows with every decimal point written as a comma."""
    return {
        table: [{k: re.sub(r"^(-?\d+)\.(\d+)$", r"\1,\2", str(v)) for k, v in row.items()} for row in table_rows]
        for table, table_rows in rows.items()
    }


def _write_european(source: Path, rows: dict[str, list[dict[str, object]]]) -> None:
    """Write the export's files the way a European ERP writes them: ';' between fields, cp1252."""
    for table, table_rows in rows.items():
        pd.DataFrame(table_rows).to_csv(source / f"{table}.csv", index=False, sep=";", encoding="cp1252")


def test_a_semicolon_separated_cp1252_export_with_decimal_commas_reads_every_value_as_meant(
    make_export, valid_export_rows, tmp_path
):
    rows = _european(valid_export_rows)
    rows["skus"][0].update(unit_cost="1.234,50", category="Getränke")
    rows["order_lines"][0].update(quantity="1.200", shipped_quantity="1.200")
    source = make_export(rows)
    _write_european(source, rows)
    (source / "export.yaml").write_text(EUROPEAN_CSV)
    report = _ingest(source, tmp_path / "out")
    assert all(t.quarantined == 0 for t in report.tables)
    canonical = tmp_path / "out" / "canonical"
    skus = pd.read_parquet(canonical / "skus.parquet").set_index("sku_id")
    assert skus.loc["SKU-1", ["unit_cost", "unit_price", "category"]].tolist() == [1234.5, 2.5, "Getränke"]
    assert skus.loc["SKU-2", "unit_cost"] == 1.5
    lines = pd.read_parquet(canonical / "order_lines.parquet")
    assert lines.loc[0, ["quantity", "shipped_quantity"]].tolist() == [1200, 1200]
    locations = pd.read_parquet(canonical / "locations.parquet")
    assert locations["holding_cost_rate"].tolist() == [0.2, 0.2]


def test_each_system_s_files_read_in_their_own_dialect(make_export, valid_export_rows, tmp_path):
    """The PO lines and stock from a European ERP (';', decimal commas, cp1252), the orders and their
    lines from a web shop (plain CSV, a point between thousands being no decimal mark): declared per
    table, tables not named read in the default dialect."""
    rows = valid_export_rows
    rows["skus"][0]["unit_cost"] = "1.5"
    rows["order_lines"][0].update(quantity="1200", shipped_quantity="1200")
    erp = _european({"purchase_orders": rows["purchase_orders"], "sku_suppliers": rows["sku_suppliers"]})
    erp["purchase_orders"][0]["quantity"] = "1.200"
    erp["sku_suppliers"][0]["unit_cost"] = "1.234,5"
    source = make_export(rows)
    _write_european(source, erp)
    (source / "export.yaml").write_text(
        'csv: {purchase_orders: {delimiter: ";", decimal: ",", thousands: ".", encoding: cp1252},\n'
        '      sku_suppliers: {delimiter: ";", decimal: ",", thousands: ".", encoding: cp1252}}\n')
    report = _ingest(source, tmp_path / "out")
    assert all(t.quarantined == 0 for t in report.tables)
    canonical = tmp_path / "out" / "canonical"
    assert pd.read_parquet(canonical / "purchase_orders.parquet")["quantity"].tolist() == [1200]
    assert pd.read_parquet(canonical / "sku_suppliers.parquet")["unit_cost"].tolist() == [1234.5]
    assert pd.read_parquet(canonical / "skus.parquet")["unit_cost"].tolist() == [1.5, 1.5]
    assert pd.read_parquet(canonical / "order_lines.parquet")["quantity"].tolist() == [1200]


@pytest.mark.parametrize(("csv", "message"), [
    ('{order_lines: {delimter: ";"}}', "csv: order_lines: delimter: not a key of csv .did you mean 'delimiter'.."),
    ('{order_lines: {decimal: ";"}}', "csv: order_lines: decimal: Input should be '.' or ','"),
    ('{order_lines: {delimiter: ";"}, delimiter: ","}', "csv: delimiter beside tables: give one dialect for all"),
    ('{order_lines: {delimiter: ";"}, order_line: {}}', "csv: unknown table 'order_line' .did you mean 'order_lines'"),
])
def test_a_per_table_dialect_that_cannot_be_read_names_the_table_and_key(tmp_path, csv, message):
    (tmp_path / "export.yaml").write_text(f"csv: {csv}\n")
    with pytest.raises(ContractError, match=message):
        load_export_description(tmp_path)


@pytest.mark.parametrize(("decimal", "thousands", "written"), [
    (",", " ", ["1 200", "1\u00a0200", "1\u202f200", "12 00"]),
    (".", "'", ["1'200", "1\u2019200", "1\u02bc200", "12'00"]),
], ids=["french", "swiss"])
def test_digits_grouped_in_each_form_of_the_declared_separator_are_read(
    make_export, valid_export_rows, tmp_path, decimal, thousands, written
):
    """A French export groups digits by a space, a no-break space or a narrow no-break space, a Swiss
    one by an apostrophe, typographic or not, as spreadsheets in those locales write them; digits
    not grouped in threes are still refused."""
    rows = _european(valid_export_rows) if decimal == "," else valid_export_rows
    rows["order_lines"] = [{**rows["order_lines"][0], "line_id": str(i), "quantity": number,
                            "shipped_quantity": number} for i, number in enumerate(written, start=1)]
    source = make_export(rows)
    for table, table_rows in rows.items():  # in UTF-8: cp1252 has no narrow no-break space
        pd.DataFrame(table_rows).to_csv(source / f"{table}.csv", index=False, sep=";")
    (source / "export.yaml").write_text(f'csv: {{delimiter: ";", decimal: "{decimal}", thousands: "{thousands}"}}\n')
    _ingest(source, tmp_path / "out")
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet").set_index("line_id")
    assert lines["quantity"].to_dict() == {"1": 1200, "2": 1200, "3": 1200}
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "order_lines.csv", dtype=str)
    assert quarantined["reason"].str.split("; ").tolist() == [[
        f"{column}: not a whole number with decimal {decimal!r} and thousands {thousands!r}: {written[3]!r}"
        for column in ("quantity", "shipped_quantity")]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_a_first_line_naming_the_delimiter_is_read_as_excel_reads_it(make_export, valid_export_rows, tmp_path,
                                                                      encoding):
    """Excel's `sep=;` line: the delimiter it names is used, whatever export.yaml declares, and the
    line is no row; a header_row counts the rows below it, as Excel shows them."""
    source = make_export(valid_export_rows)
    for table, table_rows in valid_export_rows.items():
        text = pd.DataFrame(table_rows).to_csv(index=False, sep=";")
        title = "Open PO lines;\n" if table == "purchase_orders" else ""
        (source / f"{table}.csv").write_text(f"sep=;\n{title}{text}", encoding=encoding)
    (source / "export.yaml").write_text(
        f'csv: {{delimiter: ",", encoding: {encoding}}}\nheader_row: {{purchase_orders: 2}}\n')
    report = _ingest(source, tmp_path / "out")
    assert all((t.quarantined, t.ignored_columns) == (0, []) for t in report.tables)
    assert _table(report, "purchase_orders").accepted == _table(report, "order_lines").accepted == 1
    lines = pd.read_parquet(tmp_path / "out" / "canonical" / "order_lines.parquet")
    assert lines.loc[0, ["sku_id", "quantity"]].tolist() == ["SKU-1", 3]


def test_money_and_fractions_saved_as_a_spreadsheet_shows_them_are_read(make_export, valid_export_rows, tmp_path):
    """A sheet saved to CSV as displayed: costs with their currency, rates as percentages. Only money
    columns drop a currency and only fraction columns read a percentage."""
    rows = valid_export_rows
    rows["skus"][0].update(unit_cost="$1,234.50", unit_price="USD 2,000")
    rows["skus"][1].update(unit_cost="12%")
    rows["locations"][0]["holding_cost_rate"] = "20%"
    rows["promotions"][0]["discount_pct"] = "12.5 %"
    rows["order_lines"][0]["quantity"] = "$3"
    source = make_export(rows)
    (source / "export.yaml").write_text('csv: {thousands: ","}\n')
    _ingest(source, tmp_path / "out")
    canonical, quarantine = tmp_path / "out" / "canonical", tmp_path / "out" / "quarantine"
    assert pd.read_parquet(canonical / "skus.parquet")[["unit_cost", "unit_price"]].values.tolist() == [[1234.5, 2000]]
    assert pd.read_parquet(canonical / "locations.parquet")["holding_cost_rate"].tolist() == [0.2, 0.2]
    assert pd.read_parquet(canonical / "promotions.parquet")["discount_pct"].tolist() == [0.125]
    assert pd.read_csv(quarantine / "skus.csv", dtype=str)["reason"].tolist() == [
        "unit_cost: not a number with decimal '.' and thousands ',': '12%'"]
    assert pd.read_csv(quarantine / "order_lines.csv", dtype=str)["reason"].str.startswith(
        "quantity: not a whole number").tolist() == [True]


def test_text_written_as_the_excel_formula_that_shows_it_is_read_as_shown(make_export, valid_export_rows, tmp_path):
    """Ids kept with their leading zeros as `="00123"`, in a column, in the parts of a combined id and
    in a coded column; `=""` is an empty cell."""
    rows = valid_export_rows
    rows["orders"][0].update(order_id='="00123"', customer_tier='="A"')
    rows["order_lines"][0].update(order_id='="00123"', shipped_date='=""', shipped_quantity="0")
    po = {key: value for key, value in rows["purchase_orders"][0].items() if key != "po_id"}
    rows["purchase_orders"] = [{**po, "PO Number": '="0045"', "Line": "10"}]
    rows["asn_events"][0]["po_id"] = "0045-10"
    source = make_export(rows)
    (source / "export.yaml").write_text(json.dumps({
        "combine": {"purchase_orders": {"po_id": ["PO Number", "Line"]}},
        "values": {"orders": {"customer_tier": {"A": "gold"}}}}))
    report = _ingest(source, tmp_path / "out")
    assert all(t.quarantined == 0 for t in report.tables)
    canonical = tmp_path / "out" / "canonical"
    assert pd.read_parquet(canonical / "orders.parquet")[["order_id", "customer_tier"]].values.tolist() == [
        ["00123", "gold"]]
    lines = pd.read_parquet(canonical / "order_lines.parquet")
    assert lines["order_id"].tolist() == ["00123"] and lines["shipped_date"].isna().all()
    assert pd.read_parquet(canonical / "purchase_orders.parquet")["po_id"].tolist() == ["0045-10"]


def test_a_number_not_written_in_the_declared_format_is_quarantined_with_its_reason(
    make_export, valid_export_rows, tmp_path
):
    rows = _european(valid_export_rows)
    rows["skus"] = [{**rows["skus"][0], "unit_cost": "1.5"}, {**rows["skus"][1], "unit_cost": "12.50,0"}]
    source = make_export(rows)
    _write_european(source, rows)
    (source / "export.yaml").write_text(EUROPEAN_CSV)
    report = _ingest(source, tmp_path / "out")
    assert (_table(report, "skus").accepted, _table(report, "skus").quarantined) == (0, 2)
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "skus.csv", dtype=str)
    assert quarantined["reason"].tolist() == [
        "unit_cost: not a number with decimal ',' and thousands '.': '1.5'",
        "unit_cost: not a number with decimal ',' and thousands '.': '12.50,0'",
    ]


def test_without_a_declared_dialect_a_decimal_comma_is_not_a_number(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["skus"][0]["unit_cost"] = "1,5"
    report = _ingest(make_export(rows), tmp_path / "out")
    assert _table(report, "skus").quarantined == 1
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "skus.csv", dtype=str)
    assert quarantined["reason"].tolist() == ["unit_cost: not a number '1,5'"]


def test_an_undeclared_semicolon_separated_file_names_the_setting_and_writes_nothing(
    make_export, valid_export_rows, tmp_path
):
    source = make_export(valid_export_rows)
    _write_european(source, {"order_lines": valid_export_rows["order_lines"]})
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value).startswith("order_lines.csv: the header reads as one column 'order_id;line_id;")
    assert str(error.value).endswith("the file looks semicolon-separated; declare it in export.yaml as "
                                     "`csv: {delimiter: ';'}`")
    assert not (tmp_path / "out" / "canonical").exists()


def test_a_file_not_in_the_declared_encoding_names_the_setting(make_export, valid_export_rows, tmp_path):
    rows = valid_export_rows
    rows["suppliers"][0]["name"] = "Müller GmbH"
    source = make_export(rows)
    pd.DataFrame(rows["suppliers"]).to_csv(source / "suppliers.csv", index=False, encoding="cp1252")
    with pytest.raises(ContractError) as error:
        _ingest(source, tmp_path / "out")
    assert str(error.value).startswith("suppliers.csv: not valid utf-8 text (invalid start byte); ")
    assert str(error.value).endswith("declare the files' encoding in export.yaml, e.g. `csv: {encoding: cp1252}`")
    (source / "export.yaml").write_text("csv: {encoding: cp1252}\n")
    _ingest(source, tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "canonical" / "suppliers.parquet")["name"].tolist() == ["Müller GmbH"]


@pytest.mark.parametrize(("negatives", "written"), [("trailing", "5-"), ("parentheses", "(5)")])
def test_negatives_written_the_declared_way_are_read_and_others_quarantined(
    make_export, valid_export_rows, tmp_path, negatives, written
):
    movement = valid_export_rows["inventory_movements"][0]
    other = "(5)" if negatives == "trailing" else "5-"
    valid_export_rows["inventory_movements"] = [
        {**movement, "movement_id": f"M-{i}", "quantity_delta": value}
        for i, value in enumerate([written, "-5", "7", other])
    ]
    source = make_export(valid_export_rows)
    (source / "export.yaml").write_text(f"csv: {{negatives: {negatives}}}\n")
    report = _ingest(source, tmp_path / "out")
    assert (_table(report, "inventory_movements").accepted, _table(report, "inventory_movements").quarantined) == (3, 1)
    accepted = pd.read_parquet(tmp_path / "out" / "canonical" / "inventory_movements.parquet")
    assert accepted["quantity_delta"].tolist() == [-5, -5, 7]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "inventory_movements.csv", dtype=str)
    assert quarantined["reason"].tolist() == [
        f"quantity_delta: not a whole number with decimal '.' and negatives {written!r}: {other!r}"]
    (source / "export.yaml").unlink()
    undeclared = _ingest(source, tmp_path / "undeclared")
    assert _table(undeclared, "inventory_movements").quarantined == 2


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_header(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    skus = source / "skus.csv"
    skus.write_bytes(b"\xef\xbb\xbf" + skus.read_bytes())  # as Excel's "CSV UTF-8" writes it
    report = _ingest(source, tmp_path / "out")
    assert (_table(report, "skus").accepted, _table(report, "skus").ignored_columns) == (2, [])


def test_text_exports_are_tab_separated_and_a_utf16_mark_is_read_as_utf16(make_export, valid_export_rows, tmp_path):
    """Excel's Unicode Text (UTF-16, tabs, `.txt`) and a `.tsv` file beside comma-separated CSV files,
    with no export.yaml."""
    valid_export_rows["suppliers"][0]["name"] = "Müller & Söhne"
    source = make_export(valid_export_rows)
    for table, suffix, encoding in (("suppliers", ".txt", "utf-16"), ("skus", ".tsv", "utf-8")):
        frame = pd.read_csv(source / f"{table}.csv", dtype=str, keep_default_na=False)
        (source / f"{table}.csv").unlink()
        frame.to_csv(source / f"{table}{suffix}", index=False, sep="\t", encoding=encoding)
    assert (source / "suppliers.txt").read_bytes()[:2] == b"\xff\xfe"
    report = _ingest(source, tmp_path / "out")
    suppliers_report, skus_report = _table(report, "suppliers"), _table(report, "skus")
    assert (suppliers_report.source_file, skus_report.source_file) == ("suppliers.txt", "skus.tsv")
    assert (suppliers_report.accepted, skus_report.accepted) == (1, 2)
    suppliers = pd.read_parquet(tmp_path / "out" / "canonical" / "suppliers.parquet")
    assert suppliers["name"].tolist() == ["Müller & Söhne"]


def test_a_comma_separated_text_export_names_the_setting(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    (source / "skus.csv").rename(source / "skus.txt")
    with pytest.raises(ContractError, match=r"skus.txt: .* looks comma-separated; declare it in export.yaml as "
                       r"`csv: \{delimiter: ','\}`"):
        _ingest(source, tmp_path / "out")
