"""Settings of the Stallion LightGBM compared over rolling-origin windows, paired window by window.

Each variant is the recipe (``training.forecasting.stallion.stallion_spec``) with one change,
refitted at every origin on the months up to it (origins as in ``stallion_backtest.py``); a
variant with several specs averages their P10/P50/P90 (seeds). Prints, per variant, the mean and
spread over windows of the MAE of P50 and of P10-P90 coverage, and its MAE minus the recipe's on
the same window with the spread of that difference and the windows it wins: a variant is worth
keeping only if its mean gain exceeds that spread. With ``--blend-windows`` each variant is
also scored as the LightGBM member of the default blend (``STALLION_BLEND``), and with
``--blend-pairs A:B`` variant A as its LightGBM and B as its LightGBM without ids.

    .venv/bin/python benchmarks/stallion_variants.py --variants recipe no_id --save V1.parquet
    .venv/bin/python benchmarks/stallion_variants.py --load V1.parquet V2.parquet   # summarise runs
    .venv/bin/python benchmarks/stallion_variants.py --load V1.parquet --blend-windows A.parquet B.parquet
    .venv/bin/python benchmarks/stallion_variants.py --load V1.parquet --blend-windows A.parquet B.parquet \
        --blend-pairs conformal_bounds_only:no_statics_bounds_only
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Run as a script: benchmarks/ is on the path, and the window benchmarks share their options.
from stallion_backtest import HORIZON, load_history, require_forecasts, window_arguments  # noqa: E402

from features.timeseries import ID, TARGET, TIME  # noqa: E402
from training.forecasting.backtest import training_window, window_origins, window_scores, window_summary  # noqa: E402
from training.forecasting.blend import LIGHTGBM_NO_IDS, QUANTILE_COLUMNS, blended_windows, without_identity  # noqa: E402
from training.forecasting.ensemble import LIGHTGBM  # noqa: E402
from training.forecasting.model import DemandForecaster, DemandSpec  # noqa: E402
from training.recipes import STALLION_BLEND  # noqa: E402

RECIPE = "recipe"


def _params(spec: DemandSpec, **changes: float) -> DemandSpec:
    return replace(spec, params={**spec.params, **changes})


def _without_covariates(spec: DemandSpec) -> DemandSpec:
    """``spec`` reading the series' own demand only: no known, past or relative covariates."""
    return replace(
        spec, known_covariates=(), relative_covariates=(), features=replace(spec.features, past_covariates=())
    )


VARIANTS: dict[str, Callable[[DemandSpec], list[DemandSpec]]] = {
    RECIPE: lambda spec: [spec],
    "seeds_3": lambda spec: [_params(spec, seed=seed) for seed in (7, 8, 9)],
    "no_id": lambda spec: [replace(spec, id_as_feature=False)],
    "no_statics": lambda spec: [without_identity(spec)],
    "no_id_sku_only": lambda spec: [replace(spec, id_as_feature=False, static_categoricals=("sku",))],
    "leaves_15": lambda spec: [_params(spec, num_leaves=15)],
    "min_leaf_200_l2_10": lambda spec: [_params(spec, min_data_in_leaf=200, lambda_l2=10.0)],
    "no_sampling": lambda spec: [_params(spec, bagging_fraction=1.0, feature_fraction=1.0)],
    "center_tweedie": lambda spec: [replace(spec, center_objective="tweedie")],
    "no_conformal": lambda spec: [replace(spec, conformal=False)],
    "conformal_bounds_only": lambda spec: [replace(spec, conformal_center=False)],
    "no_statics_bounds_only": lambda spec: [replace(without_identity(spec), conformal_center=False)],
    "no_covariates": lambda spec: [_without_covariates(spec)],
    "no_covariates_no_statics": lambda spec: [without_identity(_without_covariates(spec))],
    "scale_window_6": lambda spec: [replace(spec, features=replace(spec.features, scale_window=6))],
    "lr_0.01": lambda spec: [
        replace(_params(spec, learning_rate=0.01), num_boost_round=3000, early_stopping_rounds=60)
    ],
}


def variant_forecasts(
    history: pd.DataFrame, specs: list[DemandSpec], origin: pd.Timestamp
) -> pd.DataFrame:
    """``unique_id, ds, p10, p50, p90, y`` of the 6 months after ``origin``: the mean of one
    forecaster per spec, each fitted on the months up to ``origin``."""
    later = history[(history[TIME] > origin) & (history[TIME] <= origin + pd.DateOffset(months=HORIZON))]
    covariates = later[[ID, TIME, *specs[0].known_covariates]]
    forecasts = [DemandForecaster(spec).fit(training_window(history, origin)).predict(HORIZON, covariates)
                 for spec in specs]
    mean = forecasts[0][[ID, TIME]].copy()
    for column in QUANTILE_COLUMNS:
        mean[column] = np.mean([forecast[column].to_numpy() for forecast in forecasts], axis=0)
    return mean.merge(later[[ID, TIME, TARGET]], on=[ID, TIME])


