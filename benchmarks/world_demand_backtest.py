"""The world's demand model with and without the ensemble, over rolling windows and seeds.

For each seed a small world is simulated (``--skus`` x ``--locations``, ``--days`` days, the ERP
baseline policy), its daily demand per SKU-location is built from the canonical tables exactly as
``backorder train demand`` does (last ``history_days`` days of the ``DEMAND`` recipe), and every
demand model is backtested over ``--windows`` consecutive 7-day windows ending on the last day:
the recipe's LightGBM, the same LightGBM without the series' identity features
("LightGBMNoIds"), the ensemble (``EnsembleSpec(season_length=7, n_windows=--n-windows,
step=7)``, which learns from the windows before each origin), fixed blends (``BLENDS``: the
LightGBM with AutoETS, with the LightGBM without ids, and Stallion's recipe), statsforecast's
AutoETS and AutoTheta, the LightGBM with Stallion's zero lower bound ("LightGBM +zero P10", zero
shares over the recipe's ``scale_window`` days, ``training.forecasting.zero_mass``), the LightGBM
with its quantiles rounded to whole units ("LightGBM whole units": the demand is counted in whole
units, so its quantiles are whole numbers), the naive baselines and the recent mean that
serves without a demand champion ("RecentMean"), each refitted at every origin on the days up to it. Prints
per model the mean and spread over all (seed, window) pairs of MAE, pinball loss and coverage,
and the difference to the LightGBM on the same window. The hierarchy SKU-location -> SKU ->
category -> total is reconciled by ``world_hierarchy.py``.

    .venv/bin/python benchmarks/world_demand_backtest.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from simulation import SimulationConfig  # noqa: E402
from simulation.run import simulate  # noqa: E402
from training.forecasting.backtest import (  # noqa: E402
    ensemble_backtest,
    window_forecasts,
    window_origins,
    window_scores,
    window_summary,
)
from training.forecasting.baselines import recent_mean_forecasts  # noqa: E402
from training.forecasting.blend import LIGHTGBM_NO_IDS, QUANTILE_COLUMNS, BlendSpec, blended_windows  # noqa: E402
from training.forecasting.ensemble import EnsembleSpec, earlier_origins  # noqa: E402
from training.forecasting.zero_mass import zero_lower_bound_windows  # noqa: E402
from training.recipes import DEMAND, STALLION_BLEND, demand_spec  # noqa: E402
from training.world_datasets import daily_demand  # noqa: E402

BLENDS = (
    *(BlendSpec(weights=(("LightGBM", share), ("AutoETS", 1 - share)), season_length=DEMAND.season_length)
      for share in (0.9, 0.75)),
    BlendSpec(weights=(("LightGBM", 0.5), (LIGHTGBM_NO_IDS, 0.5)), season_length=DEMAND.season_length),
    BlendSpec(weights=STALLION_BLEND.weights, season_length=DEMAND.season_length),
)


def simulated_demand(seed: int, skus: int, locations: int, days: int, history_days: int) -> pd.DataFrame:
    """The daily demand per SKU-location of a world simulated under the ERP baseline policy, built
    from its canonical tables as ``backorder train demand`` builds it, last ``history_days`` days."""
    config = SimulationConfig(seed=seed, n_skus=skus, n_locations=locations, n_days=days)
    tables = simulate(config).tables
    return daily_demand(
        tables["order_lines"], tables["orders"], tables["promotions"],
        tables["inventory_snapshots"], tables["skus"], history_days,
    )


def recent_mean_windows(frame: pd.DataFrame, origins: list[pd.Timestamp]) -> pd.DataFrame:
    """What serves without a demand champion (``RecentMean``) at each origin, beside the actuals."""
    actual = frame[["unique_id", "ds", "y"]]
    parts = [
        recent_mean_forecasts(frame[frame["ds"] <= origin], DEMAND.horizon).merge(actual).assign(origin=origin)
        for origin in origins
    ]
    return pd.concat(parts, ignore_index=True)


def seed_scores(seed: int, args: argparse.Namespace) -> pd.DataFrame:
    """Window scores of every model on one world; ``origin`` is labelled with the seed."""
    frame = simulated_demand(seed, args.skus, args.locations, args.days, DEMAND.history_days)
    spec = demand_spec(DEMAND)
    ensemble = EnsembleSpec(season_length=DEMAND.season_length, n_windows=args.n_windows, step=DEMAND.horizon)
    last = frame["ds"].max()
    first_scored = last - pd.Timedelta(days=DEMAND.horizon * args.windows)
    first = earlier_origins(first_scored, DEMAND.horizon, "D", ensemble)[0]
    origins = window_origins(first, last, DEMAND.horizon, DEMAND.horizon, "D")
    windows = window_forecasts(frame, spec, ensemble, origins, views=(LIGHTGBM_NO_IDS,))
    predictions = ensemble_backtest(windows, spec, ensemble)
    lightgbm = predictions[predictions["model"] == "LightGBM"]
    bounded = zero_lower_bound_windows(lightgbm, frame, spec.features.scale_window).assign(model="LightGBM +zero P10")
    whole = lightgbm.assign(model="LightGBM whole units", **{q: lightgbm[q].round() for q in QUANTILE_COLUMNS})
    served = recent_mean_windows(frame, origins)
    predictions = pd.concat([predictions, blended_windows(predictions, BLENDS), bounded, whole, served],
                            ignore_index=True)
    scores = window_scores(predictions)
    scores = scores[scores["origin"] >= first_scored]
    print(f"seed {seed}: {frame['unique_id'].nunique()} series, {len(origins)} windows fitted", flush=True)
    return scores.assign(origin=f"{seed}:" + scores["origin"].dt.strftime("%Y-%m-%d"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--locations", type=int, default=2)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--windows", type=int, default=3, help="scored 7-day windows per world")
    parser.add_argument("--n-windows", type=int, default=3, help="earlier windows the ensemble learns from")
    args = parser.parse_args()
    started = time.perf_counter()
    scores = pd.concat([seed_scores(seed, args) for seed in args.seeds], ignore_index=True)
    pd.set_option("display.width", 200)
    for metric in ("mae", "pinball"):
        pairs = scores["origin"].nunique()
        print(f"\n{pairs} (seed, window) pairs; diff = {metric} minus LightGBM's on the same window")
        print(window_summary(scores, reference="LightGBM", metric=metric).round(4).to_string(index=False))
    print("\nper window:")
    print(scores.pivot(index="origin", columns="model", values="pinball").round(4).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
