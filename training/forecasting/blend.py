"""A fixed-weight blend of the global LightGBM with statistical models: P10, P50 and P90 each the
weighted mean of the members' (quantile averaging).

Why fixed weights: weights learnt from a few earlier windows (``ensemble``) move with those
windows' luck; weights chosen once on a long rolling-origin backtest and then held do not need
earlier windows at fitting time either. The weights are a recipe's (``training.recipes``), chosen
where the backtest says (docs/benchmarks.md).

Why a second LightGBM view (``LIGHTGBM_NO_IDS``): the same recipe without the series' identity
features (series id and static categoricals) learns only from each series' own lags and
covariates, pooled over series, so its errors differ from the model that can recall a series'
own level: averaged, their errors partly cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from features.timeseries import ID, TARGET, TIME
from training.forecasting.ensemble import LIGHTGBM, MEMBERS, statistical_forecasts
from training.forecasting.model import DemandForecaster, DemandSpec

QUANTILE_COLUMNS = ("p10", "p50", "p90")
LIGHTGBM_NO_IDS = "LightGBMNoIds"


def without_identity(spec: DemandSpec) -> DemandSpec:
    """``spec`` without the features that name a series: its id and its static categoricals."""
    return replace(spec, id_as_feature=False, static_categoricals=())


# The LightGBM members a blend can hold, each a view of the one recipe's ``DemandSpec``.
LIGHTGBM_VIEWS: dict[str, Callable[[DemandSpec], DemandSpec]] = {
    LIGHTGBM: lambda spec: spec,
    LIGHTGBM_NO_IDS: without_identity,
}
BLEND_MEMBERS = (*MEMBERS, LIGHTGBM_NO_IDS)


def lightgbm_view(name: str, spec: DemandSpec) -> DemandForecaster:
    """An unfitted forecaster of the LightGBM view ``name`` (``LIGHTGBM_VIEWS``) of ``spec``."""
    return DemandForecaster(LIGHTGBM_VIEWS[name](spec))


@dataclass(frozen=True)
class BlendSpec:
    """``weights``: (member, weight) pairs, members among ``BLEND_MEMBERS`` (the ensemble's and
    the LightGBM views), weights positive; they are normalised over the members that forecast a row."""

    weights: tuple[tuple[str, float], ...]
    season_length: int

    def __post_init__(self) -> None:
        unknown = sorted({name for name, _ in self.weights} - set(BLEND_MEMBERS))
        if unknown:
            raise ValueError(f"BlendSpec: unknown member(s) {unknown}; known: {list(BLEND_MEMBERS)}")
        if not self.weights or any(weight <= 0 for _, weight in self.weights):
            raise ValueError("BlendSpec: weights must be positive, at least one")

    @property
    def label(self) -> str:
        """How tables name the blend, e.g. ``LightGBM.75+AutoETS.25``."""
        total = sum(weight for _, weight in self.weights)
        return "+".join(f"{name}{weight / total:.2f}".replace("0.", ".") for name, weight in self.weights)

    @property
    def lightgbm_views(self) -> tuple[str, ...]:
        """The blend's LightGBM members (``LIGHTGBM_VIEWS``), in its order."""
        return tuple(name for name, _ in self.weights if name in LIGHTGBM_VIEWS)


def blend_quantiles(members: pd.DataFrame, blend: BlendSpec, keys: tuple[str, ...] = (ID, TIME)) -> pd.DataFrame:
    """``keys`` and P10/P50/P90 blended from long member forecasts (``model`` and the quantile
    columns): the weighted mean over the blend's members present for each key."""
    weights = pd.Series(dict(blend.weights), name="weight")
    rows = members.merge(weights, left_on="model", right_index=True, how="inner")
    weighted = rows[list(QUANTILE_COLUMNS)].mul(rows["weight"], axis=0).assign(weight=rows["weight"])
    sums = weighted.groupby([rows[key] for key in keys]).sum()
    out = sums[list(QUANTILE_COLUMNS)].div(sums["weight"], axis=0)
    return out.reset_index()


def blended_windows(predictions: pd.DataFrame, blends: Sequence[BlendSpec]) -> pd.DataFrame:
    """Each of ``blends`` on every backtest window of ``predictions`` (long member forecasts with
    ``origin``, ``model`` and ``y``), as more rows of the same layout, ``model`` the blend's label:
    fixed weights learn nothing from earlier windows, so every window is scored."""
    keys = ["origin", ID, TIME]
    truth = predictions.drop_duplicates(keys)[[*keys, TARGET]]
    return pd.concat(
        [blend_quantiles(predictions, blend, keys=tuple(keys)).merge(truth, on=keys).assign(model=blend.label)
         for blend in blends],
        ignore_index=True,
    )


class BlendForecaster:
    """Same interface as ``DemandForecaster``: ``fit(df) -> self``, ``predict(h, future)``."""

    def __init__(self, spec: DemandSpec, blend: BlendSpec) -> None:
        self.spec = spec
        self.blend = blend

    def fit(self, df: pd.DataFrame) -> BlendForecaster:
        """Fit each LightGBM view of the blend and forecast its statistical members from the end of ``df``."""
        spec = self.spec
        views = self.blend.lightgbm_views or (LIGHTGBM,)
        self.boosters_ = {name: lightgbm_view(name, spec).fit(df) for name in views}
        first = self.boosters_[views[0]]
        statistical = statistical_forecasts(df, spec.horizon, spec.freq, self.blend.season_length)
        self.statistical_ = statistical[statistical["model"].isin(dict(self.blend.weights))]
        self.origin_ = first.origin_
        self.feature_names_ = first.feature_names_
        self.fit_info_ = dict(first.fit_info_)
        return self

    def predict(self, h: int, future_covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """P10/P50/P90 for horizons 1..h; the LightGBM members read ``future_covariates``."""
        boosters = [
            booster.predict(h, future_covariates).assign(model=name)[[ID, TIME, "model", *QUANTILE_COLUMNS]]
            for name, booster in self.boosters_.items()
        ]
        statistical = self.statistical_.merge(boosters[0][[ID, TIME]], on=[ID, TIME], how="inner")
        members = pd.concat([*boosters, statistical], ignore_index=True)
        return blend_quantiles(members, self.blend).sort_values([ID, TIME]).reset_index(drop=True)
