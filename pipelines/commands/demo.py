"""``backorder demo``: the main job end to end on the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.commands.ingest import format_report
from contracts.ingest import ingest_exports
from settings import load_settings

EXAMPLE_EXPORT = Path(__file__).resolve().parents[2] / "examples" / "erp_export"


def demo(config: Path | None = typer.Option(None, help="Settings YAML file.")) -> None:
    """Ingest the example ERP export and report what was accepted and quarantined."""
    settings = load_settings(config)
    typer.echo(f"[1/1] ingest {EXAMPLE_EXPORT}")
    report = ingest_exports(EXAMPLE_EXPORT, settings.canonical_dir, settings.quarantine_dir)
    typer.echo(format_report(report))
    typer.echo(f"canonical tables: {settings.canonical_dir}")
    typer.echo(f"quarantine files: {settings.quarantine_dir}")
