"""Stock reports written wide, one column per warehouse, declared with ``unpivot:`` and read as one
inventory snapshot per cell: empty cells give no row, the headers are recoded like any cell, a bad
cell is quarantined with its source row and its warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from tests.contracts.conftest import ingested_tables

NO_MOVEMENT_COLUMNS = {"allocated": 0, "in_transit": 0, "backordered": 0}
WIDE = {
    "columns": {"inventory_snapshots": {"Item": "sku_id", "Date": "snapshot_date"}},
    "values": {"inventory_snapshots": {"location_id": {"WH-EAST": "DC-1", "WH-WEST": "DC-2"}}},
    "defaults": {"inventory_snapshots": NO_MOVEMENT_COLUMNS},
    "unpivot": {"inventory_snapshots": {"headers": ["WH-*"], "names_to": "location_id", "values_to": "on_hand"}},
}
# Item, Date, then the stock of WH-EAST and WH-WEST: a 0 is stock of 0, an empty cell no figure.
REPORT = [
    ("SKU-1", "2024-03-01", "10", "0"),
    ("SKU-2", "2024-03-01", "", "7"),
    ("SKU-1", "2024-03-02", "12", ""),
    ("SKU-2", "2024-03-02", "", ""),
    ("SKU-2", "2024-03-03", "4", "5"),
]


def _wide(rows: list[tuple[str, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["Item", "Date", "WH-EAST", "WH-WEST"])
    return frame.assign(**{"Item Name": "snacks"})  # a column the report has and the table does not take


def _long(rows: list[tuple[str, ...]]) -> list[dict[str, object]]:
    """The rows of the equivalent long export: one per non-empty cell."""
    return [{"snapshot_date": day, "sku_id": sku, "location_id": location, "on_hand": stock, **NO_MOVEMENT_COLUMNS}
            for sku, day, *cells in rows for location, stock in zip(["DC-1", "DC-2"], cells, strict=True) if stock]


def _snapshots(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "canonical" / "inventory_snapshots.parquet")


@pytest.fixture
def long_export(make_export, valid_export_rows) -> Path:
    return make_export({**valid_export_rows, "inventory_snapshots": _long(REPORT)}, name="long")


@pytest.fixture
def wide_export(make_export, valid_export_rows) -> Path:
    rows = {table: table_rows for table, table_rows in valid_export_rows.items() if table != "inventory_snapshots"}
    source = make_export(rows, name="wide")
    _wide(REPORT).to_csv(source / "inventory_snapshots.csv", index=False)
    (source / "export.yaml").write_text(json.dumps(WIDE))
    return source


@pytest.mark.parametrize("chunk_rows", [1, 2, 100_000], ids=["row-by-row", "two-rows", "whole"])
def test_a_wide_stock_report_ingests_to_the_snapshots_of_the_long_export(wide_export, long_export, tmp_path,
                                                                         chunk_rows):
    wide = ingested_tables(wide_export, tmp_path / "wide-out", chunk_rows)["inventory_snapshots"]
    ingested_tables(long_export, tmp_path / "long-out")
    pd.testing.assert_frame_equal(_snapshots(tmp_path / "wide-out"), _snapshots(tmp_path / "long-out"))
    snapshots = _snapshots(tmp_path / "wide-out")
    assert snapshots.query("sku_id == 'SKU-1' and location_id == 'DC-2'")["on_hand"].tolist() == [0]
    assert (wide.rows_read, wide.accepted, wide.quarantined) == (6, 6, 0)
    assert (wide.unpivoted_rows, wide.empty_cells_skipped) == (5, 4)
    assert wide.values_recoded == {"location_id": 6}
    assert wide.ignored_columns == ["Item Name"]


@pytest.mark.parametrize("chunk_rows", [1, 100_000], ids=["row-by-row", "whole"])
def test_a_bad_cell_is_quarantined_with_its_source_row_and_warehouse(wide_export, tmp_path, chunk_rows):
    bad = [("SKU-1", "2024-03-04", "-5", "3"), ("SKU-2", "2024-03-04", "2", "lots")]
    _wide(REPORT + bad).to_csv(wide_export / "inventory_snapshots.csv", index=False)
    report = ingested_tables(wide_export, tmp_path / "out", chunk_rows)["inventory_snapshots"]
    quarantined = pd.read_csv(tmp_path / "out" / "quarantine" / "inventory_snapshots.csv", dtype=str)
    assert quarantined[["source_file", "source_row", "Item", "location_id", "on_hand", "reason"]].values.tolist() == [
        ["inventory_snapshots.csv", "6", "SKU-1", "WH-EAST", "-5", "on_hand: must be >= 0, got -5"],
        ["inventory_snapshots.csv", "7", "SKU-2", "WH-WEST", "lots", "on_hand: not a whole number 'lots'"],
    ]
    assert (report.rows_read, report.accepted, report.quarantined) == (10, 8, 2)
    assert report.first_quarantined == "inventory_snapshots.csv row 6: on_hand: must be >= 0, got -5"


def test_a_wide_report_in_a_workbook_and_a_csv_of_one_folder(wide_export, long_export, tmp_path):
    """The report's days in two files of the table's folder, the second a workbook with typed cells and
    a third warehouse the pattern also takes; a bad cell there names its file and row."""
    (wide_export / "inventory_snapshots.csv").unlink()
    folder = wide_export / "inventory_snapshots"
    folder.mkdir()
    _wide(REPORT[:2]).to_csv(folder / "1.csv", index=False)
    workbook = _wide(REPORT[2:]).assign(**{"WH-SOUTH": ["", "", "-1"]}).replace("", None)
    workbook[["WH-EAST", "WH-WEST", "WH-SOUTH"]] = workbook[["WH-EAST", "WH-WEST", "WH-SOUTH"]].astype(float)
    workbook.to_excel(folder / "2.xlsx", index=False)
    report = ingested_tables(wide_export, tmp_path / "wide-out")["inventory_snapshots"]
    ingested_tables(long_export, tmp_path / "long-out")
    pd.testing.assert_frame_equal(_snapshots(tmp_path / "wide-out"), _snapshots(tmp_path / "long-out"))
    assert (report.unpivoted_rows, report.rows_read, report.empty_cells_skipped, report.quarantined) == (5, 7, 6, 1)
    quarantined = pd.read_csv(tmp_path / "wide-out" / "quarantine" / "inventory_snapshots.csv", dtype=str)
    assert quarantined[["source_file", "source_row", "location_id", "on_hand"]].values.tolist() == [
        ["inventory_snapshots/2.xlsx", "3", "WH-SOUTH", "-1"]]


def test_a_workbook_with_a_column_per_day_reads_its_date_cells_as_the_days(make_export, valid_export_rows, tmp_path):
    """A stock history with one column per day, its header cells dates: each named as its ISO day,
    whatever date format the sheet shows it in, and read as that day."""
    rows = {table: table_rows for table, table_rows in valid_export_rows.items() if table != "inventory_snapshots"}
    source = make_export(rows)
    days = {pd.Timestamp("2024-03-01"): [10, 4], pd.Timestamp("2024-03-02"): [8, None]}
    pd.DataFrame({"Item": ["SKU-1", "SKU-2"], "Warehouse": "DC-1", **days}).to_excel(
        source / "inventory_snapshots.xlsx", index=False)
    (source / "export.yaml").write_text(json.dumps({
        "columns": {"inventory_snapshots": {"Item": "sku_id", "Warehouse": "location_id"}},
        "defaults": {"inventory_snapshots": NO_MOVEMENT_COLUMNS},
        "unpivot": {"inventory_snapshots": {"headers": ["2024-03-01", "2024-03-02"], "names_to": "snapshot_date",
                                            "values_to": "on_hand"}},
    }))
    report = ingested_tables(source, tmp_path / "out")["inventory_snapshots"]
    snapshots = _snapshots(tmp_path / "out")
    assert snapshots[["snapshot_date", "sku_id", "on_hand"]].values.tolist() == [
        [pd.Timestamp("2024-03-01"), "SKU-1", 10], [pd.Timestamp("2024-03-02"), "SKU-1", 8],
        [pd.Timestamp("2024-03-01"), "SKU-2", 4]]
    assert (report.quarantined, report.empty_cells_skipped) == (0, 1)


@pytest.mark.parametrize(("headers", "message"), [
    (["WH-EAST", "WH-WEST", "WH-NORTH"], r"inventory_snapshots.csv: unpivoted header\(s\) 'WH-NORTH' not in the file"),
    (["Store *"], r"inventory_snapshots.csv: unpivoted header\(s\) 'Store \*' not in the file"),
])
def test_a_listed_header_the_file_does_not_have_stops_the_ingest(wide_export, tmp_path, headers, message):
    unpivot = {"headers": headers, "names_to": "location_id", "values_to": "on_hand"}
    (wide_export / "export.yaml").write_text(json.dumps({**WIDE, "unpivot": {"inventory_snapshots": unpivot}}))
    with pytest.raises(ContractError, match=message):
        ingested_tables(wide_export, tmp_path / "out")
    assert not (tmp_path / "out" / "canonical" / "inventory_snapshots.parquet").exists()


def test_a_header_naming_the_column_the_unpivot_fills_stops_the_ingest(wide_export, tmp_path):
    _wide(REPORT).assign(**{"Location ID": "DC-1"}).to_csv(wide_export / "inventory_snapshots.csv", index=False)
    with pytest.raises(ContractError, match="inventory_snapshots.csv: header 'Location ID' names column location_id, "
                                            "which export.yaml's unpivot fills"):
        ingested_tables(wide_export, tmp_path / "out")


UNPIVOT = {"headers": ["WH-*"], "names_to": "location_id", "values_to": "on_hand"}


@pytest.mark.parametrize(("description", "message"), [
    ({"unpivot": {"inventory": UNPIVOT}}, "unpivot: unknown table 'inventory'"),
    ({"unpivot": {"inventory_snapshots": {**UNPIVOT, "names_to": "location"}}},
     "unpivot: inventory_snapshots: table inventory_snapshots has no column 'location' .did you mean 'location_id'"),
    ({"unpivot": {"inventory_snapshots": {**UNPIVOT, "headers": []}}},
     "unpivot: inventory_snapshots: headers: list the export headers whose cells become rows"),
    ({"unpivot": {"inventory_snapshots": {"headers": ["WH-*"], "names_to": "location_id"}}},
     "unpivot: inventory_snapshots: give values_to"),
    ({"unpivot": {"inventory_snapshots": {**UNPIVOT, "value_to": "on_hand"}}},
     "unpivot: inventory_snapshots: 'value_to' is not a key of unpivot .did you mean 'values_to'"),
    ({"unpivot": {"inventory_snapshots": {**UNPIVOT, "values_to": "location_id"}}},
     "unpivot: inventory_snapshots: names_to and values_to are both location_id"),
    ({"columns": {"inventory_snapshots": {"Qty": "on_hand"}}, "unpivot": {"inventory_snapshots": UNPIVOT}},
     "unpivot: inventory_snapshots: on_hand: also mapped from 'Qty' under columns; keep one"),
    ({"exclude": {"inventory_snapshots": {"WH-EAST": ["X"]}},
      "unpivot": {"inventory_snapshots": {**UNPIVOT, "headers": ["WH-EAST"]}}},
     "unpivot: inventory_snapshots: 'WH-EAST' is unpivoted and also declared under exclude; keep one"),
], ids=["table", "column", "no-headers", "missing-key", "unknown-key", "one-column", "mapped", "excluded"])
def test_an_unusable_unpivot_is_refused_when_the_description_loads(tmp_path, description, message):
    (tmp_path / "export.yaml").write_text(json.dumps(description))
    with pytest.raises(ContractError, match=f"export.yaml: {message}"):
        load_export_description(tmp_path)
