"""Time of rebuilding the daily inventory snapshots of a simulated world from its last day, and
how far the rebuilt history is from the one the simulator recorded.

    .venv/bin/python benchmarks/bench_inventory_history.py             # default world (300 SKUs)
    .venv/bin/python benchmarks/bench_inventory_history.py --skus 3000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from contracts.inventory_history import QUANTITIES, rebuild_history
    from simulation import SimulationConfig, simulate

    tables = simulate(SimulationConfig(n_skus=args.skus)).tables
    truth = tables["inventory_snapshots"]
    last = truth[truth["snapshot_date"] == truth["snapshot_date"].max()]
    flows = (tables["order_lines"], tables["orders"], tables["purchase_orders"], tables["inventory_movements"])
    seconds = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        history = rebuild_history(last, *flows, start=truth["snapshot_date"].min())
        seconds.append(time.perf_counter() - started)
    both = history.snapshots.merge(truth, on=["snapshot_date", "sku_id", "location_id"], suffixes=("", "_true"))
    print(f"{len(both):,} snapshot rows from {len(tables['order_lines']):,} order lines: "
          f"best {min(seconds):.2f} s of {args.repeats}")
    for name in QUANTITIES:
        off = (both[name] - both[f"{name}_true"]).abs()
        print(f"{name:<12} rows off {int((off > 0).sum()):,}, max {int(off.max())} units")


if __name__ == "__main__":
    main()
