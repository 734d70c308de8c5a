"""One ERP export written eleven ways (plain CSV; ';'-separated with decimal commas in cp1252;
spreadsheets with the order lines as a folder of parts and the purchase orders under a title;
purchase orders and order lines as successive extracts; the orders' columns on their lines;
cancelled lines marked by a status column and declared left out; PO line ids as a PO number and a
line number; goods receipts as their own table; order lines in cases; PO dates as JD Edwards day
numbers; the current stock with one column per warehouse) ingests to the same canonical tables."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from contracts.ingest import ingest_exports
from contracts.tables import CANONICAL_TABLES
from simulation.erp_export import ERP_DATE_FORMAT

EUROPEAN = {"delimiter": ";", "decimal": ",", "thousands": ".", "encoding": "cp1252"}


@pytest.fixture(scope="module")
def export():
    from pipelines.commands.simulate import validated_tables
    from simulation import scenario_config, simulate
    from simulation.erp_export import erp_export

    export = erp_export(validated_tables(simulate(scenario_config("baseline", seed=0, n_skus=10, n_days=60))))
    skus = export.files["skus"].copy()
    skus["unit_price"] = skus["unit_price"] + 1000  # written 1.066,67 the European way
    return replace(export, files={**export.files, "skus": skus})


def _european_number(value: object) -> object:
    """A number as a European ERP writes it (1.234,5); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) or pd.isna(value):
        return value
    return f"{value:,}".replace(",", "_").replace(".", ",").replace("_", ".")


def _write_plain(export, folder: Path) -> None:
    for name, frame in export.files.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "export.yaml").write_text(json.dumps(export.description))


def _write_european(export, folder: Path) -> None:
    for name, frame in export.files.items():
        frame.map(_european_number).to_csv(folder / f"{name}.csv", index=False, sep=";", encoding="cp1252")
    (folder / "export.yaml").write_text(json.dumps({**export.description, "csv": EUROPEAN}))


def _write_spreadsheets(export, folder: Path) -> None:
    for name, frame in export.files.items():
        if name == "purchase_orders":  # a report: its title on row 1, the header on row 3
            with pd.ExcelWriter(folder / f"{name}.xlsx") as writer:
                frame.to_excel(writer, index=False, startrow=2)
                writer.sheets["Sheet1"].write(0, 0, "Open and received PO lines")
        elif name != "order_lines":
            frame.to_excel(folder / f"{name}.xlsx", index=False)
    parts = folder / "Order Lines"
    parts.mkdir()
    lines = export.files["order_lines"]
    first, second, third = (lines.iloc[cut] for cut in np.array_split(np.arange(len(lines)), 3))
    first.to_csv(parts / "2024-01.csv.gz", index=False)
    second.to_excel(parts / "2024-02.xlsx", index=False)
    third.map(lambda v: "" if v is None else str(v)).to_parquet(parts / "2024-03.parquet")
    (folder / "export.yaml").write_text(json.dumps({**export.description, "header_row": {"purchase_orders": 3}}))


@pytest.mark.parametrize("write", [_write_european, _write_spreadsheets], ids=["european-csv", "spreadsheets"])
def test_an_export_written_another_way_ingests_to_the_same_tables(export, write, tmp_path):
    reports = {}
    for way, writer in (("plain", _write_plain), ("other", write)):
        (tmp_path / way).mkdir()
        writer(export, tmp_path / way)
        out = tmp_path / f"{way}-out"
        report = ingest_exports(tmp_path / way, out / "canonical", out / "quarantine")
        reports[way] = {t.table: (t.rows_read, t.accepted, t.quarantined) for t in report.tables}
    assert reports["other"] == reports["plain"]
    assert sum(quarantined for _, _, quarantined in reports["plain"].values()) == sum(export.bad_rows.values())
    for table in reports["plain"]:
        plain = pd.read_parquet(tmp_path / "plain-out" / "canonical" / f"{table}.parquet")
        other = pd.read_parquet(tmp_path / "other-out" / "canonical" / f"{table}.parquet")
        pd.testing.assert_frame_equal(other, plain, obj=table)


def _ingested(tmp_path: Path, way: str) -> dict:
    """The ingest report's tables, by name, of the export written in ``tmp_path/way``."""
    out = tmp_path / f"{way}-out"
    return {t.table: t for t in ingest_exports(tmp_path / way, out / "canonical", out / "quarantine").tables}


