"""Quality of stock-out alerts on a simulated world's held-out period.

Runs the stock-out rule day by day over the world's last ``--days`` days (point in time, see
``pipelines.alert_replay``) and prints precision, recall, median warning and open alerts per
location-day against the backorders that followed (``alerts.quality``).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/alert_quality.py --seed 0
    .venv/bin/python benchmarks/alert_quality.py --seed 0 --period tuning   # the period before
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.quality import alert_quality  # noqa: E402
from pipelines.alert_replay import daily_backorders, held_out_days, replay_stockout_alerts  # noqa: E402
from settings import load_settings  # noqa: E402
from simulation import scenario_config, simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skus", type=int, default=300, help="SKUs of the world (the demo's default)")
    parser.add_argument("--world-days", type=int, default=730, help="days simulated (the demo's default)")
    parser.add_argument("--days", type=int, default=90, help="length of the evaluated period")
    parser.add_argument("--period", choices=("held_out", "tuning"), default="held_out",
                        help="held_out: the last --days days; tuning: the --days days before them")
    parser.add_argument("--config", type=Path, default=None, help="settings file (its alerts: section)")
    args = parser.parse_args()

    cfg = load_settings(args.config).alerts
    started = time.perf_counter()
    tables = simulate(scenario_config("baseline", seed=args.seed, n_skus=args.skus, n_days=args.world_days)).tables
    held_out = held_out_days(tables, args.days)
    period = held_out if args.period == "held_out" else held_out - pd.Timedelta(days=args.days)
    warmup = int(tables["sku_suppliers"]["quoted_lead_time_days"].max())
    replayed = pd.date_range(period[0] - pd.Timedelta(days=warmup), period[-1])
    daily = daily_backorders(tables)
    alerts = replay_stockout_alerts(tables, replayed, cfg)
    quality = alert_quality(alerts, daily, period[0], period[-1])
    seconds = time.perf_counter() - started
    print(f"seed {args.seed}, {args.skus} SKUs x {tables['locations'].shape[0]} locations, "
          f"{args.period} period {period[0]:%Y-%m-%d}..{period[-1]:%Y-%m-%d} ({seconds:.0f} s)")
    print("| metric | value |\n|---|---|")
    for name, value in quality.as_dict().items():
        print(f"| {name} | {value:.3f} |" if isinstance(value, float) else f"| {name} | {value} |")


if __name__ == "__main__":
    main()
