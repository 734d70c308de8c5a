"""Calibration error: a world calibrated from a simulated world's tables against that world.

For each seed: simulate a world under the ERP baseline, calibrate a world from its canonical tables,
run the calibrated world as long under its own draws (seed + 1000), and print both fill rates and
both mean PO delays (received - promised date, days).

    .venv/bin/python benchmarks/bench_calibration.py                 # default world, seeds 0-2
    .venv/bin/python benchmarks/bench_calibration.py --small --seeds 0 1 2 3 4 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from simulation import Knobs, SimulationConfig, simulate  # noqa: E402
from simulation.calibration import calibrate  # noqa: E402


def _mean_delay(purchase_orders: pd.DataFrame) -> float:
    received = purchase_orders[purchase_orders["received_date"].notna()]
    return float((pd.to_datetime(received["received_date"]) - pd.to_datetime(received["promised_date"])).dt.days.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--small", action="store_true",
                        help="the test's world: 80 SKUs x 2 DCs, 10 suppliers, 365 days, no launches or phase-outs")
    args = parser.parse_args()
    for seed in args.seeds:
        started = time.perf_counter()
        config = (SimulationConfig(seed=seed, n_skus=80, n_locations=2, n_suppliers=10, n_days=365, n_customers=200,
                                   launch_share=0.0, phase_out_share=0.0)
                  if args.small else SimulationConfig(seed=seed))
        source = simulate(config)
        world = calibrate(source.tables, seed=seed + 1000).world_for(Knobs(), config.n_days)
        replayed = simulate(world.config, world=world)
        fill, fill_2 = source.metrics["fill_rate"], replayed.metrics["fill_rate"]
        delay, delay_2 = _mean_delay(source.tables["purchase_orders"]), _mean_delay(replayed.tables["purchase_orders"])
        print(f"seed {seed}: fill rate {fill:.4f} -> {fill_2:.4f} ({fill_2 - fill:+.4f}); "
              f"mean delay {delay:.2f} -> {delay_2:.2f} days ({delay_2 - delay:+.2f}); "
              f"{time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
