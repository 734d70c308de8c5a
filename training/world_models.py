"""Training of each model on the world's data, a thin layer over the shared code paths.

Classifiers (order-line risk, SKU-location risk) go through ``train_on_folds`` (the path of
the Kaggle benchmark); demand through ``DemandForecaster`` and ``rolling_origin_backtest``; lead
time through ``LeadTimeModel`` and its baselines at several cut-offs (``training.lead_time.holdouts``).
Each ``train_*`` is pure: frames in, a fitted estimator and a ``TrainingRecord`` (what
``training.tracking.log_training_run`` logs) out. The models' settings are their recipes
(``training.recipes``).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from features.timeseries import ID, TARGET, TIME
from training.engine import DEFAULT_THREADS, is_dask
from training.forecasting.backtest import rolling_origin_backtest, window_scores
from training.forecasting.baselines import recent_mean_forecasts
from training.forecasting.ensemble import EnsembleForecaster
from training.forecasting.forecaster import make_demand_forecaster, model_label
from training.forecasting.model import DemandForecaster
from training.forecasting.sampling import capped_series
from training.lead_time.features import LeadTimeSpec, as_datetime
from training.lead_time.holdouts import (
    MODEL,
    RecipeChoice,
    backtest_cutoffs,
    backtest_metrics,
    choose_recipe,
    cutoff_scores,
)
from training.lead_time.model import LeadTimeModel
from training.recipes import (
    LEAD_TIME_INPUTS,
    LEAD_TIME_RECIPES,
    LEAD_TIME_SPEC,
    LOGISTIC_BASELINE,
    RULE_BASELINE,
    ClassifierJob,
    DemandJob,
    LeadTimeJob,
    demand_spec,
)
from training.risk.metrics import reliability_curve
from training.risk.train import FoldFrames, train_on_folds
from training.splits import time_split
from training.tracking import TrainingRecord
from training.world_datasets import naive_timestamps
from training.world_plots import calibration_figure, pr_curve_figure

if TYPE_CHECKING:
    import dask.dataframe as dd

REFERENCE_ROWS = 20_000
BASELINE_PREFIX = {RULE_BASELINE: "baseline_rule", LOGISTIC_BASELINE: "baseline_logistic"}


@dataclass(frozen=True)
class Trained:
    """A fitted estimator, what to log about it, and a few input rows for the signature."""

    estimator: Any
    record: TrainingRecord
    input_example: pd.DataFrame


def spec_hash(spec: object, **extra: object) -> str:
    """Identity of a training spec (with run options): equal hashes mean the same recipe."""
    payload = json.dumps({"spec": asdict(spec), **extra}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _sample(frame: pd.DataFrame, rows: int = REFERENCE_ROWS, seed: int = 0) -> pd.DataFrame:
    return frame.sample(n=rows, random_state=seed) if len(frame) > rows else frame


# ---- classifiers ------------------------------------------------------------------------------
def classifier_cutoffs(job: ClassifierJob, frame: pd.DataFrame) -> tuple[pd.Timestamp, ...]:
    """The three fold boundaries: the job's explicit cutoffs or day-rounded time quantiles."""
    if job.cutoffs is not None:
        return tuple(pd.Timestamp(c) for c in job.cutoffs)
    times = naive_timestamps(frame[job.time_column])
    return tuple(times.quantile(q).floor("D") for q in job.cutoff_quantiles)


