"""The world's risk classifiers with a leaf-size rule in rows against one in hessian, over seeds.

LightGBM's data-parallel learner checks ``min_data_in_leaf`` against leaf row counts it estimates
from hessians, so a rule in rows grows other trees on a Dask cluster than in one process; a rule
in hessian (``min_sum_hessian_in_leaf``, with ``min_data_in_leaf`` 1) is checked on exact sums in
both (docs/scaling.md). This prints, per simulated world (``--seeds``) and for both world
classifiers (the recipe as trained: sampling on, two boosters), the test PR-AUC of each leaf rule,
then their mean and standard deviation over the worlds and the per-world difference from the rule
in rows. Folds are the jobs' default time quantiles; no as-of features.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/risk_leaf_rule.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.build import sku_location_feature_names  # noqa: E402
from features.distributed import (  # noqa: E402
    feature_frames_dask,
    order_line_training_rows_dask,
    read_tables_dask,
    sku_location_training_rows_dask,
)
from features.feast_repo.definitions import TTL  # noqa: E402
from features.order_line import request_feature_names  # noqa: E402
from training.recipes import BACKORDER_RISK, SKU_LOCATION_RISK, ClassifierJob  # noqa: E402
from training.world_models import train_classifier  # noqa: E402

RULES: dict[str, dict[str, float]] = {
    "rows >= 100": {"min_data_in_leaf": 100, "min_sum_hessian_in_leaf": 1e-3},
    "hessian >= 1": {"min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 1.0},
    "hessian >= 5": {"min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 5.0},
}


def with_rule(job: ClassifierJob, rule: dict[str, float]) -> ClassifierJob:
    return replace(job, recipe=replace(job.recipe, params={**job.recipe.params, **rule}))


def world_rows(seed: int, skus: int, days: int, folder: Path) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Both classifiers' training rows of one simulated world, from the Dask feature path."""
    from distributed import Client, LocalCluster

    from pipelines.commands.simulate import write_simulation
    from simulation import scenario_config
    from training.dask_expression_cache import read_expression_cache_once

    canonical = folder / f"seed{seed}"
    write_simulation(scenario_config("baseline", seed=seed, n_skus=skus, n_days=days), canonical)
    read_expression_cache_once()  # the LocalCluster's scheduler runs in this process
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0")
    with cluster, Client(cluster):
        sku_location, supplier, lane, lines = feature_frames_dask(read_tables_dask(canonical), 2)
        order_lines = order_line_training_rows_dask(sku_location, supplier, lane, lines, 2, pd.Timedelta(TTL))
        series_days = sku_location_training_rows_dask(sku_location, supplier, lane)
        return {
            "sku_location_risk": (series_days.compute(), sku_location_feature_names()),
            "backorder_risk": (order_lines.compute(), [*sku_location_feature_names(), *request_feature_names()]),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skus", type=int, default=80)
    parser.add_argument("--days", type=int, default=240)
    args = parser.parse_args()
    jobs = {"sku_location_risk": SKU_LOCATION_RISK, "backorder_risk": BACKORDER_RISK}
    scores: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            rows = world_rows(seed, args.skus, args.days, Path(folder))
            for name, job in jobs.items():
                frame, features = rows[name]
                for rule_name, rule in RULES.items():
                    trained = train_classifier(with_rule(job, rule), frame, features, num_threads=1)
                    pr_auc = trained.record.metrics["pr_auc"]
                    scores.setdefault((name, rule_name), []).append(pr_auc)
                    print(f"seed {seed} {name} {rule_name}: test PR-AUC {pr_auc:.4f}", flush=True)
    print(f"\n{args.skus} SKUs x {args.days} days, seeds {args.seeds}: test PR-AUC mean ± sd; diff vs rows >= 100")
    for name in jobs:
        base = np.array(scores[(name, "rows >= 100")])
        for rule_name in RULES:
            got = np.array(scores[(name, rule_name)])
            diff = got - base
            print(
                f"{name:<18} {rule_name:<13} {got.mean():.4f} ± {got.std(ddof=1):.4f}   "
                f"diff {diff.mean():+.4f} ± {diff.std(ddof=1):.4f} (higher in {int((diff > 0).sum())} of {len(diff)})"
            )


if __name__ == "__main__":
    main()
