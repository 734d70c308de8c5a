"""``backorder evaluate --model NAME``: challenger vs champion on the same held-out period.

When both versions were measured on the same period their logged metrics are compared. When
they were not, the classifiers are both re-scored on the challenger's held-out reference frame
(features + label, logged at training); the forecasters' references cannot be re-scored without
their history, so they are reported as not comparable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    import pandas as pd

# model -> (default metric, higher is better)
DEFAULT_METRICS: dict[str, tuple[str, bool]] = {
    "backorder_risk": ("pr_auc", True),
    "sku_location_risk": ("pr_auc", True),
    "demand": ("pinball", False),
    "lead_time": ("pinball", False),
}
CLASSIFIERS = ("backorder_risk", "sku_location_risk")


@dataclass(frozen=True)
class Comparison:
    """Challenger and champion metrics side by side (columns ``challenger``, ``champion``,
    ``difference``; one row per metric) and on what basis they were compared."""

    model_name: str
    basis: str
    table: pd.DataFrame


def default_metric(model: str) -> tuple[str, bool]:
    """The metric ``model`` is judged on, and whether higher is better."""
    from contracts.errors import MissingInput

    if model not in DEFAULT_METRICS:
        known = sorted(DEFAULT_METRICS)
        raise MissingInput(f"default metric of model {model!r}", f"pass --metric (models with one: {known})")
    return DEFAULT_METRICS[model]


def reference_evaluator(model: str) -> Callable[[Any], dict[str, float]] | None:
    """Scores a loaded classifier on the challenger's reference frame; None for forecasters."""
    if model not in CLASSIFIERS:
        return None
    from training.risk.metrics import evaluate
    from training.tracking import CHALLENGER, load_reference

    cache: dict[str, Any] = {}

    def score(estimator: Any) -> dict[str, float]:
        # Read on first use: promotion needs it only when the held-out periods differ.
        if "reference" not in cache:
            cache["reference"] = load_reference(model, CHALLENGER)
        reference = cache["reference"]
        features = list(estimator.feature_names_in_)
        return evaluate(reference["label"].to_numpy() > 0, estimator.predict_proba(reference[features])[:, 1])

    return score


def compare(model: str) -> Comparison:
    """Metrics of challenger and champion side by side, and on what basis they were compared.

    Raises ``MissingInput`` when the model has no challenger.
    """
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from contracts.errors import MissingInput
    from training.tracking import CHALLENGER, CHAMPION, load_alias

    client = MlflowClient()
    versions = {}
    for alias in (CHALLENGER, CHAMPION):
        try:
            versions[alias] = client.get_model_version_by_alias(model, alias)
        except MlflowException:
            versions[alias] = None
    if versions[CHALLENGER] is None:
        raise MissingInput(f"{CHALLENGER} version of registered model {model!r}", "run `backorder train`")
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
    return Comparison(model, basis, table)


def evaluate_model(model: str) -> Comparison:
    """Challenger against champion (``compare``), also logged as an MLflow run in the model's experiment."""
    import mlflow

    from training.tracking import new_run

    comparison = compare(model)
    table = comparison.table
    with new_run(mlflow.get_experiment_by_name(model).experiment_id, f"evaluate {model}"):
        mlflow.set_tag("basis", comparison.basis)
        for alias in table.columns.drop("difference", errors="ignore"):
            values = table[alias].dropna()
            mlflow.log_metrics({f"{alias}.{k}": float(v) for k, v in values.items()})
        mlflow.log_text(table.to_string(), "comparison.txt")
    return comparison


def describe_comparison(comparison: Comparison) -> str:
    """The comparison as the command prints it: basis, then one row per metric."""
    table = comparison.table.to_string(float_format=lambda v: f"{v:.4f}")
    return f"{comparison.model_name}: {comparison.basis}\n{table}"


def evaluate(
    model: str = typer.Option(..., help="Registered model: backorder_risk, sku_location_risk, demand, lead_time."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Compare challenger and champion metrics on the same held-out period (and log it)."""
    from training.tracking import configure

    settings = command_settings(config)
    configure(settings.tracking_uri, settings.artifact_root, model)
    typer.echo(describe_comparison(evaluate_model(model)))
