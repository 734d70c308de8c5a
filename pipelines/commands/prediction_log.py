"""``backorder log prune``: delete prediction-log lines older than the retention."""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

app = typer.Typer(no_args_is_help=True, help="The service's prediction log.")


@app.command("prune")
def prune(
    days: int | None = typer.Option(
        None, min=1, help="Keep this many days (default: settings.prediction_log_retention_days)."
    ),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Delete lines logged more than the retention ago, in small transactions (safe while serving)."""
    from serving.prediction_log import FILE_NAME
    from serving.prediction_log import prune as prune_log

    settings = command_settings(config)
    retention = days or settings.prediction_log_retention_days
    if retention is None:
        raise typer.BadParameter("no retention: pass --days or set prediction_log_retention_days", param_hint="--days")
    path = settings.prediction_log_dir / FILE_NAME
    if not path.exists():
        typer.echo(f"no prediction log at {path}")
        return
    deleted = prune_log(path, retention)
    typer.echo(f"deleted {deleted:,} lines older than {retention} days from {path}")
