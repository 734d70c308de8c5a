"""Coherent Stallion forecasts: base vs reconciled MAE per level over rolling-origin windows.

Levels: the 350 agency x SKU series (bottom), the 58 agency totals, the 25 SKU totals and the grand
total. At each origin the bottom forecasts are the LightGBM's P50 (or the ensemble's, with
``--bottom Ensemble``, or the default blend's, ``STALLION_BLEND``, with ``--bottom Blend``) and
every aggregate series gets statsforecast's AutoETS, all fitted on the months up to the origin;
BottomUp sums the bottom forecasts, MinTrace (mint_shrink) and MinTraceWLS (wls_var), both non-
negative, reconcile all levels with the errors of the base forecasts on the windows that ended by
the origin (the latest ``--error-windows`` of them). Prints, per level and model, the mean and
spread over windows of the MAE of P50 and of its difference to the base forecast on the same window,
then the bottom level's forecasts with P10/P90 moved along with the reconciled P50
(``with_reconciled_p50``): MAE, P10-P90 coverage and pinball loss.

    .venv/bin/python benchmarks/stallion_backtest.py --save W.parquet     # the bottom forecasts
    .venv/bin/python benchmarks/stallion_hierarchy.py --load W.parquet
    .venv/bin/python benchmarks/stallion_hierarchy.py                     # refits the LightGBM
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

# Run as a script: benchmarks/ is on the path, and the window benchmarks share their options.
from stallion_backtest import HORIZON, load_history, load_windows, window_arguments  # noqa: E402

from features.timeseries import ID, TARGET, TIME  # noqa: E402
from training.forecasting.backtest import (  # noqa: E402
    ensemble_backtest,
    training_window,
    window_origins,
    window_scores,
    window_summary,
)
from training.forecasting.blend import blended_windows  # noqa: E402
from training.forecasting.ensemble import LIGHTGBM  # noqa: E402
from training.forecasting.hierarchy import (  # noqa: E402
    MIN_TRACE,
    STALLION_HIERARCHY,
    WLS_VAR,
    level_errors,
    level_summary,
    reconciled_windows,
    with_reconciled_p50,
)
from training.forecasting.model import DemandForecaster  # noqa: E402
from training.recipes import STALLION_BLEND, STALLION_ENSEMBLE  # noqa: E402


def main() -> None:
    parser = window_arguments(__doc__.splitlines()[0])
    parser.add_argument("--bottom", default=LIGHTGBM, choices=[LIGHTGBM, "Ensemble", "Blend"])
    parser.add_argument(
        "--min-error-windows", type=int, default=4,
        help="earlier windows MinTrace needs; 4 scores the windows the ensemble is scored on",
    )
    parser.add_argument(
        "--error-windows", type=int, default=None,
        help="MinTrace learns from the latest this many earlier windows (default: all); 2 is what "
        "the check windows of `backorder benchmark stallion` would give it",
    )
    args = parser.parse_args()

    history, spec = load_history(args)
    started = time.perf_counter()
    if args.load:
        forecasts = ensemble_backtest(load_windows(args.load), spec, STALLION_ENSEMBLE)
        if args.bottom == "Blend":
            forecasts = blended_windows(forecasts, [STALLION_BLEND]).assign(model="Blend")
        chosen = forecasts[forecasts["model"] == args.bottom]
        bottom = {pd.Timestamp(o): frame for o, frame in chosen.groupby("origin")}
    elif args.bottom == LIGHTGBM:
        covariates = [ID, TIME, *spec.known_covariates]
        bottom = {}
        for origin in window_origins(pd.Timestamp(args.first), history[TIME].max(), HORIZON, args.step, "MS"):
            later = history[history[TIME] > origin][covariates]
            model = DemandForecaster(spec).fit(training_window(history, origin))
            bottom[origin] = model.predict(HORIZON, later)
    else:
        parser.error(f"--bottom {args.bottom} needs --load (window forecasts with every member)")
    truth = history[[ID, TIME, TARGET]]
    rows, moved = [], []
    for origin, levels, reconciled in reconciled_windows(
        history, STALLION_HIERARCHY, bottom, HORIZON, "MS", season_length=12,
        min_error_windows=args.min_error_windows, error_windows=args.error_windows,
    ):
        rows.append(level_errors(reconciled, levels).assign(origin=origin))
        base = bottom[origin][[ID, TIME, "p10", "p50", "p90"]].merge(truth, on=[ID, TIME])
        moved.append(base.assign(model=args.bottom, origin=origin))
        for method in (MIN_TRACE, WLS_VAR):
            shifted = with_reconciled_p50(base, reconciled, levels, method)
            moved.append(shifted.assign(model=f"{args.bottom}+{method}", origin=origin))
    scores = pd.concat(rows, ignore_index=True)
    origins = sorted(scores["origin"].unique())
    print(
        f"{len(origins)} origins {pd.Timestamp(origins[0]):%Y-%m} .. {pd.Timestamp(origins[-1]):%Y-%m}, "
        f"{HORIZON} months ahead; bottom = {args.bottom}, upper levels = AutoETS; MinTrace learns from "
        f"{args.error_windows or 'all'} earlier window(s); diff = MAE minus the base forecast's on the same window"
    )
    pd.set_option("display.width", 200)
    print(level_summary(scores).round(2).to_string(index=False))
    print("\nagency x SKU, P10/P90 moved with the reconciled P50 (coverage = share inside [P10, P90]):")
    bottom_scores = window_scores(pd.concat(moved, ignore_index=True))
    print(window_summary(bottom_scores, reference=args.bottom).round(3).to_string(index=False))
    print("\nper window, MAE of P50:")
    print(scores.pivot(index="origin", columns=["level", "model"], values="mae").round(1).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
