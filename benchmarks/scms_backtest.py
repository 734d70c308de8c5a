"""SCMS supplier delays: backtest of the lead-time model at several cut-offs, against vendor quantiles.

Usage: .venv/bin/python benchmarks/scms_backtest.py [--cutoffs tuning|reported] [--variants ...]
       [--shrink K ...] [--reference VARIANT]

Protocol (``training.lead_time.scms.predictions_at_cutoff``): at each cut-off (the first day of
the month named), the model and the per-vendor empirical quantiles are fitted on the lines
delivered by then, and scored on the lines scheduled after it and not delivered by then (their
delay = delivered - scheduled date, in days). The figure is the mean pinball loss over
P10/P50/P90 of the model divided by that of the vendor quantiles (below 1: better). Choices are
made on the tuning cut-offs only and then run once at the reported ones. At a tuning cut-off
the ratio is also given on the scored lines scheduled before the first reported cut-off alone
(``near``), which no reported figure scores. ``--shrink K`` adds, for each variant, its
quantiles moved toward the vendor's with weight n / (n + K), n the vendor's delivered lines.
Every variant is paired, cut-off by cut-off, with ``--reference`` (the recipe unless named).
The variant ``chosen`` is, at each cut-off, the recipe a training run on the lines delivered by
then would choose (``training.world_models.lead_time_recipe``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training import forecast_metrics as fm  # noqa: E402
from training.lead_time.baselines import shrink_toward_suppliers  # noqa: E402
from training.lead_time.evaluate import QUANTILES, scheduled_after_split  # noqa: E402
from training.lead_time.features import as_datetime, open_delay_floor  # noqa: E402
from training.lead_time.scms import SCHEDULED, VENDOR, predictions_at_cutoff, scms_spec  # noqa: E402
from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES, SCMS_LEAD_TIME  # noqa: E402
from training.world_models import lead_time_recipe  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "scms_delivery_history" / "SCMS_Delivery_History_Dataset_20150929.parquet"
CUTOFFS = {
    "tuning": ["2011-09-01", "2011-12-01", "2012-03-01", "2012-06-01", "2012-09-01", "2012-12-01", "2013-03-01"],
    "reported": ["2013-09-01", "2014-03-01", "2014-09-01"],
}
FIRST_REPORTED = pd.Timestamp(CUTOFFS["reported"][0])
# ``LeadTimeModel`` keywords of each variant; "recipe" is what ``backorder benchmark scms`` fits. The
# "on_time_*" variants change the recipe; those after them, the recipe as it was before its on-time step.
SMALL_TREES = {"num_leaves": 7, "min_data_in_leaf": 50}
BEFORE_ON_TIME = {**SCMS_LEAD_TIME, "on_time_atom": False}  # the recipe before its on-time step
RECIPE_FREE = {k: v for k, v in BEFORE_ON_TIME.items() if k != "params"}
VARIANTS: dict[str, dict] = {
    "recipe": SCMS_LEAD_TIME,
    "before_on_time": BEFORE_ON_TIME,
    "on_time_seed_1": {**SCMS_LEAD_TIME, "seeds": (1,)},
    "on_time_seed_2": {**SCMS_LEAD_TIME, "seeds": (2,)},
    "on_time_5_seeds": {**SCMS_LEAD_TIME, "seeds": (7, 1, 2, 3, 4)},
    "on_time_15_leaves": {**SCMS_LEAD_TIME, "params": {}},
    "on_time_conformal": {**SCMS_LEAD_TIME, "conformal": True},
    "on_time_supplier_50": {**SCMS_LEAD_TIME, "recent_supplier_lines": 50},
    "on_time_half_life_1460": {**SCMS_LEAD_TIME, "half_life_days": 1460.0},
    "on_time_settled_30": {**SCMS_LEAD_TIME, "settled_days": 30.0},
    "on_time_settled_90": {**SCMS_LEAD_TIME, "settled_days": 90.0},
    "conformal_15_leaves": {},
    "conformal_7_leaves": {"params": SMALL_TREES},
    "15_leaves": {"conformal": False},
    "31_leaves": {"conformal": False, "params": {"num_leaves": 31, "min_data_in_leaf": 20}},
    "4_leaves": {"conformal": False, "params": {"num_leaves": 4, "min_data_in_leaf": 50}},
    "7_leaves_min_100": {"conformal": False, "params": {"num_leaves": 7, "min_data_in_leaf": 100}},
    "7_leaves_ff_0.7": {"conformal": False, "params": {**SMALL_TREES, "feature_fraction": 0.7}},
    "recipe_seed_1": {**BEFORE_ON_TIME, "seeds": (1,)},
    "recipe_seed_2": {**BEFORE_ON_TIME, "seeds": (2,)},
    "recipe_5_seeds": {**BEFORE_ON_TIME, "seeds": (7, 1, 2, 3, 4)},
    "recipe_no_sampling": {**RECIPE_FREE, "params": {**SMALL_TREES, "bagging_fraction": 1.0, "feature_fraction": 1.0}},
    "recipe_l2_10": {**RECIPE_FREE, "params": {**SMALL_TREES, "lambda_l2": 10.0}},
    "recipe_lr_0.02": {**RECIPE_FREE, "params": {**SMALL_TREES, "learning_rate": 0.02}},
    "supplier_20": {**BEFORE_ON_TIME, "recent_supplier_lines": 20},
    "supplier_50": {**BEFORE_ON_TIME, "recent_supplier_lines": 50},
    "supplier_100": {**BEFORE_ON_TIME, "recent_supplier_lines": 100},
    "supplier_50_gap_180": {**BEFORE_ON_TIME, "recent_supplier_lines": 50, "recent_supplier_gap_days": 180},
    "supplier_50_gap_365": {**BEFORE_ON_TIME, "recent_supplier_lines": 50, "recent_supplier_gap_days": 365},
    "half_life_365": {**BEFORE_ON_TIME, "half_life_days": 365.0},
    "half_life_730": {**BEFORE_ON_TIME, "half_life_days": 730.0},
    "half_life_1460": {**BEFORE_ON_TIME, "half_life_days": 1460.0},
    "settled_0": {**BEFORE_ON_TIME, "settled_days": 0.0},
    "settled_30": {**BEFORE_ON_TIME, "settled_days": 30.0},
    "settled_90": {**BEFORE_ON_TIME, "settled_days": 90.0},
    "settled_180": {**BEFORE_ON_TIME, "settled_days": 180.0},
    "supplier_50_5_seeds": {**BEFORE_ON_TIME, "recent_supplier_lines": 50, "seeds": (7, 1, 2, 3, 4)},
}
# At each cut-off, the recipe of ``LEAD_TIME_RECIPES`` that ``backorder train lead-time`` would choose
# on the lines delivered by then (``lead_time_recipe``).
CHOSEN = "chosen"


def chosen_options(lines: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[str, dict]:
    """The training run's recipe choice on the lines delivered by ``cutoff``."""
    spec = scms_spec(lines)
    name = lead_time_recipe(LEAD_TIME, lines[as_datetime(lines[spec.received_col]) <= cutoff], spec).name
    return name, LEAD_TIME_RECIPES[name]


