"""Every model the project trains, declared once as data: parameters, features, baselines, services.

Like ``contracts.tables`` for tables, this module is the one place a model's settings are written:
the LightGBM parameters on top of ``training.engine.LIGHTGBM_DEFAULTS``, the features it reads (a Feast feature
service named after the model, or a fixed list), the baselines it is reported beside, and its
other settings (boosters per view, class weight, rounds, rule column, costs). Training code,
pipelines and the service read them from here and carry no defaults of their own. How many
threads a fit uses is a setting of the host (``Settings.num_threads``), not of a model.

Models: ``backorder_risk`` (order lines), ``sku_location_risk`` (SKU-locations), ``demand``,
``lead_time`` (all trained on the world's data), ``kaggle_backorder_risk`` (the Kaggle
benchmark, trained from a file by ``backorder benchmark kaggle``), and the demand and lead-time
models of the closed-loop benchmark (``CLOSED_LOOP``, trained by ``backorder benchmark policy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from features.kaggle_features import FEATURES as KAGGLE_FEATURES
from features.kaggle_features import RAW_FEATURES as KAGGLE_RAW_FEATURES
from features.timeseries import LagFeatureSpec
from training.forecasting.blend import BlendSpec
from training.forecasting.ensemble import EnsembleSpec
from training.forecasting.model import DemandSpec
from training.lead_time.features import LeadTimeSpec

# The risk classifiers' trees: modest and strongly regularised, since with ~1% positives deep
# trees memorise a few SKUs.
RISK_TREES: dict[str, Any] = {
    "metric": "auc",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
}

# Score names of the baselines every risk classifier is reported beside (``training.risk.baselines``).
RULE_BASELINE, LOGISTIC_BASELINE = "rule_projected_stock", "logistic_regression"


@dataclass(frozen=True)
class ClassifierRecipe:
    """A backorder-risk classifier: what ``training.risk.train.train_backorder_risk`` fits.

    ``n_seeds`` boosters per feature view (``feature_views`` None: one view, all features), the
    positives weighted ``positive_weight``, at most ``num_boost_round`` rounds (early stopping
    picks fewer), then refitted on every labelled row (``refit_on_all_rows``), with the rounds
    scaled by refit rows / training rows when ``scale_refit_rounds``. The features are those of
    ``feature_service`` (with request features, see ``ClassifierJob``) or ``features``. The rule
    baseline ranks by ``rule_column`` (projected stock); the alert threshold weighs
    ``backorder_penalty`` against ``action_cost``.
    """

    model_name: str
    params: dict[str, Any]
    n_seeds: int
    positive_weight: float
    num_boost_round: int
    rule_column: str
    scale_refit_rounds: bool
    feature_service: str | None = None
    features: tuple[str, ...] = ()
    feature_views: tuple[tuple[str, ...], ...] | None = None
    baselines: tuple[str, ...] = (RULE_BASELINE, LOGISTIC_BASELINE)
    refit_on_all_rows: bool = True
    backorder_penalty: float = 100.0
    action_cost: float = 5.0


@dataclass(frozen=True)
class ClassifierJob:
    """A risk classifier trained on the world's data: its recipe and its labelled rows.

    Labels come from ``label_table`` (``backorder features build``), features from the recipe's
    feature service, plus the request-time features when ``request_features``. ``cutoffs``
    (validation, calibration, test starts) default to the ``cutoff_quantiles`` of the rows' times;
    ``max_rows`` keeps the most recent rows, but never fewer than those of the latest ``min_days``
    days, so that the time folds cut whole days however many rows a day holds
    (``world_datasets.most_recent``). Test-fold metrics are also reported per ``segment_columns``.
    """

    recipe: ClassifierRecipe
    label_table: str
    request_features: bool
    time_column: str = "event_timestamp"
    segment_columns: tuple[str, ...] = ("supplier_id", "category", "location_id")
    cutoffs: tuple[str, str, str] | None = None
    cutoff_quantiles: tuple[float, float, float] = (0.7, 0.8, 0.9)
    max_rows: int | None = 200_000
    min_days: int = 28

    @property
    def model_name(self) -> str:
        return self.recipe.model_name

    @property
    def feature_service(self) -> str:
        if self.recipe.feature_service is None:
            raise ValueError(f"{self.model_name}: a world classifier reads a feature service")
        return self.recipe.feature_service


# The order-line classifier bounds its leaves by hessian (at least 1, XGBoost's default
# min_child_weight) instead of 100 rows: a Dask cluster checks a leaf's rows on an estimate and one
# process on the count, so a rule in rows grows other trees on the cluster (docs/scaling.md). The
# check behind it, for both classifiers: ``benchmarks/risk_leaf_rule.py`` (docs/benchmarks.md).
HESSIAN_LEAVES: dict[str, Any] = {"min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 1.0}

# The world's classifiers keep the early-stopping rounds when refitted on all rows: the service's
# latency is measured with those trees. Both share one recipe, but for the order-line leaves, and
# differ in what they read.
WORLD_RISK = ClassifierRecipe(
    model_name="backorder_risk",
    params={**RISK_TREES, **HESSIAN_LEAVES},
    n_seeds=2,
    positive_weight=10.0,
    num_boost_round=600,
    rule_column="projected_position_lt",
    scale_refit_rounds=False,
    feature_service="backorder_risk_v1",
)
BACKORDER_RISK = ClassifierJob(recipe=WORLD_RISK, label_table="order_line_labels", request_features=True)
SKU_LOCATION_RISK = ClassifierJob(
    recipe=replace(
        WORLD_RISK, model_name="sku_location_risk", feature_service="sku_location_risk_v1", params=RISK_TREES
    ),
    label_table="sku_location_labels",
    request_features=False,
)

def unsampled(job: ClassifierJob, **changes: object) -> ClassifierJob:
    """``job`` with its recipe's trees grown without row or column sampling, one seed, 80 rounds,
    on every row: the fit compared between one process and a Dask cluster, where each worker
    samples only its own rows (docs/scaling.md)."""
    recipe = replace(
        job.recipe,
        params={**job.recipe.params, "bagging_fraction": 1.0, "feature_fraction": 1.0},
        n_seeds=1,
        num_boost_round=80,
    )
    return replace(job, recipe=recipe, max_rows=None, **changes)


# The Kaggle model averages two feature views (all features, and the raw Kaggle columns only)
# with trees of up to 31 leaves: averaged over views, larger trees no longer memorise the few
# positives. Positives keep their natural weight: a heavier one ranks them worse on resampled
# splits. It is refitted on all TRAIN rows with the early-stopping rounds scaled by the rows. The
# checks behind these choices: ``benchmarks/kaggle_crosscheck.py`` and
# ``benchmarks/kaggle_resampled.py`` (docs/benchmarks.md).
KAGGLE_RISK = ClassifierRecipe(
    model_name="kaggle_backorder_risk",
    params={**RISK_TREES, "num_leaves": 31, "min_data_in_leaf": 50},
    n_seeds=3,
    positive_weight=1.0,
    num_boost_round=2000,
    rule_column="projected_stock_at_lead_time",
    scale_refit_rounds=True,
    features=KAGGLE_FEATURES,
    feature_views=(KAGGLE_FEATURES, tuple(KAGGLE_RAW_FEATURES)),
)


@dataclass(frozen=True)
class DemandJob:
    """Daily demand per SKU-location: horizon, history kept, backtest origins, booster settings.

    The backtest runs on a fixed sample of ``backtest_series`` series at ``n_origins`` weekly
    origins (the model refits at every origin, so its cost is origins x fits; the gate reads the
    scores pooled over them); the registered model is fitted on every series. Its
    baselines are statsforecast's (``training.forecasting.baselines``). ``ensemble`` selects the
    combination of the LightGBM with statistical models (``training.forecasting.ensemble``)
    instead of the LightGBM alone; it refits the LightGBM at each of its earlier windows.
    ``max_series`` caps the series a fit learns from (the registered model and each as-of refit):
    a fixed sample by hashed id (``training.forecasting.sampling.capped_series``), so a fit's cost
    and memory stop growing with the world past it; every series is still forecast. The default
    is twice the default world's series: more series gain less and less (docs/benchmarks.md,
    "As-of refits on a sample of series").
    """

    horizon: int = 7
    history_days: int = 120
    n_origins: int = 4
    season_length: int = 7
    learning_rate: float = 0.1
    num_boost_round: int = 200
    backtest_series: int | None = 300
    ensemble: EnsembleSpec | None = None
    max_series: int | None = 2400


DEMAND = DemandJob()

# Stallion (``backorder benchmark stallion``, monthly, 6 months ahead): the combination learns
# from four earlier 6-month windows, three months apart (``benchmarks/stallion_backtest.py``).
STALLION_ENSEMBLE = EnsembleSpec(season_length=12, n_windows=4, step=3)
# The command's default: the quantiles of the LightGBM, of the same LightGBM without the series'
# identity features and of AutoETS, blended with weights held fixed
# (``benchmarks/stallion_backtest.py --blends``).
STALLION_BLEND = BlendSpec(
    weights=(("LightGBM", 0.375), ("LightGBMNoIds", 0.375), ("AutoETS", 0.25)), season_length=12
)


def demand_spec(job: DemandJob) -> DemandSpec:
    """Daily lags, weekly seasonality, promotions as known covariates, category as a static."""
    return DemandSpec(
        features=LagFeatureSpec(
            lags=(0, 1, 2, 6, 13),
            seasonal_lags=(7, 14),
            windows=(7, 28),
            date_features=("dayofweek", "dayofmonth"),
            scale_window=28,
        ),
        horizon=job.horizon,
        freq="D",
        known_covariates=("promo_active", "promo_discount"),
        static_categoricals=("category",),
        params={"learning_rate": job.learning_rate},
        num_boost_round=job.num_boost_round,
    )


@dataclass(frozen=True)
class LeadTimeJob:
    """Lead time of purchase-order lines, scored at ``cutoffs`` cut-offs: ``test_days`` before the
    last receipt and every ``cutoff_step_days`` before that. At each, the lines still open are the
    test, scored beside the quoted date and the served supplier delay quantiles
    (``training.lead_time.holdouts``); an earlier cut-off with less than ``min_history_days`` of
    orders before it is left out."""

    test_days: int = 90
    cutoffs: int = 4
    cutoff_step_days: int = 30
    min_history_days: int = 30


LEAD_TIME = LeadTimeJob()
LEAD_TIME_SPEC = LeadTimeSpec(
    id_col="po_id",
    supplier_col="supplier_id",
    due_col="promised_date",
    received_col="received_date",
    order_col="order_date",
    categorical=("location_id", "category"),
    numeric=("quantity", "is_expedited"),
)
# The SCMS lead-time model (``backorder benchmark scms``): ``LeadTimeModel`` keywords. Small trees,
# and the boosters' own quantiles without the conformal shift, which widens the tails beyond what
# minimises pinball loss, set in whole days around the share of lines delivered on their scheduled
# date (``on_time_atom``); chosen on the tuning cut-offs of ``benchmarks/scms_backtest.py`` over seed
# averaging, recent supplier delays and shrinkage toward the vendor quantiles (docs/benchmarks.md).
SCMS_LEAD_TIME: dict[str, Any] = {
    "conformal": False, "params": {"num_leaves": 7, "min_data_in_leaf": 50}, "on_time_atom": True,
}
# The lead-time recipes a data set's own cut-offs choose between (``LeadTimeJob``'s cut-offs,
# ``training.lead_time.holdouts.choose_recipe``): ``scms`` (chosen on the SCMS deliveries) unless
# ``world`` (``LeadTimeModel``'s defaults, chosen on the simulated worlds) beats it beyond the
# spread (the order is chosen in docs/benchmarks.md). The registered model and the as-of ETAs of
# the same data use the same choice.
LEAD_TIME_RECIPES: dict[str, dict[str, Any]] = {"scms": SCMS_LEAD_TIME, "world": {}}
# The columns of a PO line the lead-time model is given (its signature and monitoring reference).
LEAD_TIME_INPUTS = ["po_id", "supplier_id", "promised_date", "order_date", "location_id", "category",
                    "quantity", "is_expedited"]


@dataclass(frozen=True)
class ClosedLoopJob:
    """The demand forecaster and lead-time model of the closed-loop benchmark, fitted on the
    history before its cut-off (``training.closed_loop``) and read by the replayed policy.

    ``demand`` is a demand recipe of its own: its ``history_days`` of demand are both what the
    forecaster is fitted on and what the replay re-anchors it on. The lead-time model is
    ``LEAD_TIME_SPEC`` with at most ``lead_time_rounds`` boosting rounds.
    """

    demand: DemandJob
    lead_time_rounds: int


# The benchmark fits its models once per run, inside the command: the demand recipe is DEMAND with
# fewer rounds at a higher learning rate.
CLOSED_LOOP = ClosedLoopJob(
    demand=replace(DEMAND, history_days=120, learning_rate=0.15, num_boost_round=100),
    lead_time_rounds=300,
)


@dataclass(frozen=True)
class AsOfJob:
    """How often the demand and lead-time recipes are refitted and forecast in the as-of replay,
    and how much history comes first (``training.world_asof``).

    ``forecast_every_days`` is both the spacing of forecast origins and how many days ahead each
    origin's forecast is kept, so every day gets exactly one forecast (at most the demand horizon).
    ``forecast_quantiles`` must include 0.5 (the ``forecast`` column). Demand refits dominate the
    cost, and on the default world refitting half-yearly forecasts as well as quarterly, so the
    default is the cheaper one. Lead-time refits are cheap: monthly keeps up with drifting
    suppliers. Each demand refit learns from at most ``demand.max_series`` series, as the
    registered model does.
    """

    demand: DemandJob = field(default_factory=lambda: DEMAND)
    forecast_quantiles: tuple[float, ...] = (0.5,)
    demand_refit_days: int = 182
    forecast_every_days: int = 7
    demand_min_history_days: int = 56
    lead_time_refit_days: int = 28
    lead_time_min_history_days: int = 91

    def __post_init__(self) -> None:
        if not 1 <= self.forecast_every_days <= self.demand.horizon:
            raise ValueError(
                f"forecast_every_days must be between 1 and the demand horizon {self.demand.horizon}"
            )
        if 0.5 not in self.forecast_quantiles:
            raise ValueError("forecast_quantiles must include 0.5")


ASOF = AsOfJob()


@dataclass(frozen=True)
class DataMinimum:
    """The least data a model of the world is trained on; below it, training is refused up front.

    ``history_days``: days from the first to the last day of ``history`` (``table.column``);
    ``positives``: rows that count as ``positive`` (what the model learns to predict);
    ``suppliers_with_receipts``: suppliers with at least one received PO line.
    """

    history: str
    history_days: int
    positive: str
    positives: int
    suppliers_with_receipts: int = 0


# The classifiers need the 28-day feature windows, the label horizon and three time folds
# (validation, calibration, test) that each hold positives. The demand backtest needs the as-of
# replay's first history plus its origins; the lead-time model its test window plus history
# before it, and more than one supplier for the per-supplier baseline to mean anything.
_RISK_MINIMUM = DataMinimum(
    history="inventory_snapshots.snapshot_date", history_days=90, positive="order lines backordered or late",
    positives=30,
)
DATA_MINIMUMS: dict[str, DataMinimum] = {
    "backorder_risk": _RISK_MINIMUM,
    "sku_location_risk": replace(_RISK_MINIMUM, positive="SKU-location-days on backorder"),
    "demand": DataMinimum(
        history="inventory_snapshots.snapshot_date",
        history_days=ASOF.demand_min_history_days + DEMAND.horizon * DEMAND.n_origins,
        positive="SKU-location-days with demand",
        positives=100,
    ),
    "lead_time": DataMinimum(
        history="purchase_orders.order_date",
        history_days=LEAD_TIME.test_days + LEAD_TIME.min_history_days,
        positive="received PO lines",
        positives=50,
        suppliers_with_receipts=2,
    ),
}
