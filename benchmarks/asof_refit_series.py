"""The as-of demand replay with each refit trained on a sample of the series, against all of them.

For each seed a world is simulated (``--skus`` x 4 locations, ``--days`` days, the ERP baseline
policy) and its as-of demand forecasts (``training.world_asof.asof_demand_forecasts``, the
``backorder features asof`` step) are made once per ``--series`` cap (``DemandJob.max_series``;
``all`` is no cap). Every forecast day is scored against the demand that followed; a window is
one refit period of one seed (the origins that read the same refit). Prints per cap the MAE and
P50 pinball loss over windows (mean and spread), the difference to the uncapped replay on the
same windows, and the CPU seconds of the replay.

    nice -n 10 .venv/bin/python benchmarks/asof_refit_series.py --seeds 0 1 2 --series all 600 300
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from contracts.keys import series_id  # noqa: E402
from features.timeseries import ID, TIME  # noqa: E402
from simulation import SimulationConfig  # noqa: E402
from simulation.run import simulate  # noqa: E402
from training.recipes import DEMAND, AsOfJob  # noqa: E402
from training.world_asof import asof_demand_forecasts  # noqa: E402
from training.world_datasets import daily_demand  # noqa: E402


def window_errors(tables: dict[str, pd.DataFrame], rows: pd.DataFrame) -> pd.DataFrame:
    """MAE and P50 pinball loss of the forecasts ``rows`` per refit period, against the demand."""
    actual = daily_demand(
        tables["order_lines"], tables["orders"], tables["promotions"],
        tables["inventory_snapshots"], tables["skus"],
    )
    keys = tables["inventory_snapshots"][["sku_id", "location_id"]].drop_duplicates()
    keys = keys.assign(**{ID: series_id(keys)})
    scored = rows.merge(keys, on=["sku_id", "location_id"]).merge(actual[[ID, TIME, "y"]], on=[ID, TIME])
    error = scored["y"] - scored["forecast"]
    scored = scored.assign(abs_error=error.abs(), pinball=0.5 * error.abs())
    return scored.groupby("refit").agg(mae=("abs_error", "mean"), pinball=("pinball", "mean"), days=("y", "size"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--series", nargs="+", default=["all", "600", "300"], help="caps; 'all' is no cap")
    args = parser.parse_args()
    caps = [None if cap == "all" else int(cap) for cap in args.series]
    results = []
    for seed in args.seeds:
        tables = simulate(SimulationConfig(seed=seed, n_skus=args.skus, n_days=args.days)).tables
        for cap in caps:
            started = time.process_time()
            output = asof_demand_forecasts(tables, AsOfJob(demand=replace(DEMAND, max_series=cap)))
            cpu = time.process_time() - started
            errors = window_errors(tables, output.rows).reset_index()
            results.append(errors.assign(seed=seed, cap=cap or 0, cpu=cpu))
            print(f"seed {seed} cap {cap or 'all'}: {cpu:.0f} CPU s, MAE {errors['mae'].mean():.4f}", flush=True)
    table = pd.concat(results, ignore_index=True)
    full = table[table["cap"] == 0].set_index(["seed", "refit"])["mae"]
    windows = pd.MultiIndex.from_frame(table[["seed", "refit"]])
    table["vs_all"] = table["mae"].to_numpy() - full.reindex(windows).to_numpy()
    summary = table.groupby("cap").agg(
        windows=("mae", "size"),
        mae=("mae", "mean"),
        mae_sd=("mae", "std"),
        pinball=("pinball", "mean"),
        vs_all=("vs_all", "mean"),
        vs_all_sd=("vs_all", "std"),
    )
    cpu = table.drop_duplicates(["seed", "cap"]).groupby("cap")["cpu"].mean()
    summary["cpu_s_per_world"] = cpu
    summary.index = ["all" if cap == 0 else str(cap) for cap in summary.index]
    print(f"{args.skus} SKUs x 4 locations x {args.days} days, seeds {args.seeds}; load {os.getloadavg()[0]:.1f}")
    print(summary.round(4).to_string())


if __name__ == "__main__":
    main()
