"""SCMS supplier delays: backtest of the lead-time model at several cut-offs, against vendor quantiles.

Usage: .venv/bin/python benchmarks/scms_backtest.py [--cutoffs tuning|reported|all] [--variants ...]

Protocol (``training.lead_time.scms.backtest``): at each cut-off (the first day of the month
named), the model and the per-vendor empirical quantiles are fitted on the lines delivered by
then, and scored on the lines scheduled after it and not delivered by then (their delay =
delivered - scheduled date, in days). The figure is the mean pinball loss over P10/P50/P90 of
the model divided by that of the vendor quantiles (below 1: better). Choices are made on the
tuning cut-offs (2012-09, 2013-03) and only then run at the reported ones (2013-09, 2014-03,
2014-09). Variants without conformal offsets use the boosters' quantiles as they are.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.lead_time.scms import backtest  # noqa: E402
from training.recipes import SCMS_LEAD_TIME  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "scms_delivery_history" / "SCMS_Delivery_History_Dataset_20150929.parquet"
CUTOFFS = {
    "tuning": ["2012-09-01", "2013-03-01"],
    "reported": ["2013-09-01", "2014-03-01", "2014-09-01"],
}
CUTOFFS["all"] = CUTOFFS["tuning"] + CUTOFFS["reported"]
# ``LeadTimeModel`` keywords of each variant; "recipe" is what ``backorder benchmark scms`` fits.
SMALL_TREES = {"num_leaves": 7, "min_data_in_leaf": 50}
VARIANTS: dict[str, dict] = {
    "recipe": SCMS_LEAD_TIME,
    "conformal_15_leaves": {},
    "conformal_7_leaves": {"params": SMALL_TREES},
    "15_leaves": {"conformal": False},
    "31_leaves": {"conformal": False, "params": {"num_leaves": 31, "min_data_in_leaf": 20}},
    "4_leaves": {"conformal": False, "params": {"num_leaves": 4, "min_data_in_leaf": 50}},
    "7_leaves_min_100": {"conformal": False, "params": {"num_leaves": 7, "min_data_in_leaf": 100}},
    "7_leaves_ff_0.7": {"conformal": False, "params": {**SMALL_TREES, "feature_fraction": 0.7}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cutoffs", choices=list(CUTOFFS), default="reported")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["recipe"])
    args = parser.parse_args()
    lines = pd.read_parquet(args.data)
    cutoffs = [pd.Timestamp(c) for c in CUTOFFS[args.cutoffs]]
    ratios = {}
    for name in args.variants:
        started = time.perf_counter()
        table = backtest(lines, cutoffs, VARIANTS[name])
        pivot = table.pivot(index="cutoff", columns="model", values="pinball")
        ratios[name] = pivot["lightgbm"] / pivot["vendor_quantiles"]
        print(f"\n{name} ({time.perf_counter() - started:.0f} s):")
        print(table.drop(columns="pinball_vs_vendor").round(4).to_string(index=False), flush=True)
    ratio = pd.DataFrame(ratios).T
    ratio["mean"], ratio["std"], ratio["max"] = ratio.mean(axis=1), ratio.std(axis=1), ratio.max(axis=1)
    print("\npinball / vendor-quantile pinball, per cut-off:")
    print(ratio.round(3).to_string())


if __name__ == "__main__":
    main()
