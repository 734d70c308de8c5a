"""Coherent forecasts across a hierarchy: base forecasts at every level, reconciled by MinTrace.

A hierarchy is declared as data: its levels, each a tuple of key columns of the bottom series,
the last level being the bottom itself and ``()`` the grand total. Levels need not nest:
Stallion's agency totals and SKU totals are two groupings of the same agency x SKU series.
``hierarchicalforecast`` builds the summing matrix; the base forecasts are the bottom model's P50
for the bottom series and statsforecast's AutoETS on every aggregate series, and MinTrace
projects them onto coherent forecasts, constrained non-negative: ``mint_shrink`` weighs them by
the covariance of the base errors shrunk towards its diagonal, ``wls_var`` by their variances.
Both are read from the base forecasts' errors on earlier backtest windows, out of sample: a
global LightGBM's in-sample residuals understate its errors, and would then pull every level
towards the bottom.

Only the P50 is reconciled; P10/P90 stay those of each level's own model, or move along with
the P50 (``with_reconciled_p50``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace
from hierarchicalforecast.utils import aggregate
from pandas.tseries.frequencies import to_offset
from statsforecast import StatsForecast
from statsforecast.models import AutoETS

from contracts.keys import SERIES_SEPARATOR, SKU_LOCATION
from features.timeseries import ID, TARGET, TIME
from training.forecasting.backtest import window_summary

TOTAL = "total"
NODE = "node"
BASE = "base"
BOTTOM_UP = "BottomUp"
MIN_TRACE = "MinTrace"
WLS_VAR = "MinTraceWLS"
RECONCILERS = (BOTTOM_UP, MIN_TRACE, WLS_VAR)


@dataclass(frozen=True)
class Hierarchy:
    """Levels from the top (``()``, the grand total) to the bottom (every key column)."""

    levels: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        if not self.levels or self.levels[0] != ():
            raise ValueError("Hierarchy: the first level must be () (the grand total)")
        bottom = set(self.levels[-1])
        for level in self.levels:
            if not set(level) <= bottom or len(level) > len(bottom):
                raise ValueError(f"Hierarchy: level {level} is not a grouping of the bottom {self.bottom}")

    @property
    def bottom(self) -> tuple[str, ...]:
        return self.levels[-1]

    def name(self, level: tuple[str, ...]) -> str:
        """How reports name a level: ``total`` or its key columns joined by ``/``."""
        return "/".join(level) or TOTAL


STALLION_HIERARCHY = Hierarchy(((), ("agency",), ("sku",), ("agency", "sku")))
WORLD_HIERARCHY = Hierarchy(
    ((), ("category",), ("category", "sku_id"), ("category", "sku_id", "location_id"))
)


def with_key_columns(frame: pd.DataFrame, columns: Sequence[str] = SKU_LOCATION) -> pd.DataFrame:
    """``frame`` plus the key columns its series ids were built from (``contracts.keys.series_id``):
    the world's demand frame names SKU-locations by id only."""
    parts = frame[ID].astype(str).str.split(SERIES_SEPARATOR, n=len(columns) - 1, expand=True)
    if parts.shape[1] != len(columns) or parts.isna().any().any():
        raise ValueError(f"unique_id: not made of the {len(columns)} keys {list(columns)}")
    return frame.assign(**{col: parts[i].to_numpy() for i, col in enumerate(columns)})


@dataclass(frozen=True)
class Levels:
    """Every series of the hierarchy: ``frame`` (``node, ds, y``), the summing matrix ``S``,
    ``tags`` (level name -> nodes), ``level`` (node -> level name) and ``bottom_node``
    (bottom ``unique_id`` -> node)."""

    frame: pd.DataFrame
    S: pd.DataFrame
    tags: dict[str, np.ndarray]
    level: pd.Series
    bottom_node: pd.Series


