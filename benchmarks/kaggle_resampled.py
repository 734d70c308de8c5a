"""Resampled validation of Kaggle backorder recipes: mean and spread over many held-out splits.

Usage: .venv/bin/python benchmarks/kaggle_resampled.py [--quick] [--seeds N] [--candidates current simple default]
       [--splits NAME ...] [--rows-out FILE]; then --summarize FILE ... to print the tables of
       several such runs (splits run in separate processes) together.

Protocol (``training.risk.resampling``): every candidate is fitted and scored on the same splits.

* ``blocks_0..k``: the stratified 10% sample cut into 20 contiguous row blocks; each resample
  holds out 4 blocks (20%) and trains on the other 16; with 5 resamples every block is held out
  exactly once (a 5-fold block cross-validation). ``--quick`` runs 3.
* ``A_shift``: train on the whole 10% sample, score the 20% sample (drawn from the first
  1,048,575 rows of the training file: a shifted population) minus every row whose feature
  vector occurs in the 10% sample. ``B_shift``: the other way round.

A recipe candidate is trained by the Kaggle training path (``training.risk.kaggle``: internal
ordered folds for early stopping and calibration, then the refit on all its training rows);
``default`` is ``LGBMClassifier()`` with its default parameters on the raw Kaggle columns.
Printed: ROC-AUC, PR-AUC and expected calibration error (10 quantile bins) per split, their
mean and standard deviation per candidate over all splits and over the shifted ones, and the
reliability curve of each candidate on its pooled block predictions and on ``A_shift``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.kaggle import LABEL, read_kaggle  # noqa: E402
from features.kaggle_features import RAW_FEATURES  # noqa: E402
from training.recipes import KAGGLE_RISK, RISK_TREES, ClassifierRecipe  # noqa: E402
from training.risk.kaggle import kaggle_probabilities, train_kaggle_risk  # noqa: E402
from training.risk.metrics import evaluate, expected_calibration_error, pr_auc, reliability_curve, roc_auc  # noqa: E402
from training.risk.resampling import VECTOR, block_resamples, disjoint_test  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "backorder_kaggle_v2"
SAMPLE_10 = "train_sample_10pct_stratified.parquet"
SAMPLE_20 = "train_sample_first1048575rows_20pct_stratified.parquet"
METRICS = {"roc_auc": roc_auc, "pr_auc": pr_auc, "ece": expected_calibration_error}

# Fewer knobs: one view of the raw columns and the inventory-logic ratios that need no tuned
# threshold, small trees with strong regularisation, no class weight.
ROBUST_FEATURES = (
    *RAW_FEATURES,
    "lead_time_missing",
    "perf_missing",
    "inventory_position",
    "projected_stock_at_lead_time",
    "projected_cover_ratio",
    "position_cover_months",
    "forecast_to_sales_3m",
    "stock_out_now",
    "has_past_due",
    "below_min_bank",
)
RECIPES: dict[str, ClassifierRecipe] = {
    "current": KAGGLE_RISK,
    "simple": replace(
        KAGGLE_RISK,
        params={**RISK_TREES, "num_leaves": 15, "min_data_in_leaf": 200, "lambda_l2": 30.0},
        positive_weight=1.0,
        features=ROBUST_FEATURES,
        feature_views=None,
    ),
    "current_regularised": replace(
        KAGGLE_RISK, params={**KAGGLE_RISK.params, "min_data_in_leaf": 200, "lambda_l2": 30.0}
    ),
    "current_positives_x3": replace(KAGGLE_RISK, positive_weight=3.0),
    "current_one_view": replace(KAGGLE_RISK, feature_views=None),
    "current_extra_trees": replace(KAGGLE_RISK, params={**KAGGLE_RISK.params, "extra_trees": True}),
}
Scorer = Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]


def recipe_scorer(recipe: ClassifierRecipe, num_threads: int) -> Scorer:
    def score(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        run = train_kaggle_risk(train.reset_index(drop=True), recipe, num_threads)
        return kaggle_probabilities(run.model, test)

    return score


def _seeded(recipe: ClassifierRecipe, seeds: int | None) -> ClassifierRecipe:
    return recipe if seeds is None else replace(recipe, n_seeds=seeds)


def default_lightgbm(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=1)
    model.fit(train[list(VECTOR)].astype("float64"), train[LABEL].astype(int))
    return model.predict_proba(test[list(VECTOR)].astype("float64"))[:, 1]


def splits(data: Path, n_resamples: int) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(name, train table, test table) for every resample of the protocol."""
    ten, twenty = read_kaggle(data / SAMPLE_10), read_kaggle(data / SAMPLE_20)
    out = [
        (s.name, ten.iloc[s.train], ten.iloc[s.test].reset_index(drop=True))
        for s in block_resamples(len(ten), n_resamples)
    ]
    out.append(("A_shift", ten, disjoint_test(ten, twenty)[0]))
    out.append(("B_shift", twenty, disjoint_test(twenty, ten)[0]))
    return out


