"""Quality of stock-out alerts on a simulated world's held-out period.

Replays the stock-out rule day by day (point in time, see ``pipelines.alert_replay``) and prints
precision, recall, median warning and open alerts per location-day against the backorders that
followed (``alerts.quality``). The held-out period is the world's last ``--days`` days; the
tuning periods (``--windows``) the ``--days`` before them, one before the other, each judged on its
own and summed up as mean ± standard deviation over the periods of all ``--seeds``.
``--demand-factors``/``--quantiles``/``--margins``/``--recent-floors``/``--asn-notice-days`` print
one row per combination of the stock-out settings (the settings file's values otherwise).

The demand is the demand recipe's as-of forecasts (``pipelines.alert_replay.asof_demand``, the
costly part: one replay of the recipe per world), kept in ``--cache-dir`` per world so that further
runs reuse them; ``--demand recent`` replays with the recent mean alone (no forecasts).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/alert_quality.py --seeds 0 --cache-dir data/alert_quality
    .venv/bin/python benchmarks/alert_quality.py --seeds 0,1 --period tuning --windows 3 --quantiles 0.5,0.7
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.quality import AlertQuality, alert_quality  # noqa: E402
from pipelines.alert_replay import (  # noqa: E402
    asof_demand,
    daily_backorders,
    held_out_days,
    replay_stockout_alerts,
)
from settings import load_settings  # noqa: E402
from simulation import scenario_config, simulate  # noqa: E402


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def cached_asof_demand(tables: dict[str, pd.DataFrame], cache: Path | None, world: str) -> pd.DataFrame:
    """``asof_demand`` of the world, read from ``cache/asof_demand_<world>.parquet`` when there."""
    path = cache / f"asof_demand_{world}.parquet" if cache is not None else None
    if path is not None and path.exists():
        return pd.read_parquet(path)
    forecasts = asof_demand(tables)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        forecasts.to_parquet(path, index=False)
    return forecasts


def tuning_windows(held_out: pd.DatetimeIndex, count: int) -> list[pd.DatetimeIndex]:
    """The ``count`` periods as long as ``held_out`` just before it, latest first, none overlapping it."""
    length = pd.Timedelta(days=len(held_out))
    return [held_out - length * (i + 1) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=lambda t: [int(v) for v in t.split(",")], default=[0],
                        help="worlds (seeds) to replay, one after the other")
    parser.add_argument("--skus", type=int, default=300, help="SKUs of the world (the demo's default)")
    parser.add_argument("--world-days", type=int, default=730, help="days simulated (the demo's default)")
    parser.add_argument("--days", type=int, default=90, help="length of the evaluated period")
    parser.add_argument("--period", choices=("held_out", "tuning"), default="held_out")
    parser.add_argument("--windows", type=int, default=1, help="tuning periods, one before the other")
    parser.add_argument("--config", type=Path, default=None, help="settings file (its alerts: section)")
    parser.add_argument("--demand-factors", type=_floats, default=None, help="stockout_demand_factor values")
    parser.add_argument("--quantiles", type=_floats, default=None, help="stockout_demand_quantile values")
    parser.add_argument("--margins", type=_floats, default=None, help="stockout_margin_units values")
    parser.add_argument("--recent-floors", type=lambda t: [bool(int(v)) for v in t.split(",")], default=None,
                        help="stockout_recent_floor values (0 or 1)")
    parser.add_argument("--asn-notice-days", type=lambda t: [int(v) for v in t.split(",")], default=None,
                        help="stockout_asn_notice_days values")
    parser.add_argument("--demand", choices=("asof", "recent"), default="asof",
                        help="as-of demand forecasts (the recent mean past their horizon), or the recent mean alone")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the as-of forecasts of each world are kept")
    args = parser.parse_args()
    if args.period == "held_out" and args.windows != 1:
        parser.error("--windows counts tuning periods: the held-out period is one")

    base = load_settings(args.config).alerts
    started = time.perf_counter()
    settings = list(itertools.product(args.demand_factors or [base.stockout_demand_factor],
                                      args.quantiles or [base.stockout_demand_quantile],
                                      args.recent_floors or [base.stockout_recent_floor],
                                      args.asn_notice_days or [base.stockout_asn_notice_days]))
    margins = sorted(args.margins or [base.stockout_margin_units])
    fields = list(AlertQuality.__dataclass_fields__)
    results: dict[tuple, list[AlertQuality]] = {}
    print("| seed | period | demand factor | quantile | recent floor | ASN notice days | margin | "
          + " | ".join(fields) + " |\n|" + "---|" * (len(fields) + 7))
    for seed in args.seeds:
        tables = simulate(scenario_config("baseline", seed=seed, n_skus=args.skus, n_days=args.world_days)).tables
        held_out = held_out_days(tables, args.days)
        periods = [held_out] if args.period == "held_out" else tuning_windows(held_out, args.windows)
        warmup = int(tables["sku_suppliers"]["quoted_lead_time_days"].max())  # alerts that can warn of day one
        replayed = pd.date_range(periods[-1][0] - pd.Timedelta(days=warmup), periods[0][-1])
        daily = daily_backorders(tables)
        world = f"seed{seed}_{args.skus}skus_{args.world_days}days"
        forecasts = cached_asof_demand(tables, args.cache_dir, world) if args.demand == "asof" else None
        for factor, quantile, floor, notice in settings:
            cfg = base.model_copy(update={"stockout_demand_factor": factor, "stockout_demand_quantile": quantile,
                                          "stockout_margin_units": margins[0], "stockout_recent_floor": floor,
                                          "stockout_asn_notice_days": notice})
            # A larger margin keeps the alerts of the smallest one that run more units short: one replay.
            alerts = replay_stockout_alerts(tables, replayed, cfg, forecasts)
            for margin in margins:
                kept = alerts[alerts["units_short"] > margin]
                for period in periods:
                    quality = alert_quality(kept, daily, period[0], period[-1])
                    results.setdefault((factor, quantile, floor, notice, margin), []).append(quality)
                    cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in quality.as_dict().values()]
                    print(f"| {seed} | {period[0]:%Y-%m-%d}..{period[-1]:%Y-%m-%d} | {factor:g} | {quantile:g} | "
                          f"{floor:d} | {notice} | {margin:g} | " + " | ".join(cells) + " |", flush=True)
    if sum(len(v) for v in results.values()) > len(results):
        print(f"\nmean ± sd over the {len(next(iter(results.values())))} periods ({args.demand} demand)\n")
        print("| demand factor | quantile | recent floor | ASN notice days | margin | precision | recall | "
              "median warning (days) | open alerts per DC-day (mean / max) |\n|" + "---|" * 9)
        for (factor, quantile, floor, notice, margin), runs in results.items():
            frame = pd.DataFrame([q.as_dict() for q in runs])
            spread = [f"{frame[c].mean():.3f} ± {frame[c].std():.3f}"
                      for c in ("precision", "recall", "median_warning_days")]
            load = (f"{frame['open_alerts_per_location_day'].mean():.1f} / "
                    f"{frame['max_open_alerts_per_location_day'].max()}")
            print(f"| {factor:g} | {quantile:g} | {floor:d} | {notice} | {margin:g} | " + " | ".join(spread)
                  + f" | {load} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
