"""``backorder promote``: move ``champion`` to the challenger if it beats its baselines and the champion."""

from __future__ import annotations

import getpass
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
    force_reason: str | None = None,
    forced_by: str | None = None,
) -> PromotionDecision:
    """Run the promotion gate for ``model``: its baselines, then the champion, on one held-out period.

    ``force_reason`` promotes whatever the verdict and records the override (``forced_by``,
    default the OS user). Raises ``MissingInput`` when there is nothing to compare.
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
        force_reason=force_reason,
        forced_by=forced_by or getpass.getuser(),
    )


def promote(
    model: str | None = typer.Option(
        None, help="Registered model: backorder_risk, sku_location_risk, demand or lead_time."
    ),
    all_models: bool = typer.Option(False, "--all", help="Run the gate for every trained model."),
    metric: str | None = typer.Option(
        None, help="Held-out metric to compare (default: pr_auc for classifiers, pinball for forecasts)."
    ),
    lower_is_better: bool | None = typer.Option(
        None,
        "--lower-is-better/--higher-is-better",
        help="Direction of the metric (default: the model's default metric's direction).",
    ),
    min_improvement: float = typer.Option(0.0, min=0.0, help="Margin the challenger must win by."),
    force: bool = typer.Option(False, "--force", help="Promote whatever the gate says (needs --reason)."),
    reason: str | None = typer.Option(None, help="Why the gate is overridden; recorded in the registry."),
    by: str | None = typer.Option(None, help="Who overrides the gate (default: the OS user)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Promote a challenger that beats its baselines and the champion on the same held-out period;
    print each decision and the model's history."""
    from pipelines.commands.train import MODEL_OF
    from training.promotion import promotion_history

    if (model is None) == (not all_models):
        raise typer.BadParameter("give either --model NAME or --all", param_hint="--model/--all")
    if force and not (reason and reason.strip()):
        raise typer.BadParameter("--force needs --reason TEXT (it is recorded in the registry)",
                                 param_hint="--reason")
    if reason is not None and not force:
        raise typer.BadParameter("--reason goes with --force", param_hint="--reason")
    settings = command_settings(config)
    for name in MODEL_OF.values() if all_models else (model,):
        decision = promote_model(settings, name, metric, lower_is_better, min_improvement, reason, by)
        typer.echo(describe_decision(decision))
        typer.echo(promotion_history(name).to_string(index=False))


def describe_decision(decision: PromotionDecision) -> str:
    """The model, whether the challenger was promoted and why, then one line per baseline."""
    if decision.override is not None:
        verdict = "promoted by override"
    elif decision.promoted:
        verdict = "promoted"
    elif decision.champion_version is None:
        verdict = "not promoted, no champion"
    else:
        verdict = f"kept champion v{decision.champion_version}"
    lines = [f"{decision.model_name}: {verdict} ({decision.reason})"]
    lines += [
        f"  {'beats' if b.beaten else 'LOSES TO'} baseline {b.baseline}: "
        f"{decision.metric} {b.challenger_score:.4f} vs {b.baseline_score:.4f}"
        for b in decision.baselines
    ]
    return "\n".join(lines)
