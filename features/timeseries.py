"""Time-series features declared as data (like Nixtla's mlforecast), computed without row loops.

A ``LagFeatureSpec`` says *which* features exist; ``origin_features`` computes them for every
(series, origin) row from values at or before the origin only, and ``direct_training_frame``
stacks one copy per horizon with the target and the known-in-advance covariates of the target
date. Input is long format ``unique_id, ds, y`` on a regular grid per series (``fill_gaps``
makes it so); point-in-time correctness rests on ``groupby().shift(k)`` with ``k >= 0`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

ID, TIME, TARGET = "unique_id", "ds", "y"
_DATE_PARTS = {
    "month": lambda d: d.dt.month,
    "quarter": lambda d: d.dt.quarter,
    "year": lambda d: d.dt.year,
    "dayofweek": lambda d: d.dt.dayofweek,
    "dayofmonth": lambda d: d.dt.day,
    "dayofyear": lambda d: d.dt.dayofyear,
    "weekofyear": lambda d: d.dt.isocalendar().week.astype("int64"),
}


@dataclass(frozen=True)
class LagFeatureSpec:
    """Which history features to compute.

    ``lags``: offsets before the origin (0 = the last observed value). ``seasonal_lags``: lags
    relative to the *target* date (e.g. 7 or 12), usable only while ``lag >= horizon``.
    ``windows``: rolling windows ending at the origin, each giving mean, std and share of zeros.
    ``date_features``: calendar parts of the target date. ``past_covariates``: columns known only
    up to the origin (taken at the origin). ``scale_window``: window of the mean |y| used to make
    the features and target scale-free across series.
    """

    lags: tuple[int, ...] = (0, 1, 2)
    seasonal_lags: tuple[int, ...] = ()
    windows: tuple[int, ...] = (3,)
    date_features: tuple[str, ...] = ("month",)
    past_covariates: tuple[str, ...] = ()
    scale_window: int = 12

    def __post_init__(self) -> None:
        unknown = set(self.date_features) - set(_DATE_PARTS)
        if unknown:
            raise ValueError(
                f"date_features: unknown part(s) {sorted(unknown)}; use {sorted(_DATE_PARTS)}"
            )
        if any(k < 0 for k in self.lags) or any(w < 1 for w in self.windows):
            raise ValueError("lags must be >= 0 and windows >= 1")
        if any(s < 1 for s in self.seasonal_lags) or self.scale_window < 1:
            raise ValueError("seasonal_lags and scale_window must be >= 1")


def check_long_frame(df: pd.DataFrame, freq: str) -> None:
    """Raise a clear error unless ``df`` is long format on a regular ``freq`` grid per series."""
    missing = {ID, TIME, TARGET} - set(df.columns)
    if missing:
        raise ValueError(f"demand frame: missing column(s) {sorted(missing)}")
    if not pd.api.types.is_datetime64_any_dtype(df[TIME]):
        raise ValueError(f"demand frame: column '{TIME}' must be datetime, got {df[TIME].dtype}")
    if df.duplicated([ID, TIME]).any():
        raise ValueError(f"demand frame: duplicated ({ID}, {TIME}) rows")
    ordered = df.sort_values([ID, TIME])
    expected = ordered.groupby(ID, sort=False)[TIME].shift(1) + to_offset(freq)
    has_prev = expected.notna()
    if (ordered.loc[has_prev, TIME] != expected[has_prev]).any():
        raise ValueError(
            f"demand frame: '{TIME}' has gaps or is off the '{freq}' grid; use fill_gaps"
        )


def fill_gaps(df: pd.DataFrame, freq: str, fill_value: float = 0.0) -> pd.DataFrame:
    """Complete each series' grid between its first and last date; missing ``y`` = ``fill_value``.

    For demand, a period without a sale record is a period with zero demand.
    """
    bounds = df.groupby(ID)[TIME].agg(["min", "max"])
    grids = [
        pd.DataFrame({ID: uid, TIME: pd.date_range(lo, hi, freq=freq)})
        for uid, lo, hi in bounds.itertuples()
    ]
    full = pd.concat(grids, ignore_index=True).merge(df, on=[ID, TIME], how="left")
    full[TARGET] = full[TARGET].fillna(fill_value)
    return full


def _rolling_sum(values: pd.Series, groups: pd.Series, window: int) -> pd.Series:
    """Per-series trailing sum over ``window`` rows ending at the current row (cumsum trick)."""
    csum = values.groupby(groups, sort=False).cumsum()
    before = csum.groupby(groups, sort=False).shift(window).fillna(0.0)
    return csum - before


def origin_features(df: pd.DataFrame, spec: LagFeatureSpec, window: int | None = None) -> pd.DataFrame:
    """Features of every row seen as a forecast origin: only values at or before that row.

    ``df`` must be sorted by ``unique_id, ds`` on a regular grid. Returns ``unique_id, ds`` plus
    ``scale`` (mean |y| over ``scale_window``, a per-series unit) and scale-free features.
    ``window`` limits each origin's history to its last ``window`` rows, the origin included (None:
    the whole series), so one pass gives every origin the features a frame cut to its trailing
    window would give it.
    """
    groups = pd.Series(pd.factorize(df[ID])[0], index=df.index)  # int codes: each groupby hashes ints, not strings
    y = df[TARGET].astype("float64")
    grouped = y.groupby(groups, sort=False)
    observed = y.notna().astype("float64")
    y0 = y.fillna(0.0)
    span = (lambda rows: rows) if window is None else (lambda rows: min(rows, window))
    age = grouped.cumcount()
    if window is not None:
        age = age.clip(upper=window - 1)

    count = _rolling_sum(observed, groups, span(spec.scale_window))
    scale = _rolling_sum(y0.abs(), groups, span(spec.scale_window)) / count.where(count > 0)
    if window is None:
        mean_all = y0.groupby(groups, sort=False).cumsum() / observed.groupby(groups, sort=False).cumsum()
    else:
        mean_all = _rolling_sum(y0, groups, window) / _rolling_sum(observed, groups, window)
    scale = scale.fillna(mean_all.abs())
    unit = scale.where(scale > 0, 1.0)

    out = {ID: df[ID].to_numpy(), TIME: df[TIME].to_numpy(), "scale": scale.to_numpy()}
    out["log_scale"] = np.log1p(scale.to_numpy())
    for k in spec.lags:
        seen = window is None or k < window  # a lag past the window is outside the origin's history
        out[f"lag{k}"] = (grouped.shift(k) / unit).to_numpy() if seen else np.full(len(df), np.nan)
    for w in spec.windows:
        n = _rolling_sum(observed, groups, span(w))
        n = n.where(n > 0)
        s1 = _rolling_sum(y0, groups, span(w))
        s2 = _rolling_sum(y0 * y0, groups, span(w))
        mean = s1 / n
        var = ((s2 - n * mean * mean) / (n - 1)).clip(lower=0.0)
        zeros = _rolling_sum(((y0 == 0) & y.notna()).astype("float64"), groups, span(w))
        out[f"mean{w}"] = (mean / unit).to_numpy()
        out[f"std{w}"] = (np.sqrt(var) / unit).to_numpy()
        out[f"zero_share{w}"] = (zeros / n).to_numpy()
    for col in spec.past_covariates:
        out[f"past_{col}"] = pd.to_numeric(df[col], errors="coerce").to_numpy()
    out["age"] = age.to_numpy()
    return pd.DataFrame(out, index=df.index)


def seasonal_lag_columns(spec: LagFeatureSpec) -> list[str]:
    return [f"slag{s}" for s in spec.seasonal_lags]


def add_horizon_features(
    frame: pd.DataFrame,
    history: pd.DataFrame,
    spec: LagFeatureSpec,
    horizon: int,
    freq: str,
) -> pd.DataFrame:
    """Add ``horizon``, target date ``target_ds``, calendar parts and seasonal lags to origin rows.

    A seasonal lag ``s`` of the target date is the value ``s - horizon`` steps before the origin;
    when ``s < horizon`` it lies after the origin and is left missing (never peeked at).
    """
    out = frame.copy()
    out["horizon"] = horizon
    out["target_ds"] = out[TIME] + horizon * to_offset(freq)
    for part in spec.date_features:
        out[f"target_{part}"] = _DATE_PARTS[part](out["target_ds"]).to_numpy()
    unit = out["scale"].where(out["scale"] > 0, 1.0)
    if spec.seasonal_lags:
        lookup = history[[ID, TIME, TARGET]]
        for s in spec.seasonal_lags:
            col = f"slag{s}"
            if s < horizon:
                out[col] = np.nan
                continue
            keys = pd.DataFrame({ID: out[ID], TIME: out["target_ds"] - s * to_offset(freq)})
            vals = keys.merge(lookup, on=[ID, TIME], how="left")[TARGET].to_numpy()
            out[col] = vals / unit.to_numpy()
    return out


def direct_training_frame(
    df: pd.DataFrame,
    spec: LagFeatureSpec,
    horizon: int,
    freq: str,
    known_covariates: tuple[str, ...] = (),
) -> pd.DataFrame:
    """One row per (series, origin, horizon 1..H) whose target is observed.

    Target ``y`` and the known covariates are those of ``target_ds``; everything else comes from
    ``origin_features``. Sorting and grid checks are the caller's job (``check_long_frame``).
    """
    base = origin_features(df, spec)
    targets = df[[ID, TIME, TARGET, *known_covariates]].rename(columns={TIME: "target_ds"})
    frames = []
    for h in range(1, horizon + 1):
        rows = add_horizon_features(base, df, spec, h, freq)
        frames.append(rows.merge(targets, on=[ID, "target_ds"], how="inner"))
    out = pd.concat(frames, ignore_index=True)
    return out[out[TARGET].notna()].reset_index(drop=True)


def demand_class(df: pd.DataFrame) -> pd.Series:
    """Syntetos-Boylan class per series (smooth / erratic / intermittent / lumpy).

    ADI = periods per non-zero demand, CV² = squared coefficient of variation of non-zero sizes;
    cut-offs 1.32 and 0.49. Series without any non-zero demand are "zero".
    """
    y = df[TARGET].astype("float64")
    nonzero = y.where(y > 0)
    grouped = nonzero.groupby(df[ID])
    adi = y.groupby(df[ID]).count() / grouped.count().replace(0, np.nan)
    cv2 = (grouped.std(ddof=0) / grouped.mean()) ** 2
    return pd.Series(_syntetos_boylan(adi.to_numpy(), cv2.to_numpy()), index=adi.index, name="demand_class")


def rolling_demand_class(df: pd.DataFrame, window: int) -> pd.Series:
    """``demand_class`` of each row's series over its last ``window`` rows (the row included), for
    every row at once; ``df`` sorted by ``unique_id, ds`` on a regular grid."""
    groups = pd.Series(pd.factorize(df[ID])[0], index=df.index)
    y = df[TARGET].astype("float64")
    nonzero = (y > 0).astype("float64")
    sizes = y.where(y > 0, 0.0)
    periods = _rolling_sum(y.notna().astype("float64"), groups, window)
    hits = _rolling_sum(nonzero, groups, window).replace(0, np.nan)
    mean = _rolling_sum(sizes, groups, window) / hits
    var = (_rolling_sum(sizes * sizes, groups, window) / hits - mean * mean).clip(lower=0.0)
    cv2 = (np.sqrt(var) / mean) ** 2
    return pd.Series(_syntetos_boylan((periods / hits).to_numpy(), cv2.to_numpy()), index=df.index, name="demand_class")


def _syntetos_boylan(adi: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    return np.select(
        [np.isnan(adi), (adi < 1.32) & (cv2 < 0.49), adi < 1.32, cv2 < 0.49],
        ["zero", "smooth", "erratic", "intermittent"],
        default="lumpy",
    )
