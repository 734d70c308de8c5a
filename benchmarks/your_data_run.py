"""`backorder run --exports` on a simulated world written as an ERP export, with what it gave.

Simulates a world, writes it as a messy export (simulation/erp_export.py: the ERP's headers,
day-first dates, Y/N flags, current stock only, no ASN events, header-only promotions, about 1%
bad rows), runs `backorder run --exports` into a fresh data folder and prints: bad rows added
and quarantined per table, how the rebuilt daily inventory compares with the world's own
snapshots, which models became champions (or why not), and the wall time.

    .venv/bin/python benchmarks/your_data_run.py --skus 40 --days 365
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from pipelines.cli import app  # noqa: E402
from pipelines.commands.simulate import validated_tables  # noqa: E402
from simulation import scenario_config, simulate  # noqa: E402
from simulation.erp_export import erp_export  # noqa: E402

MODELS = ("backorder_risk", "sku_location_risk", "demand", "lead_time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=40)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    world = validated_tables(simulate(scenario_config("baseline", seed=args.seed, n_skus=args.skus, n_days=args.days)))
    export = erp_export(world)
    with tempfile.TemporaryDirectory() as tmp:
        folder, data = Path(tmp) / "exports", Path(tmp) / "data"
        folder.mkdir()
        for name, frame in export.files.items():
            frame.to_csv(folder / f"{name}.csv", index=False)
        (folder / "export.yaml").write_text(json.dumps(export.description))
        started = time.perf_counter()
        result = CliRunner().invoke(app, ["run", "--exports", str(folder), "--data-dir", str(data)])
        seconds = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(result.output)

        report = json.loads((data / "canonical" / "_ingest_report.json").read_text())
        print(f"world: {args.skus} SKUs x {args.days} days, seed {args.seed}; backorder run: {seconds:.0f} s")
        print(f"{'table':<20}{'rows read':>10}{'bad added':>10}{'quarantined':>12}")
        for table in report["tables"]:
            added = export.bad_rows.get(table["table"], 0)
            print(f"{table['table']:<20}{table['rows_read']:>10}{added:>10}{table['quarantined']:>12}")

        truth = world["inventory_snapshots"]
        rebuilt = pd.read_parquet(data / "canonical" / "inventory_snapshots.parquet")
        both = truth.merge(rebuilt, on=["snapshot_date", "sku_id", "location_id"], suffixes=("", "_rebuilt"))
        off = (both["on_hand_rebuilt"] - both["on_hand"]).abs()
        print(
            f"inventory rebuilt from current stock: {len(rebuilt):,} rows ({len(truth):,} in the world); "
            f"on hand exact on {1 - off.gt(0).mean():.2%} of rows, largest gap {off.max():.0f} units; "
            f"in transit exact on {both['in_transit'].eq(both['in_transit_rebuilt']).mean():.2%}"
        )
        client = MlflowClient(tracking_uri=f"sqlite:///{data / 'mlflow' / 'mlflow.db'}")
        for name in MODELS:
            aliases = client.get_registered_model(name).aliases
            verdict = "champion" if "champion" in aliases else "challenger only (lost to a baseline)"
            print(f"{name:<20}{verdict}")


if __name__ == "__main__":
    main()