def _assert_same_as_plain(tmp_path: Path, way: str, table: str) -> None:
    """The canonical ``table`` of the export written ``way`` equals the plain export's, row order aside."""
    key = list(CANONICAL_TABLES[table].key)

    def canonical(written: str) -> pd.DataFrame:
        frame = pd.read_parquet(tmp_path / f"{written}-out" / "canonical" / f"{table}.parquet")
        return frame.sort_values(key, ignore_index=True)

    pd.testing.assert_frame_equal(canonical(way), canonical("plain"), obj=table)


def _ingested_beside_plain(export, tmp_path: Path, way: str, files: dict, description: dict) -> dict:
    """Ingest the plain export and the export written ``way``: its files with ``files`` in place of
    theirs (a table given None left out), described by ``description``; both reports' tables by way."""
    written = {name: frame for name, frame in {**export.files, **files}.items() if frame is not None}
    (tmp_path / "plain").mkdir()
    (tmp_path / way).mkdir()
    _write_plain(export, tmp_path / "plain")
    _write_plain(replace(export, files=written), tmp_path / way)
    (tmp_path / way / "export.yaml").write_text(json.dumps(description))
    return {written_way: _ingested(tmp_path, written_way) for written_way in ("plain", way)}


def _assert_same_tables(tmp_path: Path, way: str, reports: dict) -> None:
    """Every table of the export written ``way`` accepts and quarantines as many rows as the plain
    export's and equals it, row order aside."""
    for table, plain in reports["plain"].items():
        other = reports[way][table]
        assert (other.accepted, other.quarantined) == (plain.accepted, plain.quarantined), table
        _assert_same_as_plain(tmp_path, way, table)


def _as_extracts(
    frame: pd.DataFrame, changed_after: pd.Series, blanked: list[str], new: pd.Series
) -> list[pd.DataFrame]:
    """``frame`` as two successive extracts: the first without the ``new`` rows and with the ``blanked``
    columns empty where ``changed_after``, the second with those rows as they end up."""
    first = frame[~new].copy()
    first.loc[changed_after[~new], blanked] = ""
    return [first, frame[changed_after | new]]


def _write_updates(export, folder: Path) -> list[str]:
    """The export with purchase orders and order lines as two successive extracts each, declared
    ``parts: updates``; the tables written as folders."""
    _write_plain(export, folder)
    pos, lines = export.files["purchase_orders"], export.files["order_lines"]

    def day(frame: pd.DataFrame, column: str) -> pd.Series:
        return pd.to_datetime(frame[column], format=ERP_DATE_FORMAT, errors="coerce")

    def good(frame: pd.DataFrame, key: str) -> pd.Series:
        """Rows not made bad by the export (a bad row in both extracts would be quarantined twice)."""
        return ~frame[key].str.startswith("BAD-")

    cut = day(pos, "order_date").median()
    extracts = {
        "purchase_orders": _as_extracts(
            pos, (day(pos, "received_date") > cut) & good(pos, "PO Line"), ["received_date", "received_quantity"],
            new=day(pos, "order_date") > cut),
        "order_lines": _as_extracts(
            lines, (day(lines, "shipped_date") > cut) & good(lines, "line_id"), ["shipped_quantity", "shipped_date"],
            new=pd.Series(False, index=lines.index)),
    }
    for table, (first, second) in extracts.items():
        (folder / f"{table}.csv").unlink()
        (folder / table).mkdir()
        first.to_csv(folder / table / "1.csv", index=False)
        second.to_csv(folder / table / "2.csv", index=False)
    (folder / "export.yaml").write_text(json.dumps({**export.description, "parts": "updates"}))
    return list(extracts)


def test_an_export_as_successive_extracts_ingests_to_the_same_tables(export, tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "updates").mkdir()
    _write_plain(export, tmp_path / "plain")
    updated = _write_updates(export, tmp_path / "updates")
    reports = {way: _ingested(tmp_path, way) for way in ("plain", "updates")}
    for table, plain in reports["plain"].items():
        other = reports["updates"][table]
        assert (other.accepted, other.quarantined) == (plain.accepted, plain.quarantined), table
        assert other.rows_read == plain.rows_read + other.replaced, table
        assert (other.replaced > 0) == (table in updated), table
        _assert_same_as_plain(tmp_path, "updates", table)


