"""``backorder promote``: move ``champion`` to the challenger if it beats the champion."""

from __future__ import annotations

from pathlib import Path

import typer

from settings import load_settings
from training.promotion import promote_challenger, promotion_history
from training.tracking import configure


def promote(
    model: str = typer.Option(..., help="Registered model: backorder_risk, demand or lead_time."),
    metric: str = typer.Option(..., help="Held-out metric to compare, e.g. pr_auc or pinball."),
    lower_is_better: bool = typer.Option(False, help="For losses such as MASE or pinball loss."),
    min_improvement: float = typer.Option(0.0, min=0.0, help="Margin the challenger must win by."),
    config: Path | None = typer.Option(None, help="Settings YAML file."),
) -> None:
    """Compare challenger and champion on the same held-out period; print the decision and history."""
    settings = load_settings(config)
    configure(settings.tracking_uri, settings.artifact_root, model)
    try:
        decision = promote_challenger(
            model, metric, higher_is_better=not lower_is_better, min_improvement=min_improvement
        )
    except (LookupError, KeyError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    verdict = "PROMOTED" if decision.promoted else "kept champion"
    typer.echo(f"{model}: {verdict} — {decision.reason}")
    typer.echo(promotion_history(model).to_string(index=False))
