"""Rolling-origin backtest on the Stallion training file: every demand model over many windows.

Origins every ``--step`` months from ``--first`` to the last one whose 6 months end inside the
file (June 2017); at each origin every model is fitted on the months up to it only. Prints, per
model, the mean and spread over windows of the MAE of P50 and of the share of actuals inside
[P10, P90], on the windows where the ensemble has all its earlier windows, then the same for all
windows without the ensemble, then per demand class (Syntetos-Boylan, from the history up to each
origin) with new series (first sale within ``--new-months`` of the origin) apart. "LightGBM+launch"
is the LightGBM with the launch floor on new series (P50 and P90 at least their mean volume of the
last ``--recent-months``, ``training.forecasting.launch``). "LightGBMNoIds" is the same LightGBM
without the series' identity features, a member of the recipe's blend. "+zero P10" rows are the
LightGBM and, with ``--blends``, the blends of the recipe and of the recipe before it with the
zero lower bound ``backorder benchmark stallion`` applies (``training.forecasting.zero_mass``).
With ``--blends`` it also prints whether the recipe's blend is ahead of each of its members and of
the baselines beyond the spread, on both measures.

    .venv/bin/python benchmarks/stallion_backtest.py                # every window, every model refitted
    .venv/bin/python benchmarks/stallion_backtest.py --save W.parquet   # keep the window forecasts
    .venv/bin/python benchmarks/stallion_backtest.py --load W.parquet --power 2  # recombine only
    .venv/bin/python benchmarks/stallion_backtest.py --load W.parquet --blends   # fixed blends, the parts check

Origins can be split over runs (``--first``/``--last`` with ``--save``) and their files loaded
together.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from training.forecasting.backtest import (  # noqa: E402
    NEW,
    ensemble_backtest,
    segment_scores,
    series_segments,
    training_window,
    window_forecasts,
    window_origins,
    window_scores,
    window_summary,
)
from training.forecasting.blend import LIGHTGBM_NO_IDS, BlendSpec, blended_windows  # noqa: E402
from training.forecasting.blend_checks import ahead_of_parts, chosen_blends  # noqa: E402
from training.forecasting.launch import floor_launched  # noqa: E402
from training.forecasting.model import DemandSpec  # noqa: E402
from training.forecasting.stallion import covariate_roles, stallion_spec, to_long  # noqa: E402
from training.forecasting.zero_mass import zero_lower_bound_windows  # noqa: E402
from training.recipes import STALLION_BLEND, STALLION_ENSEMBLE  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared/data/stallion_demand"
TRAIN = DATA / "stallion_train_2013-01_2017-06.parquet"
FUTURE = DATA / "stallion_future_known_covariates_2017-07_2017-12.parquet"
HORIZON = 6


# Fixed-weight blends (``--blends``): weights set in advance, so every window is scored, none
# learnt from; the recipe's STALLION_BLEND is one of them, PREVIOUS_BLEND the recipe before it.
PREVIOUS_BLEND = BlendSpec(weights=(("LightGBM", 0.75), ("AutoETS", 0.25)), season_length=12)


def _blend(lightgbm: float, no_ids: float, autoets: float) -> BlendSpec:
    weights = (("LightGBM", lightgbm), (LIGHTGBM_NO_IDS, no_ids), ("AutoETS", autoets))
    return BlendSpec(weights=tuple((name, w) for name, w in weights if w > 0), season_length=12)


BLENDS = (
    _blend(0.8, 0, 0.2),
    PREVIOUS_BLEND,
    _blend(2 / 3, 0, 1 / 3),
    _blend(0.5, 0, 0.5),
    BlendSpec(weights=(("LightGBM", 1 / 3), ("AutoETS", 1 / 3), ("AutoTheta", 1 / 3)), season_length=12),
    _blend(0.5, 0.5, 0),
    _blend(0.4, 0.4, 0.2),
    STALLION_BLEND,
    _blend(1 / 3, 1 / 3, 1 / 3),
    _blend(0.25, 0.5, 0.25),
    _blend(0.5, 0.25, 0.25),
)

# Weights each window's chosen on earlier windows only (``blend_checks.chosen_blends``): a check
# that a fixed blend is not a choice tuned on the scored windows. SHARES: the LightGBM's share
# beside AutoETS; VIEW_GRID: the share of the LightGBM without ids in the LightGBMs' part, and
# AutoETS's share.
SHARES = {f"{share:.2f}": _blend(share, 0, 1 - share) for share in (round(0.5 + 0.05 * k, 2) for k in range(11))}
VIEW_GRID = {
    f"{no_ids:.2f}/{autoets:.2f}": _blend((1 - autoets) * (1 - no_ids), (1 - autoets) * no_ids, autoets)
    for no_ids in (0, 0.25, 0.5, 0.75, 1) for autoets in (0, 0.2, 0.25, 1 / 3, 0.5)
}
CHOSEN = {
    "LightGBM+AutoETS, share chosen on earlier windows": SHARES,
    "LightGBM views+AutoETS, weights chosen on earlier windows": VIEW_GRID,
}


def require_forecasts(predictions: pd.DataFrame, names: list[str], option: str) -> None:
    """Stop with a message when window files read through ``option`` lack the forecasts of ``names``
    (files written before those models were added)."""
    missing = sorted(set(names) - set(predictions["model"]))
    if missing:
        raise SystemExit(f"{option}: the files have no {missing} forecasts; write them again with --save")


def window_arguments(
    description: str,
    load_help: str = "reuse window forecasts written by stallion_backtest.py --save (files of runs over "
    "different origins combine)",
) -> argparse.ArgumentParser:
    """The options of every Stallion window benchmark: the files, the origins, saved windows."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--future", type=Path, default=FUTURE, help="only its columns are read")
    parser.add_argument("--first", default="2014-03-01", help="first origin (month start)")
    parser.add_argument("--step", type=int, default=STALLION_ENSEMBLE.step, help="months between origins")
    parser.add_argument("--load", type=Path, nargs="+", help=load_help)
    return parser