def aggregate_levels(bottom: pd.DataFrame, hierarchy: Hierarchy) -> Levels:
    """Sum the bottom series (``unique_id, ds, y`` and the key columns) to every level."""
    keys = list(hierarchy.bottom)
    missing = sorted(set([ID, TIME, TARGET, *keys]) - set(bottom.columns))
    if missing:
        raise ValueError(f"bottom: missing column(s) {missing}")
    data = bottom[[ID, TIME, TARGET, *keys]].copy()
    for col in keys:
        if data[col].isna().any():
            raise ValueError(f"bottom: column '{col}' has {int(data[col].isna().sum())} missing value(s)")
        data[col] = data[col].astype(str)
        if data[col].str.contains("/", regex=False).any():
            raise ValueError(f"bottom: column '{col}' holds '/', which separates levels")
    nodes = data.groupby(ID)[keys].first()
    bottom_node = pd.Series(
        ["/".join([TOTAL, *row]) for row in nodes.itertuples(index=False)], index=nodes.index, name=NODE
    )
    if bottom_node.duplicated().any():
        raise ValueError(f"bottom: several series share the keys {keys}")
    spec = [[TOTAL, *level] for level in hierarchy.levels]
    frame, S, raw_tags = aggregate(data.drop(columns=ID).assign(**{TOTAL: TOTAL}), spec)
    tags = {hierarchy.name(level): raw_tags["/".join(s)] for level, s in zip(hierarchy.levels, spec, strict=True)}
    level = pd.Series({node: name for name, ids in tags.items() for node in ids}, name="level")
    return Levels(
        frame=frame.rename(columns={"unique_id": NODE}),
        S=S,
        tags=tags,
        level=level,
        bottom_node=bottom_node,
    )


def upper_forecasts(
    levels: Levels, origin: pd.Timestamp, h: int, freq: str, season_length: int
) -> pd.DataFrame:
    """AutoETS P50 (``node, ds, p50``) for every series above the bottom, fitted on the periods up
    to ``origin``, horizons 1..h."""
    frame = levels.frame[levels.frame[TIME] <= pd.Timestamp(origin)]
    data = frame[~frame[NODE].isin(set(levels.bottom_node))].rename(columns={NODE: "unique_id"})
    # As in the ensemble: on short series AutoETS ranks the models with as many parameters as
    # points last through a division by zero.
    with np.errstate(divide="ignore", invalid="ignore"):
        wide = StatsForecast(
            models=[AutoETS(season_length=season_length)], freq=freq, n_jobs=1
        ).forecast(h=h, df=data.astype({TARGET: "float64"}))
    return pd.DataFrame(
        {
            NODE: wide["unique_id"].to_numpy(),
            TIME: pd.to_datetime(wide[TIME]).to_numpy(),
            "p50": np.clip(wide["AutoETS"].to_numpy(dtype="float64"), 0, None),
        }
    )


def base_forecasts(bottom_p50: pd.DataFrame, upper: pd.DataFrame, levels: Levels) -> pd.DataFrame:
    """``node, ds, p50`` of every series: the bottom model's (``unique_id, ds, p50``, floored at
    zero as demand is) and ``upper``. A bottom series without a forecast raises: the hierarchy
    would not add up."""
    bottom = bottom_p50[[ID, TIME]].assign(
        p50=bottom_p50["p50"].clip(lower=0.0), **{NODE: bottom_p50[ID].map(levels.bottom_node)}
    )
    unknown = bottom.loc[bottom[NODE].isna(), ID].unique()
    if len(unknown):
        raise ValueError(f"bottom forecasts: {len(unknown)} unique_id(s) not in the hierarchy, e.g. {unknown[0]}")
    absent = set(levels.bottom_node) - set(bottom[NODE])
    if absent:
        raise ValueError(f"bottom forecasts: {len(absent)} bottom series have none, e.g. {sorted(absent)[0]}")
    return pd.concat([bottom[[NODE, TIME, "p50"]], upper[[NODE, TIME, "p50"]]], ignore_index=True)


