"""``backorder evaluate --model NAME``: challenger vs champion on the same held-out period.

When both versions were measured on the same period their logged metrics are compared. When
they were not, the classifiers are both re-scored on the challenger's held-out reference frame
(features + label, logged at training); the forecasters' references cannot be re-scored without
their history, so they are reported as not comparable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from settings import load_settings

# model -> (default metric, higher is better)
DEFAULT_METRICS: dict[str, tuple[str, bool]] = {
    "backorder_risk": ("pr_auc", True),
    "sku_location_risk": ("pr_auc", True),
    "demand": ("pinball", False),
    "lead_time": ("pinball", False),
}
CLASSIFIERS = ("backorder_risk", "sku_location_risk")


def default_metric(model: str) -> tuple[str, bool]:
    if model not in DEFAULT_METRICS:
        raise ValueError(f"no default metric for model {model!r}; pass --metric (known: {sorted(DEFAULT_METRICS)})")
    return DEFAULT_METRICS[model]


def reference_evaluator(model: str) -> Callable[[Any], dict[str, float]] | None:
    """Scores a loaded classifier on the challenger's reference frame; None for forecasters."""
    if model not in CLASSIFIERS:
        return None
    from training.risk.metrics import evaluate
    from training.tracking import CHALLENGER, load_reference

    cache: dict[str, pd.DataFrame] = {}

    def score(estimator: Any) -> dict[str, float]:
        # Read on first use: promotion needs it only when the held-out periods differ.
        if "reference" not in cache:
            cache["reference"] = load_reference(model, CHALLENGER)
        reference = cache["reference"]
        features = list(estimator.feature_names_in_)
        return evaluate(reference["label"].to_numpy() > 0, estimator.predict_proba(reference[features])[:, 1])

    return score


def compare(model: str) -> tuple[pd.DataFrame, str]:
    """Metrics of challenger and champion side by side, and on what basis they were compared."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from training.tracking import CHALLENGER, CHAMPION, load_alias

    client = MlflowClient()
    versions = {}
    for alias in (CHALLENGER, CHAMPION):
        try:
            versions[alias] = client.get_model_version_by_alias(model, alias)
        except MlflowException:
            versions[alias] = None
    if versions[CHALLENGER] is None:
        raise LookupError(f"registered model {model!r} has no {CHALLENGER} version (run `backorder train`)")
    challenger, champion = versions[CHALLENGER], versions[CHAMPION]
    logged = {a: json.loads(v.tags.get("metrics", "{}")) for a, v in versions.items() if v is not None}
    period = challenger.tags.get("holdout_period")
    if champion is None:
        basis = f"no champion yet; challenger v{challenger.version} on {period}"
    elif champion.tags.get("holdout_period") == period:
        basis = f"logged metrics on {period} (challenger v{challenger.version}, champion v{champion.version})"
    elif (evaluator := reference_evaluator(model)) is not None:
        logged = {a: evaluator(load_alias(model, a)) for a in (CHALLENGER, CHAMPION)}
        # Registered classifiers are refitted on every labelled row, held-out period included:
        # the re-scored figures are optimistic for both and only their ranking is informative.
        basis = f"both re-scored on the challenger's held-out reference ({period}; in-sample after refit)"
    else:
        basis = (
            f"not comparable: champion v{champion.version} measured on "
            f"{champion.tags.get('holdout_period')!r}, challenger on {period!r}"
        )
        logged = {CHALLENGER: logged[CHALLENGER]}
    table = pd.DataFrame(logged).rename_axis("metric")
    if CHAMPION in table and CHALLENGER in table:
        table["difference"] = table[CHALLENGER] - table[CHAMPION]
    return table, basis


def evaluate_model(model: str) -> str:
    """Print-ready comparison; also logged as an MLflow run in the model's experiment."""
    import mlflow

    from training.tracking import new_run

    table, basis = compare(model)
    with new_run(mlflow.get_experiment_by_name(model).experiment_id, f"evaluate {model}"):
        mlflow.set_tag("basis", basis)
        for alias in table.columns.drop("difference", errors="ignore"):
            values = table[alias].dropna()
            mlflow.log_metrics({f"{alias}.{k}": float(v) for k, v in values.items()})
        mlflow.log_text(table.to_string(), "comparison.txt")
    return f"{model}: {basis}\n{table.to_string(float_format=lambda v: f'{v:.4f}')}"


def evaluate(
    model: str = typer.Option(..., help="Registered model: backorder_risk, sku_location_risk, demand, lead_time."),
    config: Path | None = typer.Option(None, help="Settings YAML file."),
) -> None:
    """Compare challenger and champion metrics on the same held-out period (and log it)."""
    from training.tracking import configure

    settings = load_settings(config)
    configure(settings.tracking_uri, settings.artifact_root, model)
    try:
        typer.echo(evaluate_model(model))
    except LookupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
