"""``backorder promote``: move ``champion`` to the challenger if it beats the champion."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from settings import Settings
    from training.promotion import PromotionDecision


def promote_model(
    settings: Settings,
    model: str,
    metric: str | None = None,
    lower_is_better: bool | None = None,
    min_improvement: float = 0.0,
) -> PromotionDecision:
    """Compare challenger and champion of ``model`` on the same held-out period; move ``champion``.

    Raises ``MissingInput`` when there is nothing to compare.
    """
    from pipelines.commands.evaluate import default_metric, reference_evaluator
    from training.promotion import promote_challenger
    from training.tracking import configure

    configure(settings.tracking_uri, settings.artifact_root, model)
    if metric is None:
        metric, higher = default_metric(model)
    else:
        higher = True
    if lower_is_better is not None:
        higher = not lower_is_better
    return promote_challenger(
        model,
        metric,
        higher_is_better=higher,
        min_improvement=min_improvement,
        evaluate=reference_evaluator(model),
    )


def promote(
    model: str = typer.Option(
        ..., help="Registered model: backorder_risk, sku_location_risk, demand or lead_time."
    ),
    metric: str | None = typer.Option(
        None, help="Held-out metric to compare (default: pr_auc for classifiers, pinball for forecasts)."
    ),
    lower_is_better: bool | None = typer.Option(
        None,
        "--lower-is-better/--higher-is-better",
        help="Direction of the metric (default: the model's default metric's direction).",
    ),
    min_improvement: float = typer.Option(0.0, min=0.0, help="Margin the challenger must win by."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Compare challenger and champion on the same held-out period; print the decision and history."""
    from training.promotion import promotion_history

    decision = promote_model(command_settings(config), model, metric, lower_is_better, min_improvement)
    typer.echo(describe_decision(decision))
    typer.echo(promotion_history(model).to_string(index=False))


def describe_decision(decision: PromotionDecision) -> str:
    """One line: the model, whether the challenger was promoted, and why."""
    verdict = "promoted" if decision.promoted else "kept champion"
    return f"{decision.model_name}: {verdict} ({decision.reason})"
