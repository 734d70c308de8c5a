"""Two checks of fixed-weight blends on rolling-origin backtest windows.

``chosen_blends``: at each origin, the blend of a grid that did best on earlier windows only.
Scored beside a fixed blend, it says whether the fixed weights are a choice tuned on the windows
they are scored on: a choice made before each window that does as well is not.

``ahead_of_parts``: whether a blend is ahead of each of its members and of the baselines beyond
the spread (the mean gain over windows above the standard deviation of that gain), on the MAE of
P50 and on the pinball loss, every model with the zero lower bound its forecasts get.
"""

from __future__ import annotations

import pandas as pd

from training.forecasting.backtest import BASELINE_MODELS, window_scores, window_summary
from training.forecasting.blend import BlendSpec, blended_windows
from training.forecasting.zero_mass import zero_lower_bound_windows


def chosen_blends(
    predictions: pd.DataFrame, candidates: dict[str, BlendSpec], name: str, n_windows: int, horizon: int
) -> pd.DataFrame:
    """At each origin with ``n_windows`` earlier windows whose ``horizon`` months end by it, the
    blend of ``candidates`` with the lowest mean pinball loss on those windows, its forecasts
    named ``name`` and ``choice`` the candidate's key. Origins with fewer earlier windows are left
    out."""
    blended = blended_windows(predictions, list(candidates.values()))
    key_of = {blend.label: key for key, blend in candidates.items()}
    pinball = window_scores(blended).pivot(index="origin", columns="model", values="pinball")
    origins = sorted(pinball.index)
    chosen = []
    for origin in origins:
        earlier = [o for o in origins if o + pd.DateOffset(months=horizon) <= origin][-n_windows:]
        if len(earlier) < n_windows:
            continue
        label = pinball.loc[earlier].mean().idxmin()
        rows = blended[(blended["origin"] == origin) & (blended["model"] == label)]
        chosen.append(rows.assign(model=name, choice=key_of[label]))
    return pd.concat(chosen, ignore_index=True)


def ahead_of_parts(
    predictions: pd.DataFrame, blend: BlendSpec, history: pd.DataFrame, periods: int
) -> pd.DataFrame:
    """``blend`` (its forecasts named by its label in ``predictions``) against each of its members
    and of ``BASELINE_MODELS``, with the zero lower bound read from ``history``'s last ``periods``
    periods before each origin: per measure (``mae``, ``pinball``), the other model's mean minus
    the blend's over windows, the spread of that difference, ``blend_wins`` the windows where the
    other model does not beat the blend, and ``beyond_spread``, whether the mean is above the
    spread."""
    others = [*(name for name, _ in blend.weights), *BASELINE_MODELS]
    chosen = predictions[predictions["model"].isin([blend.label, *others])]
    scores = window_scores(zero_lower_bound_windows(chosen, history, periods))
    tables = []
    for metric in ("mae", "pinball"):
        paired = window_summary(scores, reference=blend.label, metric=metric).set_index("model").loc[others]
        tables.append(pd.DataFrame({
            "against": others,
            "metric": metric,
            "mean": paired["diff_mean"].to_numpy(),
            "sd": paired["diff_std"].to_numpy(),
            "blend_wins": (paired["windows"] - paired["wins"]).to_numpy(),
            "windows": paired["windows"].to_numpy(),
            "beyond_spread": (paired["diff_mean"] > paired["diff_std"]).to_numpy(),
        }))
    return pd.concat(tables, ignore_index=True)
