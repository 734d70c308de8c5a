"""``backorder train risk|sku-risk|demand|lead-time``: train on the world's data, log to MLflow.

Wiring only: read canonical tables and Feast training sets, call the pure ``training.world_*``
steps, log with ``training.tracking.log_training_run`` (alias ``challenger``). A step whose
data and recipe match a registered version does nothing unless forced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from contracts.fingerprint import file_digest
from pipelines.commands.settings_options import CONFIG_OPTION, Engine, command_settings

if TYPE_CHECKING:
    import pandas as pd

    from settings import Settings
    from training.recipes import ClassifierJob, DemandJob, LeadTimeJob
    from training.world_models import Trained

app = typer.Typer(help="Train models on the world's data and register them in MLflow.", no_args_is_help=True)

MODEL_OF = {
    "risk": "backorder_risk",
    "sku-risk": "sku_location_risk",
    "demand": "demand",
    "lead-time": "lead_time",
}

# model -> its headline metrics against its baselines, as `backorder train` prints them
HEADLINES = {
    "backorder_risk": "pr_auc {m[pr_auc]:.3f} vs rule {m[baseline_rule.pr_auc]:.3f}, "
    "logistic {m[baseline_logistic.pr_auc]:.3f}",
    "demand": "pinball {m[pinball]:.3f} vs seasonal naive {m[baseline_SeasonalNaive.pinball]:.3f}, "
    "AutoETS {m[baseline_AutoETS.pinball]:.3f}; mase {m[mase]:.3f}, coverage_80 {m[coverage_80]:.2f}",
    "lead_time": "pinball {m[pinball]:.3f} vs supplier quantiles {m[baseline_supplier_quantiles.pinball]:.3f}, "
    "quoted {m[baseline_quoted.pinball]:.3f}; late_roc_auc {m[late_roc_auc]:.3f}",
}
HEADLINES["sku_location_risk"] = HEADLINES["backorder_risk"]


@dataclass(frozen=True)
class TrainResult:
    """What one training step did: registered a new challenger, or found one on the same data."""

    model_name: str
    version: str
    registered: bool
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def describe_training(result: TrainResult) -> str:
    """One line about a training step for the command line, the demo and monitoring."""
    if not result.registered:
        return f"up to date: {result.model_name} v{result.version}"
    return (
        f"{result.model_name} v{result.version} registered as challenger "
        f"({HEADLINES[result.model_name].format(m=result.metrics)}) in {result.seconds:.0f} s"
    )


def _echo(message: str) -> None:
    typer.echo(message, err=True)


def _canonical(settings: Settings, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    from pipelines.tables import read_canonical_tables

    return read_canonical_tables(settings.canonical_dir, names)


def _require_features(settings: Settings, table: str) -> None:
    from contracts.errors import MissingInput
    from pipelines.tables import require_features

    require_features(settings.features_dir, ("sku_location_features", table))
    if not (settings.feature_repo_dir / "registry.db").exists():
        raise MissingInput("Feast registry", "run `backorder features apply`", settings.feature_repo_dir)
    if settings.online_store == "sqlite" and not settings.online_store_path.exists():
        raise MissingInput("online store", "run `backorder features materialize`", settings.online_store_path)


def _identity(settings: Settings, files: list[Path], spec: object, **extra: object) -> dict[str, str]:
    """What makes a run the same run: canonical + feature files and the recipe."""
    from training.world_models import spec_hash

    canonical = sorted(settings.canonical_dir.glob("*.parquet"))
    return {
        "canonical": file_digest(canonical),
        "features": file_digest(files) if files else "",
        "spec": spec_hash(spec, **extra),
    }


def _up_to_date(model_name: str, identity: dict[str, str]) -> str | None:
    """Version number of a registered version trained on the same data with the same recipe."""
    from mlflow import MlflowClient

    client = MlflowClient()
    versions = client.search_model_versions(f"name = '{model_name}'")
    for version in sorted(versions, key=lambda v: int(v.version), reverse=True):
        if all(version.tags.get(f"data.{k}") == v for k, v in identity.items()):
            return str(version.version)
    return None


def _register(
    settings: Settings, trained: Trained, identity: dict[str, str], extra: Callable[[], None] | None = None
) -> str:
    """Log and register ``trained`` with its data identity; ``extra`` logs more into the same run."""
    import mlflow

    from training.tracking import configure, frame_fingerprint, log_training_run

    record = trained.record
    data_identity = {**identity}
    if record.reference is not None:
        data_identity["reference"] = frame_fingerprint(record.reference)
    record = replace(record, data_identity=data_identity)
    experiment = configure(settings.tracking_uri, settings.artifact_root, record.model_name)
    version = log_training_run(record, trained.estimator, trained.input_example, experiment)
    if extra is not None:
        with mlflow.start_run(run_id=version.run_id):
            extra()
    return str(version.version)


def _classifier_on_dask(settings: Settings, job: ClassifierJob, force: bool) -> TrainResult:
    """``_classifier`` with the training set on a Dask cluster (``settings.engine`` ``dask``)."""
    from features.build import REQUIRED_TABLES
    from pipelines.asof_outputs import asof_inputs
    from pipelines.tables import require_canonical
    from training.cluster import training_client
    from training.dask_datasets import classifier_rows_dask
    from training.tracking import configure
    from training.world_models import train_classifier

    require_canonical(settings.canonical_dir, (*REQUIRED_TABLES, "skus"))
    model_outputs = asof_inputs(settings)  # the as-of outputs `features build` reads, as in one process
    identity = _identity(settings, list(model_outputs.values()), job, engine="dask")
    configure(settings.tracking_uri, settings.artifact_root, job.model_name)
    if not force and (existing := _up_to_date(job.model_name, identity)):
        return TrainResult(job.model_name, existing, registered=False)
    started = time.perf_counter()
    with training_client(settings) as client:
        _echo(f"[1/3] {job.model_name}: lazy training set by the Dask feature path on {client.scheduler.address}")
        skus = _canonical(settings, ("skus",))["skus"]
        rows, features = classifier_rows_dask(
            settings.canonical_dir, skus, job, settings.dask_partitions, model_outputs
        )
        _echo(f"[2/3] {job.model_name}: fit LightGBM on the cluster; calibration + baselines here")
        trained = train_classifier(job, rows, features, settings.num_threads)
    _echo(f"[3/3] {job.model_name}: log to MLflow")
    version = _register(settings, trained, identity)
    return TrainResult(job.model_name, version, True, trained.record.metrics, time.perf_counter() - started)


def _classifier(settings: Settings, job: ClassifierJob, force: bool) -> TrainResult:
    from contracts.errors import MissingInput

    if settings.engine == "dask":
        return _classifier_on_dask(settings, job, force)
    from pipelines.tables import read_feature_table, table_path
    from training.world_datasets import most_recent
    from training.world_models import train_classifier

    _require_features(settings, job.label_table)
    files = [table_path(settings.features_dir, t) for t in ("sku_location_features", job.label_table)]
    identity = _identity(settings, files, job)
    from training.tracking import configure

    configure(settings.tracking_uri, settings.artifact_root, job.model_name)
    if not force and (existing := _up_to_date(job.model_name, identity)):
        return TrainResult(job.model_name, existing, registered=False)
    from features.feature_store import OnlineReader, historical_features, open_store, order_line_training_set
    from features.order_line import request_feature_names

    started = time.perf_counter()
    _echo(f"[1/3] {job.model_name}: point-in-time training set from feature service {job.feature_service}")
    labels = read_feature_table(settings.features_dir, job.label_table)
    labels = most_recent(labels, job.time_column, job.max_rows, job.min_days).reset_index(drop=True)
    skus = _canonical(settings, ("skus",))["skus"][["sku_id", "category"]]
    store = open_store(settings)
    try:
        features = OnlineReader(store, job.feature_service).feature_names
    except Exception as error:  # Feast raises its own errors for unknown services
        raise MissingInput(
            f"feature service {job.feature_service!r} ({error})", "run `backorder features apply`"
        ) from error
    if job.request_features:
        frame = order_line_training_set(store, labels, job.feature_service)
        features = [*features, *request_feature_names()]
    else:
        frame = historical_features(store, labels, job.feature_service)
    frame = frame.merge(skus, on="sku_id", how="left")
    _echo(f"      {len(frame):,} rows, {len(features)} features, {frame['label'].gt(0).mean():.2%} positive")
    _echo(f"[2/3] {job.model_name}: fit LightGBM + calibration + baselines")
    trained = train_classifier(job, frame, features, settings.num_threads)
    _echo(f"[3/3] {job.model_name}: log to MLflow")
    from training.tracking import frame_fingerprint

    identity["training_set"] = frame_fingerprint(frame[[*features, "label"]])
    version = _register(settings, trained, identity)
    return TrainResult(job.model_name, version, True, trained.record.metrics, time.perf_counter() - started)


def _demand(settings: Settings, force: bool, job: DemandJob | None = None) -> TrainResult:
    from pipelines.tables import require_canonical
    from training.forecasting.baselines import BASELINES, RECENT_MEAN
    from training.recipes import DEMAND
    from training.tracking import configure
    from training.world_datasets import daily_demand
    from training.world_models import train_demand
    from training.world_plots import backtest_markdown

    job = job or DEMAND
    names = ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
    require_canonical(settings.canonical_dir, names)
    identity = _identity(settings, [], job, baselines=(*BASELINES, RECENT_MEAN),
                         **({"engine": "dask"} if settings.engine == "dask" else {}))
    configure(settings.tracking_uri, settings.artifact_root, "demand")
    if not force and (existing := _up_to_date("demand", identity)):
        return TrainResult("demand", existing, registered=False)
    started = time.perf_counter()
    if settings.engine == "dask":
        from training.cluster import training_client
        from training.dask_datasets import daily_demand_dask

        with training_client(settings) as client:
            _echo(f"[1/3] demand: lazy daily demand (last {job.history_days} days) on {client.scheduler.address}")
            frame = daily_demand_dask(
                settings.canonical_dir, _canonical(settings, ("skus",))["skus"], settings.dask_partitions,
                job.history_days,
            )
            _echo(f"[2/3] demand: backtest here ({job.backtest_series} series), final fit on the cluster")
            trained = train_demand(job, frame)
    else:
        tables = _canonical(settings, names)
        _echo(f"[1/3] demand: daily demand per SKU-location (last {job.history_days} days)")
        frame = daily_demand(
            tables["order_lines"], tables["orders"], tables["promotions"],
            tables["inventory_snapshots"], tables["skus"], job.history_days,
        )
        _echo(f"      {frame['unique_id'].nunique():,} series, {len(frame):,} rows")
        _echo(f"[2/3] demand: rolling-origin backtest ({job.n_origins} origins x {job.horizon} days) + final fit")
        trained = train_demand(job, frame)
        from training.tracking import frame_fingerprint

        identity["training_set"] = frame_fingerprint(frame)
    _echo("[3/3] demand: log to MLflow")

    def log_markdown() -> None:
        import mlflow

        mlflow.log_text(backtest_markdown(trained.record.tables["backtest"]), "backtest.md")

    version = _register(settings, trained, identity, log_markdown)
    return TrainResult("demand", version, True, trained.record.metrics, time.perf_counter() - started)


def _lead_time(settings: Settings, force: bool, job: LeadTimeJob | None = None) -> TrainResult:
    from pipelines.tables import require_canonical
    from training.lead_time.holdouts import BASELINES
    from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES
    from training.tracking import configure
    from training.world_datasets import received_po_lines
    from training.world_models import train_lead_time

    job = job or LEAD_TIME
    require_canonical(settings.canonical_dir, ("purchase_orders", "skus"))
    identity = _identity(settings, [], job, recipes=LEAD_TIME_RECIPES, baselines=BASELINES)
    configure(settings.tracking_uri, settings.artifact_root, "lead_time")
    if not force and (existing := _up_to_date("lead_time", identity)):
        return TrainResult("lead_time", existing, registered=False)
    started = time.perf_counter()
    tables = _canonical(settings, ("purchase_orders", "skus"))
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    _echo(f"[1/2] lead_time: {len(lines):,} PO lines; scored at up to {job.cutoffs} cut-offs, "
          f"{job.test_days} days before the end and every {job.cutoff_step_days} days before that")
    trained = train_lead_time(job, lines)
    params = trained.record.params
    _echo(f"[2/2] lead_time: recipe {params['recipe']} (chosen at {len(params['scored_cutoffs'])} cut-offs); "
          "log to MLflow")
    version = _register(settings, trained, identity)
    return TrainResult("lead_time", version, True, trained.record.metrics, time.perf_counter() - started)


def train_model(
    settings: Settings, name: str, force: bool = False, *, cutoffs: tuple[str, str, str] | None = None
) -> TrainResult:
    """Train one model (``risk``, ``sku-risk``, ``demand``, ``lead-time``) unless already trained on
    the same data with the same recipe.

    ``cutoffs`` (validation, calibration, test starts) override the classifiers' default folds.
    Raises ``NotEnoughData`` before anything else when the canonical tables are below the model's
    minimum, and ``MissingInput`` (naming the command to run) when inputs are missing.
    """
    from pipelines.tables import missing_tables
    from training.readiness import MEASURED_TABLES, require_ready
    from training.recipes import BACKORDER_RISK, SKU_LOCATION_RISK

    if name not in MODEL_OF:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODEL_OF)}")
    measured = MEASURED_TABLES[MODEL_OF[name]]
    if not missing_tables(settings.canonical_dir, measured):  # absent tables: MissingInput below names them
        require_ready(MODEL_OF[name], _canonical(settings, measured))

    if name in ("risk", "sku-risk"):
        job = BACKORDER_RISK if name == "risk" else SKU_LOCATION_RISK
        return _classifier(settings, replace(job, cutoffs=cutoffs) if cutoffs else job, force)
    if name == "demand":
        return _demand(settings, force)
    return _lead_time(settings, force)


def _cutoff_dates(value: str | None) -> tuple[str, str, str] | None:
    """``--cutoffs``: three ISO dates, comma-separated."""
    if value is None:
        return None
    dates = tuple(part.strip() for part in value.split(","))
    try:
        if len(dates) != 3:
            raise ValueError(f"need 3 dates, got {len(dates)}")
        for day in dates:
            date.fromisoformat(day)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r}: {error}", param_hint="--cutoffs") from error
    return dates  # type: ignore[return-value]


def _run(
    name: str, config: Path | None, force: bool, cutoffs: str | None = None, engine: Engine | None = None
) -> None:
    dates = _cutoff_dates(cutoffs)
    settings = command_settings(config)
    if engine is not None:
        settings = settings.model_copy(update={"engine": engine.value})
    typer.echo(describe_training(train_model(settings, name, force, cutoffs=dates)))


_CONFIG = CONFIG_OPTION
_FORCE = typer.Option(False, "--force/--no-force", help="Train even if data and recipe are unchanged.")
_CUTOFFS = typer.Option(
    None, help="Validation, calibration and test start dates, e.g. 2025-09-01,2025-10-01,2025-11-01 "
    "(default: 70/80/90% time quantiles of the rows).",
)



_ENGINE = typer.Option(
    None,
    help="Train in this process or on a Dask cluster (default: the settings' engine, `engine`; docs/scaling.md).",
)


@app.command("risk")
def risk(
    config: Path | None = _CONFIG, force: bool = _FORCE, cutoffs: str | None = _CUTOFFS, engine: Engine | None = _ENGINE
) -> None:
    """Order-line backorder classifier (feature service backorder_risk_v1 + request features)."""
    _run("risk", config, force, cutoffs, engine)


@app.command("sku-risk")
def sku_risk(
    config: Path | None = _CONFIG, force: bool = _FORCE, cutoffs: str | None = _CUTOFFS, engine: Engine | None = _ENGINE
) -> None:
    """SKU-location 'backorder within H days' classifier (feature service sku_location_risk_v1)."""
    _run("sku-risk", config, force, cutoffs, engine)


@app.command("demand")
def demand(config: Path | None = _CONFIG, force: bool = _FORCE, engine: Engine | None = _ENGINE) -> None:
    """Daily demand quantile forecaster, backtested against statsforecast baselines."""
    _run("demand", config, force, engine=engine)


@app.command("lead-time")
def lead_time(config: Path | None = _CONFIG, force: bool = _FORCE) -> None:
    """PO-line delay quantiles and late probability vs quoted and per-supplier baselines."""
    _run("lead-time", config, force)


@app.command("all")
def train_all(config: Path | None = _CONFIG, force: bool = _FORCE, engine: Engine | None = _ENGINE) -> None:
    """All four models, one after the other (lead time always in this process)."""
    for name in MODEL_OF:
        _run(name, config, force, engine=engine)