def reconcile(
    base: pd.DataFrame,
    levels: Levels,
    errors: pd.DataFrame | None,
    reconcilers: Sequence[str] = RECONCILERS,
) -> pd.DataFrame:
    """Long ``node, ds, level, model, p50``: the base forecasts (``model`` = "base") and each of
    ``reconcilers``: "BottomUp"; "MinTrace" (mint_shrink) and "MinTraceWLS" (wls_var: the error
    variances only, steadier with few earlier windows), both non-negative and needing ``errors``,
    ``node, ds, y, p50`` of the base forecasters on earlier windows (``latest_errors``)."""
    unknown = sorted(set(reconcilers) - set(RECONCILERS))
    if unknown:
        raise ValueError(f"reconcilers: unknown {unknown}; known: {list(RECONCILERS)}")
    if set(reconcilers) & {MIN_TRACE, WLS_VAR} and (errors is None or errors.empty):
        raise ValueError("errors: MinTrace needs the base forecasts' errors on earlier windows")
    methods = {
        BOTTOM_UP: BottomUp(),
        MIN_TRACE: MinTrace(method="mint_shrink", nonnegative=True),
        WLS_VAR: MinTrace(method="wls_var", nonnegative=True),
    }
    hat = base.rename(columns={NODE: "unique_id", "p50": BASE})[["unique_id", TIME, BASE]]
    insample = None
    if errors is not None and not errors.empty:
        # Every series needs rows; one without earlier errors (a launch) gets missing values,
        # which the covariance estimate leaves out pair by pair.
        grid = pd.MultiIndex.from_product(
            [hat["unique_id"].unique(), errors[TIME].unique()], names=["unique_id", TIME]
        )
        insample = (
            errors.rename(columns={NODE: "unique_id", "p50": BASE})
            .set_index(["unique_id", TIME])[[TARGET, BASE]]
            .reindex(grid)
            .reset_index()
        )
    with warnings.catch_warnings():
        # The non-negative solver announces each clipped value and its sparse-matrix conversion.
        warnings.filterwarnings("ignore", message="Replacing negative forecasts with zero")
        warnings.filterwarnings("ignore", message="Converted matrix")
        wide = HierarchicalReconciliation([methods[name] for name in reconcilers]).reconcile(
            Y_hat_df=hat, Y_df=insample, S_df=levels.S, tags=levels.tags
        )
    columns = {BASE: BASE}
    for name in reconcilers:
        method = methods[name]
        label = f"{BASE}/BottomUp" if name == BOTTOM_UP else f"{BASE}/MinTrace_method-{method.method}"
        columns[next(c for c in wide.columns if c.startswith(label))] = name
    long = wide.rename(columns={"unique_id": NODE}).melt(
        id_vars=[NODE, TIME], value_vars=list(columns), var_name="model", value_name="p50"
    )
    long["model"] = long["model"].map(columns)
    long["level"] = long[NODE].map(levels.level)
    return long


