"""Feature build and materialization: one full run against one new day on top of the last run.

Usage: .venv/bin/python benchmarks/bench_incremental_features.py CANONICAL_DIR [--work DIR]

CANONICAL_DIR holds canonical tables (e.g. ``backorder simulate``'s ``data/canonical``). The tables
as known the day before their last day (``contracts.known_at``) are built and loaded in full, then
the whole tables are built and loaded incrementally; a second folder builds the whole tables in
full. Every step runs as the command a user runs (``backorder --data-dir ... features build
--no-asof`` / ``features materialize``), timed from outside, and the two folders' tables and online
values are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.known_at import tables_known_at  # noqa: E402
from contracts.tables import CANONICAL_TABLES  # noqa: E402
from features.incremental import STORED_ORDER, data_end  # noqa: E402

BACKORDER = str(Path(sys.executable).with_name("backorder"))


def run(data_dir: Path, *args: str) -> float:
    """Seconds one ``backorder`` command takes (its output goes to the bench's stderr)."""
    started = time.perf_counter()
    subprocess.run([BACKORDER, "--data-dir", str(data_dir), *args], check=True, stdout=sys.stderr)
    return time.perf_counter() - started


def write(tables: dict[str, pd.DataFrame], data_dir: Path) -> None:
    out = data_dir / "canonical"
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)


def stored(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(data_dir / "features" / f"{name}.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("canonical_dir", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    names = [n for n in CANONICAL_TABLES if (args.canonical_dir / f"{n}.parquet").exists()]
    tables = {n: pd.read_parquet(args.canonical_dir / f"{n}.parquet") for n in names}
    end = data_end(tables)
    nightly, full = work / "nightly", work / "full"
    shutil.rmtree(work / "nightly", ignore_errors=True)
    shutil.rmtree(work / "full", ignore_errors=True)
    write(tables_known_at(tables, end - pd.Timedelta(days=1)), nightly)
    write(tables, full)
    figures = {"load_average": os.getloadavg()}
    figures["first_build_full_s"] = run(nightly, "features", "build", "--no-asof")
    run(nightly, "features", "apply")
    figures["first_materialize_s"] = run(nightly, "features", "materialize")
    write(tables, nightly)
    figures["new_day_build_s"] = run(nightly, "features", "build", "--no-asof")
    figures["new_day_materialize_s"] = run(nightly, "features", "materialize")
    figures["plan"] = json.loads((nightly / "features" / "build.json").read_text())["plan"]
    figures["full_build_s"] = run(full, "features", "build", "--no-asof")
    run(full, "features", "apply")
    figures["full_materialize_s"] = run(full, "features", "materialize", "--full")
    figures["tables_equal"] = all(stored(nightly, name).equals(stored(full, name)) for name in STORED_ORDER)
    figures["rows"] = json.loads((full / "features" / "build.json").read_text())["rows"]
    print(json.dumps({k: (round(v, 1) if isinstance(v, float) else v) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