def test_orders_written_on_their_lines_ingest_to_the_same_tables(export, tmp_path):
    on_lines = export.files["order_lines"].merge(export.files["orders"], on="order_id", how="left")
    reports = _ingested_beside_plain(export, tmp_path, "on-lines", {"orders": None, "order_lines": on_lines},
                                     {**export.description, "read_from": {"orders": "order_lines"}})
    orders = reports["on-lines"]["orders"]
    assert (orders.accepted, orders.quarantined) == (reports["plain"]["orders"].accepted, 0)
    assert orders.rows_read == orders.accepted + orders.repeated == reports["plain"]["order_lines"].rows_read
    for table, plain in reports["plain"].items():
        if table != "orders":
            other = reports["on-lines"][table]
            assert (other.rows_read, other.accepted, other.quarantined) == (
                plain.rows_read, plain.accepted, plain.quarantined), table
        _assert_same_as_plain(tmp_path, "on-lines", table)


def test_cancelled_lines_declared_left_out_leave_the_same_tables(export, tmp_path):
    lines = export.files["order_lines"]
    cancelled = lines.iloc[:40].assign(line_id=[f"C-{i}" for i in range(40)], **{"Line Status": "CANCELLED"})
    with_status = pd.concat([lines.assign(**{"Line Status": "OPEN"}), cancelled], ignore_index=True)
    reports = _ingested_beside_plain(
        export, tmp_path, "with-status", {"order_lines": with_status},
        {**export.description, "exclude": {"order_lines": {"Line Status": ["CANCELLED"]}}})
    lines_report = reports["with-status"]["order_lines"]
    assert lines_report.excluded == {"Line Status": 40}
    assert lines_report.rows_read == reports["plain"]["order_lines"].rows_read + 40
    _assert_same_tables(tmp_path, "with-status", reports)


def test_po_lines_numbered_within_their_po_ingest_to_the_same_tables(export, tmp_path):
    """Each PO line's id written as its PO number and line number in two columns, declared combined."""
    pos = export.files["purchase_orders"]
    number_and_line = pos["PO Line"].str.rsplit("-", n=1, expand=True)
    split = pos.drop(columns="PO Line").assign(**{"PO Number": number_and_line[0], "Line": number_and_line[1]})
    columns = export.description["columns"]
    po_headers = {header: column for header, column in columns["purchase_orders"].items() if column != "po_id"}
    description = {
        **export.description,
        "columns": {**columns, "purchase_orders": po_headers},
        "combine": {"purchase_orders": {"po_id": ["PO Number", "Line"]}},
    }
    reports = _ingested_beside_plain(export, tmp_path, "numbered", {"purchase_orders": split}, description)
    assert reports["numbered"]["purchase_orders"].ignored_columns == reports["plain"]["purchase_orders"].ignored_columns
    _assert_same_tables(tmp_path, "numbered", reports)


