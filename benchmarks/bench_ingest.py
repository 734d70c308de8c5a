"""Ingest throughput and peak memory on a large generated order-lines export.

Usage: .venv/bin/python benchmarks/bench_ingest.py [--rows 2000000] [--chunk-rows 100000]
       [--european | --xlsx | --updates | --units | --wide]
Prints rows/s and peak RSS, showing that memory is bounded by the chunk size, not the file (a
spreadsheet's cells are held by calamine, so there it grows with the sheet).
``--european`` writes the order lines the way a European ERP does (';' between fields, quantities
with a decimal comma, cp1252) and declares it in export.yaml, so every number goes through the
declared number format. ``--xlsx`` writes them as an Excel workbook (one sheet). ``--updates``
writes them as two successive extracts declared ``parts: updates``, the second re-exporting a fifth
of the lines, so the replaced rows are dropped from the written table afterwards. ``--units``
writes half the lines in cases (`CS`, 12 per case for each item) and half in eaches (`EA`), declared
``units:`` with an ``sku_units`` table, so every quantity is converted to stocking units. ``--wide``
writes each line's quantity under its location's column (``DC-1``, ``DC-2``; the other cell empty),
declared ``unpivot:``, so every line is read from a cell and every other cell is skipped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

_CHILD = """
import json, sys
from pathlib import Path
from contracts.ingest import ingest_exports
source, out, chunk = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
report = ingest_exports(source, out / "canonical", out / "quarantine", chunk)
lines = next(t for t in report.tables if t.table == "order_lines")
status = Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]
print(json.dumps({"rows": lines.rows_read, "accepted": lines.accepted, "quarantined": lines.quarantined,
                  "replaced": lines.replaced, "peak_rss_mb": int(status) / 1024}))
"""


EUROPEAN = 'csv: {delimiter: ";", decimal: ",", thousands: ".", encoding: cp1252}\n'


def write_export(
    folder: Path, rows: int, seed: int = 0, european: bool = False, xlsx: bool = False, updates: bool = False,
    units: bool = False, wide: bool = False,
) -> None:
    rng = np.random.default_rng(seed)
    skus = [f"SKU-{i:04d}" for i in range(300)]
    orders = rows // 3
    order_index = np.arange(rows) // 3
    quantity = rng.integers(1, 20, rows).astype(str)
    quantity[rng.random(rows) < 0.01] = "-1"  # 1% bad rows to exercise the quarantine
    tables = {
        "skus": pd.DataFrame({"sku_id": skus, "category": "c", "unit_cost": "1", "unit_price": "2"}),
        "locations": pd.DataFrame(
            {"location_id": ["DC-1", "DC-2"], "name": "dc", "region": "r", "holding_cost_rate": "0.2"}
        ),
        "orders": pd.DataFrame(
            {
                "order_id": [f"O-{i}" for i in range(orders)],
                "customer_id": "C-1",
                "customer_tier": "gold",
                "order_time": "2024-03-01 08:00:00",
                "allow_split": "true",
            }
        ),
        "order_lines": pd.DataFrame(
            {
                "order_id": pd.Series(order_index).map("O-{}".format),
                "line_id": (np.arange(rows) % 3 + 1).astype(str),
                "sku_id": np.array(skus)[rng.integers(0, 300, rows)],
                "location_id": np.where(rng.random(rows) < 0.5, "DC-1", "DC-2"),
                "quantity": quantity,
                "requested_date": "2024-03-05",
            }
        ),
    }
    if european:
        tables["locations"]["holding_cost_rate"] = "0,2"
        tables["order_lines"]["quantity"] += ",0"
        (folder / "export.yaml").write_text(EUROPEAN)
    if xlsx:
        tables.pop("order_lines").to_excel(folder / "order_lines.xlsx", index=False)
    if updates:
        lines = tables.pop("order_lines")
        (folder / "order_lines").mkdir()
        lines.to_csv(folder / "order_lines" / "1.csv", index=False)
        changed = lines.sample(frac=0.2, random_state=seed).assign(shipped_quantity=lines["quantity"])
        changed.to_csv(folder / "order_lines" / "2.csv", index=False)
        (folder / "export.yaml").write_text("parts: {order_lines: updates}\n")
    if units:
        tables["order_lines"]["unit"] = np.where(rng.random(rows) < 0.5, "CS", "EA")
        tables["sku_units"] = pd.DataFrame({"sku_id": skus * 2, "unit": ["CS"] * 300 + ["EA"] * 300,
                                            "stock_units": [12] * 300 + [1] * 300})
        (folder / "export.yaml").write_text("units: {order_lines: unit}\n")
    if wide:
        lines = tables["order_lines"]
        for location in ("DC-1", "DC-2"):
            lines[location] = lines["quantity"].where(lines["location_id"] == location, "")
        tables["order_lines"] = lines.drop(columns=["location_id", "quantity"])
        (folder / "export.yaml").write_text(
            "unpivot: {order_lines: {headers: [DC-1, DC-2], names_to: location_id, values_to: quantity}}\n")
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **({"sep": ";", "encoding": "cp1252"} if european else {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--european", action="store_true", help="';'-separated, decimal commas, cp1252")
    form.add_argument("--xlsx", action="store_true", help="the order lines as an Excel workbook")
    form.add_argument("--updates", action="store_true", help="the order lines as two successive extracts")
    form.add_argument("--units", action="store_true", help="the order lines in cases and eaches, converted")
    form.add_argument("--wide", action="store_true", help="the order lines' quantities in one column per location")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "export"
        source.mkdir()
        write_export(source, args.rows, european=args.european, xlsx=args.xlsx, updates=args.updates,
                     units=args.units, wide=args.wide)
        files = [*source.glob("order_lines.*"), *source.glob("order_lines/*")]
        size_mb = sum(path.stat().st_size for path in files) / 1e6
        start = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(source), tmp, str(args.chunk_rows)],
            capture_output=True, text=True,
        )
        if child.returncode:
            sys.exit(child.stderr)
        elapsed = time.perf_counter() - start
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    # Peak resident memory (VmHWM) of the ingest process alone; the data was generated here.
    peak_rss = counts["peak_rss_mb"]
    written = "European CSV" if args.european else "xlsx" if args.xlsx else "CSV"
    written += ", two extracts" if args.updates else ", in cases and eaches" if args.units else ""
    written += ", a quantity column per location" if args.wide else ""
    print(f"order_lines: {counts['rows']:,} rows ({size_mb:.0f} MB {written}), chunk {args.chunk_rows:,}")
    print(f"accepted {counts['accepted']:,}, quarantined {counts['quarantined']:,}, replaced {counts['replaced']:,}")
    print(f"ingest process: {elapsed:.1f} s wall including interpreter start-up "
          f"({counts['rows'] / elapsed:,.0f} order lines/s), peak RSS {peak_rss:.0f} MB")


if __name__ == "__main__":
    main()
