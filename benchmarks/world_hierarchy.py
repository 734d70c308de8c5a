"""Coherent forecasts on the simulated world: base vs reconciled error per level over windows and seeds.

Levels (``WORLD_HIERARCHY``): every SKU-location (the bottom), every SKU, every category and the
total. For each seed a world is simulated (``--skus`` x ``--locations``, ``--days`` days, the ERP
baseline policy) and its daily demand built as ``backorder train demand`` builds it
(``world_demand_backtest.simulated_demand``). Origins are 7 days apart, ending a 7-day window on
the last day. At each origin the recipe's LightGBM (``DEMAND``) is fitted on the
``DEMAND.history_days`` days up to it and forecasts every SKU-location 7 days ahead; every
aggregate series gets statsforecast's AutoETS fitted on the days up to it. BottomUp sums the
bottom forecasts; MinTrace (mint_shrink) and MinTraceWLS (wls_var), both non-negative, learn from
the base forecasts' errors on the windows that ended by the origin, so the first
``--error-windows`` origins only supply errors and ``--windows`` origins are scored.

Prints per level and model the mean and spread over all (seed, window) pairs of MAE and WAPE
per day and of WAPE of each series' 7-day total, and the difference to the base forecast on the
same window with the windows won.

    nice -n 10 .venv/bin/python benchmarks/world_hierarchy.py --save scores.parquet   # seeds 0 1 2
    .venv/bin/python benchmarks/world_hierarchy.py --load scores.parquet            # the tables again
    # one seed per process: --seeds 0 --save s0.parquet, ...; then --load s0.parquet s1.parquet ...
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

# Run as a script: benchmarks/ is on the path, and the world benchmarks build demand alike.
from world_demand_backtest import simulated_demand  # noqa: E402

from features.timeseries import ID, TIME  # noqa: E402
from training.forecasting.backtest import window_origins  # noqa: E402
from training.forecasting.hierarchy import (  # noqa: E402
    WORLD_HIERARCHY,
    hierarchy_backtest,
    level_summary,
    with_key_columns,
)
from training.forecasting.model import DemandForecaster  # noqa: E402
from training.recipes import DEMAND, demand_spec  # noqa: E402

LEVEL_NAMES = {
    WORLD_HIERARCHY.name(level): name
    for level, name in zip(WORLD_HIERARCHY.levels, ("total", "category", "SKU", "SKU-location"), strict=True)
}
METRICS = ("mae", "wape", "wape_window")
ORDER = {name: rank for rank, name in enumerate(reversed(LEVEL_NAMES.values()))}


def seed_scores(seed: int, args: argparse.Namespace) -> pd.DataFrame:
    """Errors per (window, level, model) on one world; ``origin`` is labelled with the seed."""
    h = DEMAND.horizon
    windows = args.error_windows + args.windows
    frame = simulated_demand(seed, args.skus, args.locations, args.days, DEMAND.history_days + h * windows)
    last = frame[TIME].max()
    spec = demand_spec(DEMAND)
    covariates = [ID, TIME, *spec.known_covariates]
    bottom = {}
    for origin in window_origins(last - pd.Timedelta(days=h * windows), last, h, h, "D"):
        past = frame[(frame[TIME] <= origin) & (frame[TIME] > origin - pd.Timedelta(days=DEMAND.history_days))]
        later = frame[(frame[TIME] > origin) & (frame[TIME] <= origin + pd.Timedelta(days=h))]
        bottom[origin] = DemandForecaster(spec).fit(past).predict(h, later[covariates])
        print(f"seed {seed}: LightGBM fitted at {origin:%Y-%m-%d}", flush=True)
    scores = hierarchy_backtest(
        with_key_columns(frame),
        WORLD_HIERARCHY,
        bottom,
        h,
        "D",
        DEMAND.season_length,
        min_error_windows=args.error_windows,
    )
    print(f"seed {seed}: {frame[ID].nunique()} series, {len(bottom)} windows fitted", flush=True)
    return scores.assign(origin=f"{seed}:" + scores["origin"].dt.strftime("%Y-%m-%d"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skus", type=int, default=100)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--windows", type=int, default=4, help="scored 7-day windows per world")
    parser.add_argument("--error-windows", type=int, default=3, help="earlier windows MinTrace needs")
    parser.add_argument("--save", help="write the per-window errors to this parquet file")
    parser.add_argument("--load", nargs="+", help="print the tables of per-window errors saved by --save")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.load:
        scores = pd.concat([pd.read_parquet(path) for path in args.load], ignore_index=True)
    else:
        scores = pd.concat([seed_scores(seed, args) for seed in args.seeds], ignore_index=True)
    if args.save:
        scores.to_parquet(args.save)
    scores = scores.assign(level=scores["level"].map(LEVEL_NAMES))
    pd.set_option("display.width", 200)
    print(
        f"\n{scores['origin'].nunique()} (seed, window) pairs, {DEMAND.horizon} days ahead; bottom = LightGBM, "
        "upper levels = AutoETS; diff = metric minus the base forecast's on the same window"
    )
    for metric in METRICS:
        print(f"\n{metric}:")
        summary = level_summary(scores, metric)
        summary = summary.sort_values("level", key=lambda s: s.map(ORDER), kind="stable")
        columns = ["level", "model", "rows", f"{metric}_mean", f"{metric}_std", "diff_mean", "diff_std", "wins"]
        print(summary[columns].round(4).to_string(index=False))
    print("\nper window, WAPE per day:")
    print(scores.pivot(index="origin", columns=["level", "model"], values="wape").round(3).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