def latest_errors(windows: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``node, ds, y, p50`` from earlier windows' base forecasts (each with ``origin`` and ``y``):
    for each series and date the forecast made last, so every date counts once."""
    frames = pd.concat(windows, ignore_index=True).sort_values("origin")
    return frames.drop_duplicates([NODE, TIME], keep="last")[[NODE, TIME, TARGET, "p50"]]


def level_errors(reconciled: pd.DataFrame, levels: Levels) -> pd.DataFrame:
    """Error of P50 per (level, model) against the summed actuals: ``mae`` and ``wape`` per
    period, ``wape_window`` of each series' total over the window (what a replenishment over the
    horizon needs), and ``n`` rows scored per period."""
    scored = reconciled.merge(levels.frame, on=[NODE, TIME], how="inner")
    scored["abs_error"] = (scored[TARGET] - scored["p50"]).abs()
    totals = scored.groupby(["level", "model", NODE])[[TARGET, "p50"]].sum()
    totals["abs_error"] = (totals[TARGET] - totals["p50"]).abs()
    per_period = scored.groupby(["level", "model"]).agg(
        mae=("abs_error", "mean"), abs_error=("abs_error", "sum"), actual=(TARGET, "sum"),
        n=("abs_error", "size"),
    )
    per_window = totals.groupby(["level", "model"])[["abs_error", TARGET]].sum()
    return pd.DataFrame(
        {
            "mae": per_period["mae"],
            "wape": per_period["abs_error"] / per_period["actual"],
            "wape_window": per_window["abs_error"] / per_window[TARGET],
            "n": per_period["n"],
        }
    ).reset_index()


def is_coherent(reconciled: pd.DataFrame, levels: Levels, model: str, atol: float = 1e-6) -> bool:
    """Whether ``model``'s P50 of every series equals the sum of its bottom series' P50."""
    rows = reconciled[reconciled["model"] == model]
    wide = rows.pivot(index=NODE, columns=TIME, values="p50")
    S = levels.S.set_index("unique_id")
    implied = S.loc[wide.index, :].to_numpy() @ wide.loc[S.columns].to_numpy()
    return bool(np.allclose(wide.to_numpy(), implied, atol=atol, rtol=1e-9))


def reconciled_windows(
    bottom: pd.DataFrame,
    hierarchy: Hierarchy,
    bottom_forecasts: dict[pd.Timestamp, pd.DataFrame],
    h: int,
    freq: str,
    season_length: int,
    min_error_windows: int = 1,
    error_windows: int | None = None,
) -> Iterator[tuple[pd.Timestamp, Levels, pd.DataFrame]]:
    """Per origin, oldest first: the hierarchy's ``Levels`` and the base and reconciled P50
    (``reconcile``) of every series.

    ``bottom``: the bottom series with their key columns, all dates; ``bottom_forecasts``: per
    origin, the bottom model's ``unique_id, ds, p50`` fitted on the periods up to that origin.
    At each origin the hierarchy holds the series with history by then (a later launch joins the
    totals when it has a forecast) and the upper levels' AutoETS is fitted on the same periods.
    MinTrace at an origin learns from the windows whose forecasts all end by it, the latest
    ``error_windows`` of them (all when None); origins with fewer than ``min_error_windows`` such
    windows are skipped.
    """
    if min_error_windows < 1:
        raise ValueError("min_error_windows: MinTrace needs at least 1 earlier window")
    offset = to_offset(freq)
    bases: dict[pd.Timestamp, pd.DataFrame] = {}
    for origin in sorted(pd.Timestamp(o) for o in bottom_forecasts):
        known = bottom.loc[bottom[TIME] <= origin, ID].unique()
        levels = aggregate_levels(bottom[bottom[ID].isin(known)], hierarchy)
        upper = upper_forecasts(levels, origin, h, freq, season_length)
        base = base_forecasts(bottom_forecasts[origin], upper, levels)
        truth = levels.frame[[NODE, TIME, TARGET]]
        bases[origin] = base.merge(truth, on=[NODE, TIME], how="left").assign(origin=origin)
        earlier = [b for o, b in bases.items() if o + h * offset <= origin]
        earlier = earlier[-error_windows:] if error_windows else earlier
        if len(earlier) < min_error_windows:
            continue
        yield origin, levels, reconcile(base, levels, latest_errors(earlier))


def hierarchy_backtest(
    bottom: pd.DataFrame,
    hierarchy: Hierarchy,
    bottom_forecasts: dict[pd.Timestamp, pd.DataFrame],
    h: int,
    freq: str,
    season_length: int,
    min_error_windows: int = 1,
) -> pd.DataFrame:
    """Errors per (origin, level, model) of the base and reconciled P50 over rolling windows
    (``level_errors`` of each of ``reconciled_windows``)."""
    rows = [
        level_errors(reconciled, levels).assign(origin=origin)
        for origin, levels, reconciled in reconciled_windows(
            bottom, hierarchy, bottom_forecasts, h, freq, season_length, min_error_windows
        )
    ]
    if not rows:
        raise ValueError(f"bottom_forecasts: no origin has {min_error_windows} earlier window(s)")
    return pd.concat(rows, ignore_index=True)


def with_reconciled_p50(
    forecast: pd.DataFrame, reconciled: pd.DataFrame, levels: Levels, model: str = WLS_VAR
) -> pd.DataFrame:
    """``forecast`` (bottom ``unique_id, ds, p10, p50, p90``) with its P50 replaced by ``model``'s
    reconciled one and P10/P90 moved by the same amount, floored at zero and kept around the P50:
    the interval keeps the width the bottom model learnt. Rows the hierarchy does not hold keep
    their forecast."""
    rows = reconciled.loc[reconciled["model"] == model, [NODE, TIME, "p50"]]
    found = forecast[[ID, TIME]].assign(**{NODE: forecast[ID].map(levels.bottom_node)}).merge(
        rows, on=[NODE, TIME], how="left"
    )
    p50 = pd.Series(found["p50"].to_numpy(), index=forecast.index).fillna(forecast["p50"])
    shift = p50 - forecast["p50"]
    return forecast.assign(
        p10=(forecast["p10"] + shift).clip(lower=0.0).clip(upper=p50),
        p50=p50,
        p90=(forecast["p90"] + shift).clip(lower=p50),
    )


def level_summary(scores: pd.DataFrame, metric: str = "mae") -> pd.DataFrame:
    """``window_summary`` per (level, model) against the base forecast, rows ordered by level
    and model: the metrics over windows and ``metric``'s difference from the base's on the same
    window."""
    summary = window_summary(scores, reference=BASE, metric=metric, by=("level", "model"))
    return summary.sort_values(["level", "model"]).reset_index(drop=True)