def test_po_receipts_exported_as_their_own_table_ingest_to_the_same_tables(export, tmp_path):
    """The PO lines without their receipt columns, and a goods-receipt table beside them: one row per
    delivery, every other received line delivered in two parts (half three days before the rest)."""
    pos = export.files["purchase_orders"]
    received = pos[pos["received_date"] != ""]
    assert (received["received_quantity"] != "").all()
    day = pd.to_datetime(received["received_date"], format=ERP_DATE_FORMAT)
    quantity = received["received_quantity"].astype(int)
    split = (np.arange(len(received)) % 2 == 0) & (quantity >= 2)
    early = np.maximum(day - pd.Timedelta(days=3), pd.to_datetime(received["order_date"], format=ERP_DATE_FORMAT))
    deliveries = pd.concat([
        pd.DataFrame({"PO Line": received["PO Line"], "Posting Date": day, "Qty": quantity - quantity // 2 * split}),
        pd.DataFrame({"PO Line": received["PO Line"], "Posting Date": early, "Qty": quantity // 2})[split],
    ], ignore_index=True)
    receipts = deliveries.assign(**{"Receipt": [f"GR-{i}" for i in range(len(deliveries))],
                                    "Posting Date": deliveries["Posting Date"].dt.strftime(ERP_DATE_FORMAT)})
    columns = export.description["columns"]
    description = {**export.description, "columns": {
        **columns, "po_receipts": {"Receipt": "receipt_id", "PO Line": "po_id", "Posting Date": "received_date",
                                   "Qty": "received_quantity"}}}
    reports = _ingested_beside_plain(export, tmp_path, "receipts", {
        "purchase_orders": pos.drop(columns=["received_date", "received_quantity"]),
        "po_receipts": receipts.sample(frac=1, random_state=0)}, description)
    _assert_same_tables(tmp_path, "receipts", reports)
    of_bad_lines = receipts["PO Line"].str.startswith("BAD-")
    assert split.sum() > 10
    assert (reports["receipts"]["po_receipts"].accepted, reports["receipts"]["po_receipts"].quarantined) == (
        (~of_bad_lines).sum(), of_bad_lines.sum())


def test_order_lines_in_cases_ingest_to_the_same_tables(export, tmp_path):
    """Each order line written in cases (of 2 or 3, by item) where its quantities are whole cases, else
    in eaches, with its unit beside it and the items' conversions as an sku_units table."""
    lines, skus = export.files["order_lines"], export.files["skus"]["Item Number"]
    case = pd.Series(np.where(np.arange(len(skus)) % 2 == 0, 2, 3), index=skus.to_numpy())
    size = lines["Item Number"].map(case).fillna(1).astype(int).to_numpy()
    quantities = ["Qty Ordered", "shipped_quantity", "backordered_quantity"]
    numbers = lines[quantities].apply(pd.to_numeric, errors="coerce")
    whole = ((numbers.fillna(0) % size[:, None]) == 0).all(axis=1) & numbers["Qty Ordered"].notna()
    in_cases = lines.copy()
    in_cases.loc[whole, quantities] = (numbers[whole] // size[whole.to_numpy(), None]).astype("Int64").astype(
        "string").fillna("").to_numpy()
    in_cases["Sales Unit"] = np.where(whole, "CS", "EA")
    conversions = pd.concat([pd.DataFrame({"Item Number": case.index, "unit": "CS", "stock_units": case.to_numpy()}),
                             pd.DataFrame({"Item Number": case.index, "unit": "EA", "stock_units": 1})])
    description = {**export.description, "units": {"order_lines": "Sales Unit"},
                   "columns": {**export.description["columns"], "sku_units": {"Item Number": "sku_id"}}}
    reports = _ingested_beside_plain(export, tmp_path, "cases", {"order_lines": in_cases, "sku_units": conversions},
                                     description)
    assert reports["cases"]["order_lines"].units_converted["CS"] > 100
    _assert_same_tables(tmp_path, "cases", reports)


def _jde_date(text: pd.Series) -> pd.Series:
    """Dates written in the ERP's format as JD Edwards' CYYDDD numbers, an empty date as 0; text
    that is no date as written."""
    day = pd.to_datetime(text, format=ERP_DATE_FORMAT, errors="coerce")
    cyyddd = ((day.dt.year - 1900) * 1000 + day.dt.dayofyear).astype("Int64").astype("string")
    return cyyddd.fillna(text.mask(text == "", "0"))


def test_po_dates_as_jde_day_numbers_ingest_to_the_same_tables(export, tmp_path):
    pos = export.files["purchase_orders"]
    columns = export.description["columns"]
    dates = ("order_date", "promised_date", "received_date")
    date_headers = [header for header in pos.columns if columns["purchase_orders"].get(header, header) in dates]
    numbered = pos.assign(**{header: _jde_date(pos[header]) for header in date_headers})
    assert len(date_headers) == 3 and numbered[date_headers[0]].str.fullmatch(r"1\d{5}").mean() > 0.9
    description = {**export.description,
                   "date_format": {**dict.fromkeys(export.files, ERP_DATE_FORMAT), "purchase_orders": "jde"}}
    reports = _ingested_beside_plain(export, tmp_path, "jde", {"purchase_orders": numbered}, description)
    _assert_same_tables(tmp_path, "jde", reports)


def test_current_stock_with_one_column_per_warehouse_ingests_to_the_same_tables(export, tmp_path):
    """The current stock as a planner's report: a row per item, the stock of each warehouse under its own
    header (`Whse DC-1`), declared unpivoted and the headers recoded to the warehouses."""
    stock = export.files["inventory_snapshots"]
    wide = stock.pivot(index=["snapshot_date", "sku_id"], columns="location_id", values="on_hand")
    wide = wide.rename(columns="Whse {}".format).reset_index()  # a warehouse without the item: an empty cell
    codes = {f"Whse {location}": location for location in stock["location_id"].unique()}
    description = {
        **export.description,
        "values": {**export.description["values"], "inventory_snapshots": {"location_id": codes}},
        "unpivot": {"inventory_snapshots": {"headers": "Whse *", "names_to": "location_id", "values_to": "on_hand"}},
    }
    reports = _ingested_beside_plain(export, tmp_path, "wide", {"inventory_snapshots": wide}, description)
    snapshots = reports["wide"]["inventory_snapshots"]
    assert (snapshots.unpivoted_rows, snapshots.values_recoded) == (len(wide), {"location_id": len(stock)})
    assert snapshots.rows_read == reports["plain"]["inventory_snapshots"].rows_read
    _assert_same_tables(tmp_path, "wide", reports)