def _summary(rows: pd.DataFrame) -> pd.DataFrame:
    stats = rows.groupby("candidate")[list(METRICS)].agg(["mean", "std"])
    stats.columns = [f"{m}_{s}" for m, s in stats.columns]
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--quick", action="store_true", help="3 block resamples instead of 5")
    parser.add_argument("--seeds", type=int, default=None, help="boosters per view, every recipe")
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads per fit")
    parser.add_argument("--splits", nargs="+", default=None, help="run only these splits (e.g. A_shift)")
    parser.add_argument("--rows-out", type=Path, default=None, help="append each split's scores (JSON lines)")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None,
                        help="print the tables from --rows-out files of earlier runs, fit nothing")
    parser.add_argument("--candidates", nargs="+", default=["current", "simple", "default"],
                        choices=[*RECIPES, "default"])
    args = parser.parse_args()
    if args.summarize:
        report(pd.concat([pd.read_json(path, lines=True) for path in args.summarize], ignore_index=True))
        return
    scorers: dict[str, Scorer] = {
        name: default_lightgbm if name == "default" else recipe_scorer(_seeded(RECIPES[name], args.seeds), args.threads)
        for name in args.candidates
    }
    rows, pooled = [], {name: [] for name in scorers}
    for split, train, test in splits(args.data, 3 if args.quick else 5):
        if args.splits and split not in args.splits:
            continue
        y = test[LABEL].to_numpy(dtype=bool)
        for name, scorer in scorers.items():
            started = time.perf_counter()
            p = scorer(train, test)
            row = {"split": split, "candidate": name, "test_rows": len(y), "positives": int(y.sum()),
                   **evaluate(y, p, METRICS), "seconds": round(time.perf_counter() - started, 1)}
            rows.append(row)
            print(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
            if args.rows_out:
                with args.rows_out.open("a") as out:
                    out.write(json.dumps(row) + "\n")
            if split.startswith("blocks"):
                pooled[name].append((y, p))
            elif split == "A_shift":
                pooled[f"{name} A_shift"] = [(y, p)]
    report(pd.DataFrame(rows))
    for name, parts in pooled.items():
        if not parts:
            continue
        y = np.concatenate([p[0] for p in parts])
        p = np.concatenate([p[1] for p in parts])
        where = name if name.endswith("shift") else f"{name} pooled block predictions"
        print(f"\nreliability curve, {where} (ECE {expected_calibration_error(y, p):.4f}):")
        print(reliability_curve(y, p).round(4).to_string(index=False))


def report(table: pd.DataFrame) -> None:
    """Per-split scores, then mean and standard deviation per candidate (all, and shifted splits)."""
    pd.set_option("display.width", 200)
    print("\nper split:")
    print(table.pivot(index="split", columns="candidate", values=["roc_auc", "pr_auc", "ece"]).round(4).to_string())
    print("\nall splits, mean and standard deviation:")
    print(_summary(table).round(4).to_string())
    print("\nshifted splits only (A_shift, B_shift):")
    print(_summary(table[table["split"].str.endswith("shift")]).round(4).to_string())
    if "current" in set(table["candidate"]):
        wide = table.pivot(index="split", columns="candidate", values=["roc_auc", "pr_auc"])
        rows = {}
        for metric in ("roc_auc", "pr_auc"):
            diff = wide[metric].sub(wide[metric]["current"], axis=0).drop(columns="current")
            rows.update({(metric, "mean"): diff.mean(), (metric, "std"): diff.std()})
        print("\npaired difference to the current recipe over the same splits (candidate - current):")
        print(pd.DataFrame(rows).round(4).to_string())


if __name__ == "__main__":
    main()
