"""``DemandForecaster``: a direct multi-horizon LightGBM global model with P10/P50/P90.

Why direct, not recursive: one global booster sees every (origin, horizon) pair with ``horizon``
as a feature, so a forecast h steps ahead never feeds on its own earlier forecasts (no error
compounding, no need to simulate the quantiles of intermediate steps), and price/promotion
covariates of the *target* period enter directly. The cost is a training set H times larger,
which is cheap at our sizes.

Why quantile objectives on a scaled target: each quantile booster learns ``y / scale`` (scale =
the series' recent mean |y|) with sample weight ``scale``, which is exactly the pinball loss in
original units while the trees split on scale-free features shared by small and large series.
The median can instead use a Tweedie objective (``center_objective="tweedie"``) for intermittent
demand, whose mean is then shifted to a median by the conformal step. Bounds are corrected by
split conformal calibration on the last ``horizon`` origins, then the booster is refitted on all
data with the early-stopped number of rounds. The conformal unit is each row's predicted
P10-P90 width (normalised CQR) and offsets are fitted per demand class (smooth, erratic,
intermittent, lumpy; Mondrian CQR): one pooled correction over-widens smooth series to fix
erratic ones.

Why an optional mean booster (``mean_objective``): inventory planning needs expected demand, and
for skewed daily counts the median is far below the mean (about half of it in the simulator's
world) while a mean rebuilt from P10/P50/P90 rests on the tails and their one-week conformal
offsets, so its level drifts by data set. A Tweedie booster on the same scaled target, weighted by
the scale, has leaves whose predictions sum to the actuals they hold: an unbiased level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from features.timeseries import (
    ID,
    TARGET,
    TIME,
    LagFeatureSpec,
    add_horizon_features,
    check_long_frame,
    demand_class,
    direct_training_frame,
    origin_features,
)
from training.engine import ModelSpec, fit_lightgbm, is_dask
from training.forecasting.conformal import apply_conformal_offsets, fit_conformal_offsets

if TYPE_CHECKING:
    import dask.dataframe as dd

# One OpenMP thread: on a shared machine OpenMP threads spin-wait against other processes and
# the fit slows down far more than it gains; override through ``params`` on a dedicated host.
_THREADS = {"num_threads": 1}
SEGMENT = "demand_class"  # a forecast origin's demand class: its group of conformal offsets


@dataclass(frozen=True)
class DemandSpec:
    """Everything that defines a demand model; ``static_categoricals`` are per-series labels;
    each ``relative_covariates`` column must be both known and a past covariate (its value at the
    target date is divided by its value at the origin)."""

    features: LagFeatureSpec
    horizon: int
    freq: str
    known_covariates: tuple[str, ...] = ()
    static_categoricals: tuple[str, ...] = ()
    relative_covariates: tuple[str, ...] = ()
    id_as_feature: bool = True
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    center_objective: str = "quantile"
    conformal: bool = True
    conformal_center: bool = True  # False: the conformal step moves the bounds only, not the centre
    nonnegative: bool = True
    mean_objective: str | None = None  # "tweedie" adds a ``mean`` column (expected demand)
    params: dict[str, Any] = field(default_factory=dict)
    num_boost_round: int = 1000
    early_stopping_rounds: int = 20


def quantile_column(q: float) -> str:
    return f"p{round(q * 100)}"


class DemandForecaster:
    """Estimator: ``fit(df) -> self``; ``predict(h, future_covariates)`` -> quantile frame."""

    def __init__(self, spec: DemandSpec) -> None:
        self.spec = spec

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame | dd.DataFrame) -> DemandForecaster:
        """Fit on a long frame: pandas here, or a Dask frame partitioned by series, whose boosters
        grow on the current ``dask.distributed`` client (``training.forecasting.dask_fit``)."""
        spec = self.spec
        if spec.center_objective not in ("quantile", "tweedie"):
            raise ValueError("center_objective must be 'quantile' or 'tweedie'")
        if spec.mean_objective not in (None, "tweedie"):
            raise ValueError("mean_objective must be None or 'tweedie'")
        if is_dask(df):
            from training.forecasting.dask_fit import dask_training_folds

            folds = dask_training_folds(self, df)
        else:
            folds = self._training_folds(df)
        frame, train, calib = folds.frame, folds.train, folds.calib
        # Early stopping on the median only: tail-quantile losses on one fold are too noisy to
        # pick a round count (they often stop at the first round); the bounds reuse the median's.
        center = min(spec.quantiles, key=lambda q: abs(q - 0.5))
        first = self._fit_one(center, train, calib, spec.num_boost_round, early=True)
        rounds = max(int(first.best_iteration or first.current_iteration()), 10)
        self.best_iterations_ = {q: rounds for q in spec.quantiles}
        calib_pred = [
            (first if q == center else self._fit_one(q, train, None, rounds, early=False)).predict(
                calib[self.feature_names_]
            )
            * _unit(calib)
            for q in spec.quantiles
        ]
        pred = np.column_stack(calib_pred)
        self.boosters_ = {}
        self.offsets_ = (
            fit_conformal_offsets(
                calib[ID].map(folds.train_classes).to_numpy(),
                calib[TARGET].to_numpy(),
                pred,
                _spread(pred, calib),
                spec.quantiles,
            )
            if spec.conformal
            else None
        )
        if self.offsets_ is not None and not spec.conformal_center:
            self.offsets_[center] = 0.0
        for q in spec.quantiles:
            self.boosters_[q] = self._fit_one(q, frame, None, self.best_iterations_[q], early=False)
        self.mean_booster_ = None
        if spec.mean_objective is not None:
            stopped = self._fit_one(None, train, calib, spec.num_boost_round, early=True)
            self.best_iterations_["mean"] = max(int(stopped.best_iteration or stopped.current_iteration()), 10)
            self.mean_booster_ = self._fit_one(None, frame, None, self.best_iterations_["mean"], early=False)
        self.fit_info_ = {
            "rows_train": folds.rows_train,
            "rows_calibration": int(len(calib)),
            "rows_refit": folds.rows_refit,
            "best_iterations": dict(self.best_iterations_),
            "split_ds": str(folds.split.date()),
            "features": list(self.feature_names_),
        }
        return self

    def _training_folds(self, df: pd.DataFrame) -> TrainingFolds:
        """The direct training frame of ``df``, its training and calibration folds; sets the
        categories, feature names and forecast origin."""
        spec = self.spec
        data = self._prepare(df)
        self.categories_ = {
            col: pd.Index(pd.unique(data[col].dropna())) for col in self._categorical_inputs()
        }
        frame = self._encode(
            direct_training_frame(
                data, spec.features, spec.horizon, spec.freq, spec.known_covariates
            ),
            data,
        )
        self.feature_names_ = self._feature_names(frame)
        split = data[TIME].max() - spec.horizon * to_offset(spec.freq)
        train = frame[frame["target_ds"] <= split]
        calib = frame[frame[TIME] >= split]
        check_folds(len(train), len(calib), spec.horizon)
        self._store_origin(data)
        return TrainingFolds(
            frame, train, calib, split, demand_class(data[data[TIME] <= split]), len(train), len(frame)
        )

    def _prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        spec = self.spec
        needed = {
            ID,
            TIME,
            TARGET,
            *spec.known_covariates,
            *spec.static_categoricals,
            *spec.features.past_covariates,
        }
        missing = needed - set(df.columns)
        if missing:
            raise ValueError(f"demand frame: missing column(s) {sorted(missing)}")
        data = df[sorted(needed)].copy()
        data[TARGET] = pd.to_numeric(data[TARGET], errors="coerce")
        data = data.sort_values([ID, TIME]).reset_index(drop=True)
        check_long_frame(data, spec.freq)
        return data

    def _categorical_inputs(self) -> list[str]:
        return [*self.spec.static_categoricals, *([ID] if self.spec.id_as_feature else [])]

    def _encode(self, frame: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
        """Attach per-series categoricals (each series' last label in ``source``) as integer codes."""
        statics = source.groupby(ID, sort=False)[list(self.spec.static_categoricals)].last()
        out = frame.drop(columns=list(self.spec.static_categoricals), errors="ignore")
        return self._codes(out.merge(statics, left_on=ID, right_index=True, how="left"))

    def _codes(self, out: pd.DataFrame) -> pd.DataFrame:
        """Categoricals of ``out``'s rows as integer codes (unseen label -> NaN = missing), known
        covariates as floats, relative covariates."""
        for col, cats in self.categories_.items():
            src = out[ID] if col == ID else out[col]
            codes = cats.get_indexer(src).astype("float64")
            out[f"cat_{col}"] = np.where(codes >= 0, codes, np.nan)
        for col in self.spec.known_covariates:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        for col in self.spec.relative_covariates:  # e.g. target-month price / price at origin
            base = out[f"past_{col}"].where(out[f"past_{col}"] != 0)
            out[f"rel_{col}"] = out[col] / base
        return out

    def _feature_names(self, frame: pd.DataFrame) -> list[str]:
        skip = {ID, TIME, TARGET, "target_ds", "scale", *self.spec.static_categoricals}
        return [c for c in frame.columns if c not in skip]

    def _fit_one(
        self, q: float | None, train: pd.DataFrame, valid: pd.DataFrame | None, rounds: int, early: bool
    ):
        """One booster: quantile ``q``, or the expected value (``mean_objective``) when ``q`` is None."""
        spec = self.spec
        tweedie = q is None or (spec.center_objective == "tweedie" and q == 0.5)
        params = {
            **_THREADS,
            **spec.params,
            **({"tweedie_variance_power": 1.2} if tweedie else {"alpha": q}),
        }
        model_spec = ModelSpec(
            name="demand_mean" if q is None else f"demand_{quantile_column(q)}",
            objective="tweedie" if tweedie else "quantile",
            features=tuple(self.feature_names_),
            categorical=tuple(f"cat_{c}" for c in self.categories_),
            params=params,
            num_boost_round=rounds,
            early_stopping_rounds=spec.early_stopping_rounds,
        )
        unit = unit_series(train)
        target = train[TARGET].astype("float64") / unit
        if not is_dask(train):
            target, unit = target.to_numpy(), unit.to_numpy()
        return fit_lightgbm(
            model_spec,
            train,
            target,
            valid if early else None,
            valid[TARGET].to_numpy() / _unit(valid) if early else None,
            weight_train=unit,
            weight_valid=_unit(valid) if early else None,
        )

    def anchor(self, data: pd.DataFrame | dd.DataFrame) -> DemandForecaster:
        """Forecast from the end of ``data`` (newer history, or more series, in the fitted format)
        without refitting: pandas, or a Dask frame whose partitions hold whole series.

        For a model that runs on: the fitted boosters stay, the lags and windows come from ``data``.
        """
        if is_dask(data):
            from training.forecasting.dask_fit import dask_forecast_origin

            prepared = data.map_partitions(self._prepare, meta=self._prepare(data._meta))
            self.origin_, self.history_, self.segments_, self.statics_ = dask_forecast_origin(self.spec, prepared)
        else:
            self._store_origin(self._prepare(data))
        return self

    def _store_origin(self, data: pd.DataFrame) -> None:
        self.origin_, self.history_, self.segments_, self.statics_ = forecast_origin(self.spec, data)

    # ---- predict ---------------------------------------------------------------------------
    def predict(self, h: int, future_covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """Quantiles for horizons 1..h after each series' last observed period.

        ``future_covariates`` holds ``unique_id, ds`` and the known covariates of those periods;
        periods it lacks get missing covariates (the booster routes them as such).
        """
        covs = list(self.spec.known_covariates)
        if future_covariates is None:
            future_covariates = pd.DataFrame(columns=[ID, TIME, *covs])
        missing = {ID, TIME, *covs} - set(future_covariates.columns)
        if missing:
            raise ValueError(f"future_covariates: missing column(s) {sorted(missing)}")
        origins = self.origin_.merge(self.statics_, left_on=ID, right_index=True, how="left")
        origins[SEGMENT] = origins[ID].map(self.segments_)
        future = future_covariates[[ID, TIME, *covs]].rename(columns={TIME: "target_ds"})
        future = future.merge(self.origin_[[ID, TIME]], on=ID, how="inner")
        pred = self.predict_from(origins, self.history_, h, future)
        return pred.drop(columns=[TIME]).rename(columns={"target_ds": TIME}).sort_values([ID, TIME], ignore_index=True)

    def predict_from(
        self, origins: pd.DataFrame, history: pd.DataFrame, h: int, future: pd.DataFrame
    ) -> pd.DataFrame:
        """Quantiles for horizons 1..h after each row of ``origins``, which may hold several origins
        per series.

        ``origins``: rows of ``origin_features`` (``unique_id, ds`` = the origin) with the static
        categoricals and the series' demand class (``SEGMENT``) as of that origin; ``history``:
        ``unique_id, ds, y`` rows the seasonal lags read; ``future``: ``unique_id, ds`` (the
        origin), ``target_ds`` and the known covariates of the target day as known at the origin.
        Returns ``unique_id, ds, target_ds`` and the quantile columns, by origin, series and day.
        """
        spec = self.spec
        if not 1 <= h <= spec.horizon:
            raise ValueError(f"h must be between 1 and the fitted horizon {spec.horizon}")
        keys = [ID, TIME, "target_ds"]
        future = future[[*keys, *spec.known_covariates]].drop_duplicates(keys, keep="last")
        future["target_ds"] = pd.to_datetime(future["target_ds"])
        rows = [
            add_horizon_features(origins, history, spec.features, step, spec.freq).merge(future, on=keys, how="left")
            for step in range(1, h + 1)
        ]
        return self._quantile_frame(self._codes(pd.concat(rows, ignore_index=True)))

    def _quantile_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        spec = self.spec
        unit = _unit(frame)
        pred = np.column_stack(
            [self.boosters_[q].predict(frame[self.feature_names_]) * unit for q in spec.quantiles]
        )
        if self.offsets_ is not None:
            pred = apply_conformal_offsets(
                frame[SEGMENT].to_numpy(), pred, _spread(pred, frame), self.offsets_
            )
        pred = np.sort(pred, axis=1)
        if spec.nonnegative:
            pred = np.clip(pred, 0.0, None)
        out = pd.DataFrame(
            {ID: frame[ID].to_numpy(), TIME: frame[TIME].to_numpy(), "target_ds": frame["target_ds"].to_numpy()}
        )
        for i, q in enumerate(spec.quantiles):
            out[quantile_column(q)] = pred[:, i]
        if self.spec.mean_objective is not None:
            out["mean"] = self.mean_booster_.predict(frame[self.feature_names_]) * unit
        return out.sort_values([TIME, ID, "target_ds"], ignore_index=True)


def forecast_origin(spec: DemandSpec, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """What a forecast starts from, per series of ``data``: its last origin's features, the
    history its seasonal lags read, its demand class and its static labels."""
    feats = origin_features(data, spec.features)
    origin = feats.groupby(ID, sort=False).tail(1).reset_index(drop=True)
    keep = max([*spec.features.seasonal_lags, 1])
    history = data.groupby(ID, sort=False).tail(keep)[[ID, TIME, TARGET]]
    statics = data.groupby(ID, sort=False)[list(spec.static_categoricals)].last()
    return origin, history, demand_class(data), statics


@dataclass(frozen=True)
class TrainingFolds:
    """The direct training frame (pandas or Dask), its training fold (targets up to ``split``),
    its calibration fold (origins from ``split``, always pandas), each series' demand class on
    the training period, and the row counts."""

    frame: pd.DataFrame | dd.DataFrame
    train: pd.DataFrame | dd.DataFrame
    calib: pd.DataFrame
    split: pd.Timestamp
    train_classes: pd.Series
    rows_train: int
    rows_refit: int


def check_folds(rows_train: int, rows_calibration: int, horizon: int) -> None:
    """Refuse a demand frame too short for both folds."""
    if not rows_train or not rows_calibration:
        raise ValueError(
            f"demand frame: too little history for a training fold and a calibration fold "
            f"of {horizon} periods each (about {2 * horizon} periods needed)"
        )


def unit_series(frame: pd.DataFrame | dd.DataFrame) -> pd.Series | dd.Series:
    """Per-row scale used to normalise targets; a zero scale (all-zero history) counts as 1."""
    scale = frame["scale"].astype("float64")
    return scale.where(np.isfinite(scale) & (scale > 0), 1.0)


def _unit(frame: pd.DataFrame | None) -> np.ndarray:
    return np.ones(0) if frame is None else unit_series(frame).to_numpy()


def _spread(pred: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Unit of the conformal step: the booster's own P10-P90 width (floored at 5% of the series
    scale), so confident series get small corrections and volatile ones large (normalised CQR).
    Scale units alone let a few volatile small series blow up every big series' interval."""
    width = np.sort(pred, axis=1)[:, -1] - np.sort(pred, axis=1)[:, 0]
    return np.maximum(width, 0.05 * _unit(frame))