def load_history(args: argparse.Namespace) -> tuple[pd.DataFrame, DemandSpec]:
    """``--train`` in long format and the model spec, covariate roles read from ``--future``'s
    columns."""
    raw = pd.read_parquet(args.train)
    known, past = covariate_roles(raw, pd.read_parquet(args.future).head(1))
    return to_long(raw, known + past), stallion_spec(known, past, HORIZON)


def load_windows(paths: list[Path]) -> dict[pd.Timestamp, pd.DataFrame]:
    """Window forecasts written by ``--save``, per origin."""
    saved = pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True)
    return {pd.Timestamp(o): frame for o, frame in saved.groupby("origin")}


def main() -> None:
    parser = window_arguments(__doc__.splitlines()[0])
    parser.add_argument("--last", help="last origin (default: the last whose window ends in TRAIN)")
    parser.add_argument("--n-windows", type=int, default=STALLION_ENSEMBLE.n_windows)
    parser.add_argument("--power", type=float, default=STALLION_ENSEMBLE.power)
    parser.add_argument("--new-months", type=int, default=12, help="a series is new this long after its first sale")
    parser.add_argument("--recent-months", type=int, default=3, help="the launch floor's recent window")
    parser.add_argument("--save", type=Path, help="write the window forecasts here (Parquet)")
    parser.add_argument(
        "--blends", action="store_true",
        help="also score the fixed-weight BLENDS, and the blend whose share is chosen on the "
        "--n-windows earlier windows",
    )
    parser.add_argument(
        "--metric", choices=("mae", "pinball"), default="mae",
        help="what diff and wins compare: MAE of P50, or mean pinball loss over P10/P50/P90",
    )
    parser.add_argument("--reference", default="LightGBM", help="the model diff and wins compare against")
    args = parser.parse_args()

    history, spec = load_history(args)
    ensemble = replace(STALLION_ENSEMBLE, n_windows=args.n_windows, step=args.step, power=args.power)
    started = time.perf_counter()
    if args.load:
        windows = load_windows(args.load)
    else:
        origins = window_origins(pd.Timestamp(args.first), history["ds"].max(), HORIZON, args.step, "MS")
        origins = [o for o in origins if args.last is None or o <= pd.Timestamp(args.last)]
        windows = window_forecasts(history, spec, ensemble, origins, views=(LIGHTGBM_NO_IDS,))
        if args.save:
            pd.concat(windows.values(), ignore_index=True).to_parquet(args.save, index=False)
    predictions = ensemble_backtest(windows, spec, ensemble)
    require_forecasts(predictions, [LIGHTGBM_NO_IDS], "--load")
    launched = []
    for origin, frame in predictions[predictions["model"] == "LightGBM"].groupby("origin"):
        past = training_window(history, origin)
        new = series_segments(past, args.new_months).loc[lambda seg: seg == NEW].index
        floored = floor_launched(frame, past, new, args.recent_months)
        launched.append(floored.assign(model="LightGBM+launch"))
    predictions = pd.concat([predictions, *launched], ignore_index=True)
    if args.blends:
        blends = [blended_windows(predictions, BLENDS)]
        for name, candidates in CHOSEN.items():
            chosen = chosen_blends(predictions, candidates, name, args.n_windows, HORIZON)
            picks = {f"{origin:%Y-%m}": choice for origin, choice in chosen.groupby("origin")["choice"].first().items()}
            print(f"{name}, on the {args.n_windows} earlier windows: {picks}")
            blends.append(chosen.drop(columns="choice"))
        predictions = pd.concat([predictions, *blends], ignore_index=True)
    bounded = predictions[predictions["model"].isin(["LightGBM", STALLION_BLEND.label, PREVIOUS_BLEND.label])]
    bounded = zero_lower_bound_windows(bounded, history, spec.features.scale_window)
    predictions = pd.concat([predictions, bounded.assign(model=bounded["model"] + " +zero P10")], ignore_index=True)
    scores = window_scores(predictions)
    with_ensemble = scores[scores["origin"].isin(scores.loc[scores["model"] == "Ensemble", "origin"])]
    pd.set_option("display.width", 200)
    for title, table in (("windows with the ensemble", with_ensemble), ("all windows", scores)):
        origins = sorted(table["origin"].unique())
        print(
            f"\n{title}: {len(origins)} origins {pd.Timestamp(origins[0]):%Y-%m} .. "
            f"{pd.Timestamp(origins[-1]):%Y-%m}, {HORIZON} months ahead, 350 series; "
            f"diff = {args.metric} minus {args.reference}'s on the same window"
        )
        print(window_summary(table, reference=args.reference, metric=args.metric).round(3).to_string(index=False))
    if args.blends:
        print(f"\n{STALLION_BLEND.label} (with the zero lower bound) against its members and the baselines: "
              "diff = the other model's figure minus the blend's")
        parts = ahead_of_parts(predictions, STALLION_BLEND, history, spec.features.scale_window)
        print(parts.round(3).to_string(index=False))
    segments = segment_scores(predictions, history, args.new_months)
    segments = segments[segments["origin"].isin(with_ensemble["origin"])]
    print(f"\nper segment (new = first sale within {args.new_months} months), windows with the ensemble:")
    for segment, table in segments.groupby("segment"):
        summary = window_summary(table, reference=args.reference, metric=args.metric)
        series = table.loc[table["model"] == "LightGBM", "n"].mean() / HORIZON
        print(f"\n{segment}: {series:.0f} series per window")
        print(summary.round(3).to_string(index=False))
    for metric, title, digits in (("mae", "MAE of P50", 1), ("coverage", "P10-P90 coverage", 3)):
        print(f"\nper window, {title}:")
        print(scores.pivot(index="origin", columns="model", values=metric).round(digits).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