def train_classifier(
    job: ClassifierJob,
    frame: pd.DataFrame | dd.DataFrame,
    features: list[str],
    num_threads: int = DEFAULT_THREADS,
) -> Trained:
    """Fit, calibrate and threshold a classifier on ``frame`` (training set with ``label``).

    ``features`` are exactly the columns the service scores with (feature service + request
    features); segments are reported per ``job.segment_columns`` on the test fold. A Dask
    ``frame`` is fitted on the current ``dask.distributed`` client without being collected
    (``training.dask_folds``); only its later folds come into this process.
    """
    missing = [c for c in [*features, "label", job.time_column] if c not in frame.columns]
    if missing:
        raise ValueError(f"{job.model_name} training set: missing column(s) {missing}")
    if is_dask(frame):
        from training.dask_folds import dask_cutoffs, dask_fold_frames

        # Kept in the workers' memory: cutoffs, folds, weights and both fits read it again.
        frame = frame.persist()
        cutoffs = dask_cutoffs(job, frame)
        frames, test_rows = dask_fold_frames(job, frame, features, cutoffs)
    else:
        frame = frame.reset_index(drop=True)
        cutoffs = classifier_cutoffs(job, frame)
        folds = time_split(pd.DataFrame({"t": naive_timestamps(frame[job.time_column])}), "t", cutoffs)
        frames = FoldFrames.from_folds(frame[features].astype("float64"), frame["label"].to_numpy() > 0, folds)
        test_rows = frame.iloc[folds.test]
    sizes = frames.sizes()
    for name, size in sizes.items():
        if size == 0:
            raise ValueError(f"{job.model_name}: fold {name!r} is empty with cutoffs {cutoffs}")
    segments = test_rows[[c for c in job.segment_columns if c in test_rows.columns]].astype(str)
    with warnings.catch_warnings():
        # Features absent from this world (e.g. forecast errors without forecasts) are all-NaN;
        # LightGBM routes them as missing and the logistic baseline's imputer drops them.
        warnings.filterwarnings("ignore", "Skipping features without any observed values", UserWarning)
        run = train_on_folds(frames, job.recipe, features, num_threads, test_segments=segments)

    metrics = dict(run.metrics["lightgbm"])
    for model in job.recipe.baselines:
        prefix = BASELINE_PREFIX[model]
        metrics.update({f"{prefix}.{k}": v for k, v in run.metrics[model].items()})
    metrics.update({f"threshold.{k}": float(v) for k, v in run.threshold.items()})
    x_test, y_test = frames.test
    test_times = naive_timestamps(test_rows[job.time_column])
    period = f"{test_times.min().date()}..{test_times.max().date()}"
    reference = x_test.assign(prediction=run.test_scores["lightgbm"], label=y_test.astype("int64"))
    tables = dict(run.tables)
    tables["reliability_lightgbm"] = reliability_curve(y_test, run.test_scores["lightgbm"])
    all_labels = frames.all_rows[1]
    positive_share = all_labels.mean()
    record = TrainingRecord(
        model_name=job.model_name,
        params={
            **run.params,
            "cutoffs": [str(c.date()) for c in cutoffs],
            "rows": sum(sizes.values()),
            "positive_share": float(positive_share.compute() if is_dask(all_labels) else positive_share),
            "rule_column": job.recipe.rule_column,
        },
        metrics=metrics,
        feature_names=tuple(features),
        holdout_period=period,
        data_identity={},
        feature_service=job.feature_service,
        figures={
            "pr_curve": pr_curve_figure(y_test, run.test_scores),
            "calibration": calibration_figure(tables["reliability_lightgbm"]),
        },
        tables=tables,
        reference=_sample(reference),
    )
    return Trained(run.model, record, x_test.head(5))


# ---- demand -----------------------------------------------------------------------------------
class DemandQuantiles:
    """Serves a fitted demand forecaster (``DemandForecaster`` or ``EnsembleForecaster``, as the
    recipe selects): ``predict(future)`` gives P10/P50/P90 per row.

    ``future`` holds ``unique_id, ds`` (within the horizon after the history's end) and the known
    covariates; this is the one-frame-in interface the registry's pyfunc calls.
    """

    def __init__(self, forecaster: DemandForecaster | EnsembleForecaster) -> None:
        self.forecaster = forecaster

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        future = future.assign(**{TIME: pd.to_datetime(future[TIME])})
        pred = self.forecaster.predict(self.forecaster.spec.horizon, future)
        out = future[[ID, TIME]].merge(pred, on=[ID, TIME], how="left")
        return out[["p10", "p50", "p90"]].astype("float64").reset_index(drop=True)


def backtest_origins(last: pd.Timestamp, job: DemandJob) -> list[pd.Timestamp]:
    """The backtest's forecast origins: every ``job.horizon`` days before the ``last`` day."""
    return [last - pd.Timedelta(days=k * job.horizon) for k in range(job.n_origins, 0, -1)]