def pinball(truth: np.ndarray, pred: pd.DataFrame) -> float:
    """Mean pinball loss over P10/P50/P90 on the delivered lines."""
    keep = ~np.isnan(truth)
    return fm.mean_pinball_loss(truth[keep], pred[["p10", "p50", "p90"]].to_numpy()[keep], quantiles=QUANTILES)


def cutoff_ratios(
    lines: pd.DataFrame, cutoff: pd.Timestamp, options: dict, shrink: list[float]
) -> dict[tuple[str, str], float]:
    """Model / vendor-quantile pinball at one cut-off, keyed by (forecast, scope): the model
    ("") and each shrinkage ("+shrink K"), on all scored lines ("all") and, at a tuning
    cut-off, on those scheduled before the first reported cut-off ("near")."""
    spec = scms_spec(lines)
    history, open_lines = scheduled_after_split(lines, spec, cutoff)
    truth, preds = predictions_at_cutoff(lines, history, open_lines, cutoff, options)
    vendor, model = preds["vendor_quantiles"], preds["lightgbm"]
    forecasts = {"": model}
    counts = history[VENDOR].value_counts().reindex(open_lines[VENDOR].to_numpy()).fillna(0).to_numpy()
    floor = open_delay_floor(as_datetime(open_lines[SCHEDULED]), cutoff)[:, None]
    for k in shrink:
        shrunk = shrink_toward_suppliers(model, vendor, counts, k)
        shrunk[["p10", "p50", "p90"]] = np.fmax(shrunk[["p10", "p50", "p90"]].to_numpy(), floor)
        forecasts[f"+shrink {k:g}"] = shrunk
    scopes = {"all": np.ones(len(truth), dtype=bool)}
    if cutoff < FIRST_REPORTED:
        scopes["near"] = (as_datetime(open_lines[SCHEDULED]) < FIRST_REPORTED).to_numpy()
    return {
        (label, scope): pinball(truth[rows], pred[rows]) / pinball(truth[rows], vendor[rows])
        for label, pred in forecasts.items()
        for scope, rows in scopes.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cutoffs", choices=list(CUTOFFS), default="reported")
    parser.add_argument("--variants", nargs="+", choices=[*VARIANTS, CHOSEN], default=["recipe"])
    parser.add_argument("--shrink", nargs="*", type=float, default=[])
    parser.add_argument("--reference", default="recipe", help="the variant every other is paired with")
    args = parser.parse_args()
    lines = pd.read_parquet(args.data)
    rows = []
    for name in args.variants:
        started = time.perf_counter()
        for cutoff in map(pd.Timestamp, CUTOFFS[args.cutoffs]):
            options = VARIANTS.get(name)
            if name == CHOSEN:
                chosen, options = chosen_options(lines, cutoff)
                print(f"{cutoff.date()}: {CHOSEN} = {chosen}", flush=True)
            ratios = cutoff_ratios(lines, cutoff, options, args.shrink)
            rows += [{"scope": scope, "variant": name + label, "cutoff": str(cutoff.date()), "ratio": ratio}
                     for (label, scope), ratio in ratios.items()]
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    for scope, part in pd.DataFrame(rows).groupby("scope", sort=True):
        table = part.pivot(index="variant", columns="cutoff", values="ratio")
        stats = pd.DataFrame({"mean": table.mean(axis=1), "sd": table.std(axis=1), "max": table.max(axis=1)})
        if args.reference in table.index:  # paired with the reference, cut-off by cut-off
            diff = table - table.loc[args.reference]
            stats["vs_reference"], stats["vs_reference_sd"] = diff.mean(axis=1), diff.std(axis=1)
            stats["wins"] = (diff < 0).sum(axis=1)
        lines_scored = "all scored lines" if scope == "all" else f"lines scheduled before {FIRST_REPORTED.date()}"
        print(f"\npinball / vendor-quantile pinball, {lines_scored}:")
        print(pd.concat([table, stats], axis=1).round(3).to_string())


if __name__ == "__main__":
    main()
