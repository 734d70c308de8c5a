"""Time and peak memory of the simulator on the default world and on a 10x world.

Each world runs in a fresh Python process so peak RSS is that world's alone. Phases: exogenous
draws (world, demand, supply), the daily loop under the baseline policy, and building the
canonical tables; ``--validate`` adds contract validation of every table (what the CLI does).

    .venv/bin/python benchmarks/bench_simulator.py            # default (300 SKUs) and 3000 SKUs
    .venv/bin/python benchmarks/bench_simulator.py --validate
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one(skus: int, validate: bool) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from contracts.tables import TABLE_ORDER
    from contracts.validation import validate_table
    from simulation import BaselinePolicy, SimulationConfig
    from simulation.demand import generate_demand
    from simulation.engine import run
    from simulation.outcomes import canonical_tables, run_metrics
    from simulation.supply import generate_supply
    from simulation.world import generate_world

    config = SimulationConfig(n_skus=skus)
    figures: dict[str, float] = {
        "skus": skus,
        "sku_locations": config.n_sku_locations,
        "days": config.n_days,
    }
    start = time.perf_counter()
    world = generate_world(config)
    demand = generate_demand(world)
    draws = generate_supply(world)
    figures["exogenous_s"] = time.perf_counter() - start
    mark = time.perf_counter()
    log = run(world, demand, draws, BaselinePolicy.from_config(config))
    figures["daily_loop_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    tables = canonical_tables(world, demand, log)
    metrics = run_metrics(world, demand, log)
    figures["tables_s"] = time.perf_counter() - mark
    figures["simulate_total_s"] = time.perf_counter() - start
    if validate:
        mark = time.perf_counter()
        accepted: dict = {}
        for name in TABLE_ORDER:
            accepted[name] = validate_table(name, tables[name], parents=accepted).accepted
        figures["validate_s"] = time.perf_counter() - mark
    figures["order_lines"] = len(tables["order_lines"])
    figures["snapshot_rows"] = len(tables["inventory_snapshots"])
    figures["fill_rate"] = round(metrics["fill_rate"], 4)
    figures["backorder_rate"] = round(metrics["backorder_rate"], 4)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, nargs="*", default=[300, 3000])
    parser.add_argument("--validate", action="store_true", help="also validate every table")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(_one(args.one, args.validate)))
        return
    header = (
        f"{'skus':>6}{'sku-locs':>9}{'lines':>10}{'exog s':>8}{'loop s':>8}{'tables s':>9}"
        f"{'total s':>8}{'valid s':>8}{'peak MB':>9}{'fill':>7}{'bo lines':>9}"
    )
    print(header)
    for skus in args.skus:
        command = [sys.executable, __file__, "--one", str(skus)] + (
            ["--validate"] if args.validate else []
        )
        f = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        valid = f"{f['validate_s']:8.1f}" if "validate_s" in f else f"{'-':>8}"
        print(
            f"{f['skus']:>6}{f['sku_locations']:>9}{f['order_lines']:>10}{f['exogenous_s']:8.1f}"
            f"{f['daily_loop_s']:8.1f}{f['tables_s']:9.1f}{f['simulate_total_s']:8.1f}{valid}"
            f"{f['peak_rss_mb']:9.0f}{f['fill_rate']:7.3f}{f['backorder_rate']:9.3f}"
        )


if __name__ == "__main__":
    main()