def train_demand(job: DemandJob, frame: pd.DataFrame | dd.DataFrame) -> Trained:
    """Backtest against the statsforecast baselines and the recent mean that serves without a
    champion (``recent_mean_forecasts``) at the job's origins (scores pooled over them,
    and the pinball loss's spread over them as ``pinball_sd``), then fit on ``frame``'s series (at
    most ``job.max_series`` of them).

    A Dask ``frame`` (partitions holding whole series, ``training.dask_datasets``) is fitted on the
    current ``dask.distributed`` client; only the backtest's sample of series comes into this
    process (the backtest refits at every origin, on ``job.backtest_series`` series).
    """
    spec = demand_spec(job)
    if is_dask(frame):
        if job.ensemble is not None:
            raise ValueError("demand ensemble: the combination with statistical models trains in one process only")
        import dask

        frame = frame.persist()  # series x history days, read by each step below
        last, ids, rows = dask.compute(frame[TIME].max(), frame[ID].unique(), frame.shape[0])
    else:
        last, ids, rows = frame[TIME].max(), frame[ID].unique(), len(frame)
    origins = backtest_origins(last, job)
    series = pd.Series(ids).sort_values(ignore_index=True)
    if job.backtest_series is not None and len(series) > job.backtest_series:
        series = series.sample(n=job.backtest_series, random_state=0)
    sample = frame[frame[ID].isin(list(series))]
    if is_dask(sample):
        sample = sample.compute().sort_values([ID, TIME], ignore_index=True)
    label = model_label(job.ensemble)
    result = rolling_origin_backtest(
        sample,
        lambda: make_demand_forecaster(spec, job.ensemble),
        origins,
        job.horizon,
        "D",
        job.season_length,
        name=label,
        served_without_model=recent_mean_forecasts,
    )
    table = result.metrics
    overall = table[table["segment"] == "all"].set_index("model")
    names = ["mae", "mase", "wape", "pinball", "coverage_80"]
    spread = window_scores(result.predictions).groupby("model")["pinball"].std(ddof=1).fillna(0.0)
    metrics = {k: float(overall.loc[label, k]) for k in names}
    metrics["pinball_sd"] = float(spread.loc[label])
    for model in overall.index.drop(label):
        metrics.update({f"baseline_{model}.{k}": float(overall.loc[model, k]) for k in names})
        metrics[f"baseline_{model}.pinball_sd"] = float(spread.loc[model])
    # The ensemble fits statistical models per series: it learns from every series.
    fitted = frame if job.ensemble is not None else capped_series(frame, job.max_series)
    model = make_demand_forecaster(spec, job.ensemble).fit(fitted)
    if fitted is not frame:
        model.anchor(frame)  # forecasts every series, not only those it learned from
    held = result.predictions
    held = held[(held["model"] == label) & (held["origin"] == origins[-1])]
    covariates = sample[[ID, TIME, *spec.known_covariates]]
    reference = held.merge(covariates, on=[ID, TIME], how="left")
    reference = reference[[ID, TIME, *spec.known_covariates, "p10", "p90"]].assign(
        prediction=held["p50"].to_numpy(), label=held[TARGET].to_numpy()
    )
    start = origins[0] + pd.Timedelta(days=1)
    period = f"{start.date()}..{last.date()}"
    example = pd.DataFrame(
        {ID: pd.Series(ids).sort_values().to_numpy(dtype=object)[:5], TIME: last + pd.Timedelta(days=1)}
    ).assign(promo_active=0.0, promo_discount=0.0)
    record = TrainingRecord(
        model_name="demand",
        params={
            **asdict(job),
            "origins": [str(o.date()) for o in origins],
            "series": len(ids),
            "fitted_series": len(ids) if fitted is frame else min(len(ids), job.max_series),
            "backtest_series_used": int(len(series)),
            "rows": int(rows),
            **{f"fit.{k}": v for k, v in model.fit_info_.items() if k != "features"},
        },
        metrics=metrics,
        feature_names=tuple(model.feature_names_),
        holdout_period=period,
        data_identity={},
        tables={"backtest": table},
        reference=_sample(reference),
    )
    return Trained(DemandQuantiles(model), record, example)


# ---- lead time --------------------------------------------------------------------------------
class LeadTimeForecaster:
    """Serves a fitted ``LeadTimeModel`` with numeric outputs only (delay quantiles, p_late)."""

    def __init__(self, model: LeadTimeModel) -> None:
        self.model = model

    def predict(self, open_lines: pd.DataFrame) -> pd.DataFrame:
        pred = self.model.predict(open_lines)
        return pred[["p10", "p50", "p90", "p_late"]].astype("float64")


def lead_time_recipe(job: LeadTimeJob, lines: pd.DataFrame, spec: LeadTimeSpec = LEAD_TIME_SPEC) -> RecipeChoice:
    """The recipe of ``LEAD_TIME_RECIPES`` the job's cut-offs of these PO lines choose."""
    cutoffs = backtest_cutoffs(lines, spec, job.test_days, job.cutoffs, job.cutoff_step_days, job.min_history_days)
    return choose_recipe(lines, spec, cutoffs, LEAD_TIME_RECIPES)


def train_lead_time(job: LeadTimeJob, lines: pd.DataFrame) -> Trained:
    """Choose the recipe on the job's cut-offs (``lead_time_recipe``) and score it there beside
    its baselines (``training.lead_time.holdouts.BASELINES``; the mean over the cut-offs is what
    the promotion gate reads), then refit it on every received line."""
    spec = LEAD_TIME_SPEC
    choice = lead_time_recipe(job, lines)
    scores = cutoff_scores(choice.holdouts)
    cutoffs = [h.cutoff for h in choice.holdouts]
    latest = choice.holdouts[-1]
    received = as_datetime(lines[spec.received_col])
    final = LeadTimeModel(spec, **LEAD_TIME_RECIPES[choice.name]).fit(lines.assign(**{spec.received_col: received}))
    hidden = latest.hidden
    inputs = [c for c in LEAD_TIME_INPUTS if c in hidden.columns]
    reference = hidden[inputs].assign(prediction=latest.predictions[MODEL]["p50"].to_numpy(), label=latest.truth)
    span = f"{cutoffs[0].date()}..{cutoffs[-1].date()}" if len(cutoffs) > 1 else str(cutoffs[0].date())
    record = TrainingRecord(
        model_name="lead_time",
        params={
            **asdict(job),
            "scored_cutoffs": [str(c.date()) for c in cutoffs],
            "recipe": choice.name,
            **{k: v for k, v in latest.model.fit_info_.items() if k != "features"},
        },
        metrics=backtest_metrics(scores),
        feature_names=tuple(final.feature_names_),
        holdout_period=f"lines open at {len(cutoffs)} cut-offs {span} (received by {latest.end.date()})",
        data_identity={},
        tables={"scores": scores, "recipes": choice.comparison},
        reference=_sample(reference),
    )
    return Trained(LeadTimeForecaster(final), record, hidden[inputs].head(5))
