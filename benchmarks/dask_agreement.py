"""How close a fit on a Dask cluster comes to the single-process fit on the same rows.

On one simulated world (seed 0), the order-line risk classifier (the recipe's trees without
sampling, ``training.recipes.unsampled``) and the demand model are fitted in this process and
``--runs`` times on a LocalCluster of ``--workers`` worker processes. Printed per run: the test
PR-AUC, and the demand model's pinball loss on the week after its training rows, with the
difference from the single-process fit. The classifier's folds are cut at ``--cutoffs``.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dask_agreement.py --skus 20 --days 240 --runs 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.build import sku_location_feature_names  # noqa: E402
from features.distributed import feature_frames_dask, order_line_training_rows_dask, read_tables_dask  # noqa: E402
from features.feast_repo.definitions import TTL  # noqa: E402
from features.order_line import request_feature_names  # noqa: E402
from features.timeseries import ID, TARGET, TIME  # noqa: E402
from training.dask_datasets import daily_demand_dask  # noqa: E402
from training.forecast_metrics import mean_pinball_loss  # noqa: E402
from training.forecasting.model import DemandForecaster, quantile_column  # noqa: E402
from training.recipes import BACKORDER_RISK, DEMAND, demand_spec, unsampled  # noqa: E402
from training.world_datasets import daily_demand  # noqa: E402
from training.world_models import train_classifier  # noqa: E402

DEMAND_SPEC = replace(demand_spec(DEMAND), num_boost_round=60)
HISTORY_DAYS = 90


def _pinball(model: DemandForecaster, truth: pd.DataFrame) -> float:
    forecast = model.predict(DEMAND_SPEC.horizon, truth).merge(truth[[ID, TIME, TARGET]], on=[ID, TIME])
    columns = [quantile_column(q) for q in DEMAND_SPEC.quantiles]
    return mean_pinball_loss(forecast[TARGET], forecast[columns].to_numpy(), quantiles=DEMAND_SPEC.quantiles)


def _line(name: str, local: float, runs: list[float], relative: bool) -> str:
    gaps = [f"{(r / local - 1) * 100:+.2f} %" if relative else f"{r - local:+.4f}" for r in runs]
    return f"{name}: one process {local:.4f}; on Dask {', '.join(f'{r:.4f}' for r in runs)} ({', '.join(gaps)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=2, help="SKU partitions of the Dask frames")
    parser.add_argument("--cutoffs", default="2024-06-01,2024-06-16,2024-07-01", help="'' for the quantile cutoffs")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from pipelines.commands.simulate import write_simulation
    from pipelines.tables import read_canonical_tables
    from simulation import scenario_config
    from training.dask_expression_cache import read_expression_cache_once

    job = unsampled(BACKORDER_RISK, cutoffs=tuple(args.cutoffs.split(",")) if args.cutoffs else None)
    features = [*sku_location_feature_names(), *request_feature_names()]
    with tempfile.TemporaryDirectory() as folder:
        canonical = Path(folder) / "canonical"
        write_simulation(scenario_config("baseline", seed=0, n_skus=args.skus, n_days=args.days), canonical)
        names = ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
        tables = read_canonical_tables(canonical, names)
        demand = daily_demand(
            tables["order_lines"], tables["orders"], tables["promotions"], tables["inventory_snapshots"],
            tables["skus"], HISTORY_DAYS,
        )
        end = demand[TIME].max() - pd.Timedelta(days=DEMAND_SPEC.horizon)
        truth = demand[demand[TIME] > end]
        read_expression_cache_once()  # the LocalCluster's scheduler runs in this process
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0")
        with cluster, Client(cluster):
            sku_location, supplier, lane, lines = feature_frames_dask(read_tables_dask(canonical), args.partitions)
            rows = order_line_training_rows_dask(
                sku_location, supplier, lane, lines, args.partitions, pd.Timedelta(TTL)
            ).persist()
            local_pr = train_classifier(job, rows.compute(), features, num_threads=1).record.metrics["pr_auc"]
            local_pinball = _pinball(DemandForecaster(DEMAND_SPEC).fit(demand[demand[TIME] <= end]), truth)
            dask_pr, dask_pinball = [], []
            for _ in range(args.runs):
                dask_pr.append(train_classifier(job, rows, features, num_threads=1).record.metrics["pr_auc"])
                lazy = daily_demand_dask(canonical, tables["skus"], args.partitions, HISTORY_DAYS)
                dask_pinball.append(_pinball(DemandForecaster(DEMAND_SPEC).fit(lazy[lazy[TIME] <= end]), truth))
    print(f"{args.skus} SKUs x {args.days} days, {args.workers} workers, {args.partitions} partitions")
    print(_line("order-line classifier, test PR-AUC", local_pr, dask_pr, relative=False))
    print(_line("demand, pinball on the held-out week", local_pinball, dask_pinball, relative=True))


if __name__ == "__main__":
    main()
