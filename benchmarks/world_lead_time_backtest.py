"""The world's lead-time model over several worlds and cut-offs, beside its baselines and variants.

For each seed a world is simulated (``--skus`` x ``--locations``, ``--days`` days, the ERP
baseline policy) and its received PO lines are built as ``backorder train lead-time`` builds them.
At each cut-off ``--days-back`` days before the last receipt, every variant is fitted on the lines
received by then and scored on the lines still open then (``lead_time_holdout``, the protocol of
the training run itself), beside its baselines: the supplier delay quantiles the service gives
open POs without a lead-time champion (``SupplierDelayQuantiles``: the per-supplier quantiles
raised to the least delay of a line open at the cut-off), the quoted date, and, for reference,
the plain per-supplier quantiles. Prints the mean pinball loss over P10/P50/P90 per (seed,
cut-off), then per model its mean, its difference to the world's recipe and to the served
supplier quantiles (the promotion gate's baseline), paired by (seed, cut-off), with spread and
wins, its P10-P90 coverage and late ROC-AUC. The variant ``chosen`` is the recipe the training
run chooses, from the lines received by the earliest cut-off only.

    .venv/bin/python benchmarks/world_lead_time_backtest.py --seeds 0 1 2
    .venv/bin/python benchmarks/world_lead_time_backtest.py --seeds 0 1 2 3 4 5 --variants recipe chosen scms_recipe
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from simulation import SimulationConfig  # noqa: E402
from simulation.run import simulate  # noqa: E402
from training.forecasting.backtest import window_summary  # noqa: E402
from training.lead_time.baselines import supplier_quantile_baseline  # noqa: E402
from training.lead_time.evaluate import score_delays  # noqa: E402
from training.lead_time.holdouts import (  # noqa: E402
    QUOTED_DATE,
    SERVED_SUPPLIER_QUANTILES,
    last_receipt,
    lead_time_holdout,
    lines_open_at,
)
from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES, LEAD_TIME_SPEC, SCMS_LEAD_TIME  # noqa: E402
from training.world_datasets import received_po_lines  # noqa: E402
from training.world_models import lead_time_recipe  # noqa: E402

# ``LeadTimeModel`` keywords of each variant; "recipe" is what ``backorder train lead-time`` fits.
VARIANTS: dict[str, dict] = {
    "recipe": {},
    "on_time": {"on_time_atom": True},
    "no_conformal": {"conformal": False},
    "no_conformal_on_time": {"conformal": False, "on_time_atom": True},
    "scms_recipe": SCMS_LEAD_TIME,
    "supplier_20": {"recent_supplier_lines": 20},
    "supplier_50": {"recent_supplier_lines": 50},
    "supplier_100": {"recent_supplier_lines": 100},
}
SERVED = "supplier quantiles, served"
BASELINES = {SERVED_SUPPLIER_QUANTILES: SERVED, QUOTED_DATE: "quoted date"}
PLAIN = "supplier quantiles, plain"
# The recipe ``backorder train lead-time`` would have chosen (``lead_time_recipe``) from the lines
# received by the earliest scored cut-off, then fitted at every cut-off.
CHOSEN = "chosen"


def chosen_options(lines: pd.DataFrame, first_cutoff: pd.Timestamp) -> tuple[str, dict]:
    """The training run's recipe choice on the lines received by ``first_cutoff``."""
    known = lines[pd.to_datetime(lines[LEAD_TIME_SPEC.received_col]) <= first_cutoff]
    name = lead_time_recipe(LEAD_TIME, known).name
    return name, LEAD_TIME_RECIPES[name]


def world_scores(seed: int, args: argparse.Namespace) -> pd.DataFrame:
    """Scores of every variant and baseline at every cut-off of one simulated world."""
    config = SimulationConfig(seed=seed, n_skus=args.skus, n_locations=args.locations, n_days=args.days)
    tables = simulate(config).tables
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    rows = []
    end = last_receipt(lines, LEAD_TIME_SPEC)
    options = dict(VARIANTS)
    if CHOSEN in args.variants:
        name, options[CHOSEN] = chosen_options(lines, (end - pd.Timedelta(days=max(args.days_back))).normalize())
        print(f"seed {seed}: {CHOSEN} = {name}")
    for days_back in args.days_back:
        cutoff = (end - pd.Timedelta(days=days_back)).normalize()
        for name in args.variants:
            holdout = lead_time_holdout(lines, LEAD_TIME_SPEC, cutoff, options[name])
            scores = holdout.scores
            scores["model"] = scores["model"].replace({"lightgbm": name, **BASELINES})
            keep = scores if name == args.variants[0] else scores[scores["model"] == name]
            rows.append(keep.assign(seed=seed, days_back=days_back))
        history = lines_open_at(lines, LEAD_TIME_SPEC, cutoff)[0]
        plain = score_delays(holdout.truth, supplier_quantile_baseline(history, holdout.hidden, LEAD_TIME_SPEC))
        plain["late_roc_auc"] = plain.pop("late_auc")
        rows.append(pd.DataFrame([{"model": PLAIN, **plain, "seed": seed, "days_back": days_back}]))
    return pd.concat(rows, ignore_index=True)


def summary(scores: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per model: mean pinball and coverage over (seed, cut-off) pairs, and the paired differences
    of its pinball to ``reference``'s and to the served supplier quantiles' (``window_summary``)."""
    windows = scores.rename(columns={"mae_p50": "mae", "coverage_80": "coverage"}).assign(
        origin=scores["seed"].astype(str) + ":" + scores["days_back"].astype(str)
    )
    out = window_summary(windows).set_index("model")[["pinball_mean", "pinball_std", "coverage_mean"]]
    for against in (reference, SERVED):
        paired = window_summary(windows, reference=against, metric="pinball").set_index("model")
        out = out.join(paired[["diff_mean", "diff_std", "wins"]].add_prefix(f"vs {against} "))
    out["late_roc_auc"] = scores.groupby("model")["late_roc_auc"].mean()
    return out.sort_values("pinball_mean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--days-back", nargs="+", type=int, default=[30, 60, 90, 120])
    parser.add_argument("--variants", nargs="+", choices=[*VARIANTS, CHOSEN], default=list(VARIANTS))
    args = parser.parse_args()
    started = time.perf_counter()
    scores = pd.concat([world_scores(seed, args) for seed in args.seeds], ignore_index=True)
    pinball = scores.pivot_table(index=["seed", "days_back"], columns="model", values="pinball")
    print("mean pinball loss over P10/P50/P90, lines open at each cut-off:")
    print(pinball.round(3).to_string())
    print(f"\nover {len(pinball)} (seed, cut-off) pairs, paired differences (negative: lower loss):")
    print(summary(scores, args.variants[0]).round(4).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
