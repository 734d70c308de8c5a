"""The demand model's training frame on Dask: built per series on the workers, never collected.

Every lag, window and target of the direct training frame depends on one series only, so with the
long frame partitioned by series (``training.dask_datasets.daily_demand_dask``), the pandas steps of
``DemandForecaster`` run unchanged on each partition. What comes back into this process is small:
the categories (one label per series), the calibration fold (the origins of the last horizon), each
series' demand class and its forecast origin. The training fold and the refit rows stay on the
workers, where ``training.engine`` grows the quantile boosters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dask
import pandas as pd
from pandas.tseries.frequencies import to_offset

from features.timeseries import ID, TIME, demand_class, direct_training_frame
from training.forecasting.model import DemandSpec, TrainingFolds, check_folds, forecast_origin

if TYPE_CHECKING:
    import dask.dataframe as dd

    from training.forecasting.model import DemandForecaster


def _categories(data: dd.DataFrame, columns: list[str]) -> dict[str, pd.Index]:
    """Each categorical column's labels in order of first appearance in series order, as
    ``pd.unique`` gives them on the whole (sorted) frame."""
    firsts = {}
    for col in columns:
        keys = list(dict.fromkeys([ID, col]))
        firsts[col] = data[keys].dropna().map_partitions(lambda part, k=keys: part.drop_duplicates(k))
    found = dask.compute(firsts)[0]
    return {
        col: pd.Index(pd.unique(pairs.sort_values(ID, kind="stable")[col])) for col, pairs in found.items()
    }


def dask_training_folds(model: DemandForecaster, df: dd.DataFrame) -> TrainingFolds:
    """``DemandForecaster._training_folds`` for a long Dask frame whose partitions hold whole
    series: sets the model's categories, feature names and forecast origin."""
    spec = model.spec
    data = df.map_partitions(model._prepare, meta=model._prepare(df._meta)).persist()
    model.categories_ = _categories(data, model._categorical_inputs())

    def training_rows(part: pd.DataFrame) -> pd.DataFrame:
        rows = direct_training_frame(part, spec.features, spec.horizon, spec.freq, spec.known_covariates)
        return model._encode(rows, part)

    frame = data.map_partitions(training_rows, meta=training_rows(data._meta)).persist()
    model.feature_names_ = model._feature_names(frame._meta)
    split = data[TIME].max().compute() - spec.horizon * to_offset(spec.freq)
    train = frame[frame["target_ds"] <= split]
    earlier = data[data[TIME] <= split]
    calib, classes, rows_train, rows_refit = dask.compute(
        frame[frame[TIME] >= split],
        earlier.map_partitions(demand_class, meta=pd.Series(dtype=object, name="demand_class")),
        train.shape[0],
        frame.shape[0],
    )
    check_folds(int(rows_train), len(calib), spec.horizon)
    model.origin_, model.history_, model.segments_, model.statics_ = dask_forecast_origin(spec, data)
    return TrainingFolds(
        frame, train, calib.reset_index(drop=True), split, classes, int(rows_train), int(rows_refit)
    )


def dask_forecast_origin(
    spec: DemandSpec, data: dd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """``forecast_origin`` of a prepared Dask frame whose partitions hold whole series, computed
    per partition on the workers and gathered here (a few rows per series)."""
    parts = dask.compute(*[dask.delayed(forecast_origin)(spec, part) for part in data.to_delayed()])
    return (
        pd.concat([p[0] for p in parts], ignore_index=True),
        pd.concat([p[1] for p in parts], ignore_index=True),
        pd.concat([p[2] for p in parts]),
        pd.concat([p[3] for p in parts]),
    )