def in_the_blend(
    predictions: pd.DataFrame, window_files: list[Path], pairs: Sequence[tuple[str, str]] = ()
) -> pd.DataFrame:
    """Each variant's forecasts as the LightGBM member of ``STALLION_BLEND`` (named
    ``<variant>+blend``), and for each ``(a, b)`` of ``pairs`` variant ``a`` as the LightGBM and
    ``b`` as the LightGBM without ids (``<a>&<b>+blend``); the other members are read from
    ``stallion_backtest.py --save`` files."""
    saved = pd.concat([pd.read_parquet(path) for path in window_files], ignore_index=True)
    others = [name for name, _ in STALLION_BLEND.weights if name != LIGHTGBM]
    members = saved[saved["model"].isin(others)][[ID, TIME, "origin", "model", *QUANTILE_COLUMNS, TARGET]]
    require_forecasts(members, others, "--blend-windows")
    require_forecasts(predictions, sorted({name for pair in pairs for name in pair}), "--blend-pairs")
    swaps = {f"{name}+blend": {LIGHTGBM: name} for name in predictions["model"].unique()}
    swaps |= {f"{a}&{b}+blend": {LIGHTGBM: a, LIGHTGBM_NO_IDS: b} for a, b in pairs}
    parts = []
    for label, swap in swaps.items():
        variants = [predictions[predictions["model"] == name].assign(model=member) for member, name in swap.items()]
        origins = set.intersection(*(set(variant["origin"]) for variant in variants))
        kept = members[~members["model"].isin(swap) & members["origin"].isin(origins)]
        both = pd.concat([*(v[v["origin"].isin(origins)] for v in variants), kept], ignore_index=True)
        parts.append(blended_windows(both, [STALLION_BLEND]).assign(model=label))
    return pd.concat(parts, ignore_index=True)


def variant_pair(text: str) -> tuple[str, str]:
    """``A:B`` of ``--blend-pairs``: two variants named in ``VARIANTS``."""
    pair = tuple(text.split(":"))
    if len(pair) != 2 or not set(pair) <= set(VARIANTS):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected LIGHTGBM_VARIANT:NO_IDS_VARIANT, variants among {list(VARIANTS)}"
        )
    return pair


def main() -> None:
    parser = window_arguments(
        __doc__.splitlines()[0], load_help="summarise the forecasts written by this script's --save (runs combine)"
    )
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--save", type=Path, help="write the variants' window forecasts here (Parquet)")
    parser.add_argument(
        "--blend-windows", type=Path, nargs="+",
        help="window forecasts of stallion_backtest.py --save: also score each variant inside the default "
        "blend (STALLION_BLEND), its AutoETS read from these files",
    )
    parser.add_argument(
        "--blend-pairs", type=variant_pair, nargs="+", default=[], metavar="A:B",
        help="with --blend-windows: also the blend with variant A as its LightGBM and B as its LightGBM without ids",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    if args.load:
        predictions = pd.concat([pd.read_parquet(path) for path in args.load], ignore_index=True)
    else:
        history, spec = load_history(args)
        origins = window_origins(pd.Timestamp(args.first), history[TIME].max(), HORIZON, args.step, "MS")
        parts = [
            variant_forecasts(history, VARIANTS[name](spec), origin).assign(model=name, origin=origin)
            for name in args.variants
            for origin in origins
        ]
        predictions = pd.concat(parts, ignore_index=True)
        if args.save:
            predictions.to_parquet(args.save, index=False)
    scores = window_scores(predictions)
    origins = sorted(scores["origin"].unique())
    print(
        f"{len(origins)} origins {pd.Timestamp(origins[0]):%Y-%m} .. {pd.Timestamp(origins[-1]):%Y-%m}, "
        f"{HORIZON} months ahead; diff = MAE minus the recipe's on the same window"
    )
    pd.set_option("display.width", 200)
    reference = RECIPE if RECIPE in set(scores["model"]) else None
    print(window_summary(scores, reference=reference).round(3).to_string(index=False))
    print("\nper window, MAE of P50:")
    print(scores.pivot(index="origin", columns="model", values="mae").round(1).to_string())
    if args.blend_windows:
        blended = window_scores(in_the_blend(predictions, args.blend_windows, args.blend_pairs))
        for metric in ("mae", "pinball"):
            print(f"\ninside the blend {STALLION_BLEND.label}: diff = {metric} minus the recipe's blend's")
            summary = window_summary(blended, reference=f"{RECIPE}+blend", metric=metric)
            print(summary.round(3).to_string(index=False))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
