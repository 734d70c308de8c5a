"""``backorder ingest SOURCE_DIR``: validate exports into canonical tables and quarantine files.

The data folder holds one world; ``--replace`` swaps it for another source's and retires the old
world's models in the registry (``training.promotion.retire_models``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from contracts.ingest import IngestReport
    from settings import Settings


def format_report(report: IngestReport) -> str:
    lines = [f"{'table':<22}{'read':>10}{'accepted':>10}{'quarantined':>13}  source"]
    for t in report.tables:
        lines.append(f"{t.table:<22}{t.rows_read:>10}{t.accepted:>10}{t.quarantined:>13}  {t.source_file}")
        if t.ignored_columns:
            lines.append(f"{'':<22}ignored columns: {', '.join(t.ignored_columns)}")
        if t.foreign_keys_not_checked:
            lines.append(f"{'':<22}not checked (parent missing): {'; '.join(t.foreign_keys_not_checked)}")
    if report.skipped_files:
        lines.append(f"skipped files (no matching table): {', '.join(report.skipped_files)}")
    lines.append("what the data supports:")
    lines += [f"  {sentence}" for sentence in report.supports]
    return "\n".join(lines)


def ingest_world(
    settings: Settings,
    source_dir: Path,
    export_config: Path | None = None,
    replace: bool = False,
    chunk_rows: int = 100_000,
) -> tuple[IngestReport, list[str]]:
    """Ingest ``source_dir`` into the settings' data folder; with ``replace``, retire the models of
    the world it replaces. Returns the report and the models whose champion was retired."""
    from contracts.ingest import ingest_exports

    report = ingest_exports(
        source_dir,
        settings.canonical_dir,
        settings.quarantine_dir,
        chunk_rows=chunk_rows,
        export_config=export_config,
        replace=replace,
    )
    if report.replaced_world is None:
        return report, []
    import mlflow

    from training.promotion import retire_models

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    reason = f"world replaced: {report.replaced_world} -> {report.source}"
    return report, retire_models(reason)


def ingest(
    source_dir: Path = typer.Argument(..., help="Folder with one CSV or Parquet export per table."),
    config: Path | None = CONFIG_OPTION,
    chunk_rows: int = typer.Option(100_000, min=1, help="Rows read per chunk."),
    export_config: Path | None = typer.Option(
        None, help="Export description (date formats, header names); default SOURCE_DIR/export.yaml."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the world the data folder holds (every table) and retire its models."
    ),
) -> None:
    """Validate ERP/WMS/OMS exports; write accepted rows as Parquet and rejected rows with reasons."""
    settings = command_settings(config)
    report, retired = ingest_world(settings, source_dir, export_config, replace, chunk_rows)
    typer.echo(format_report(report))
    if report.replaced_world is not None:
        typer.echo(f"replaced the world of {report.replaced_world}; retired champions: {', '.join(retired) or 'none'}")
    typer.echo(f"accepted tables: {settings.canonical_dir}")
    typer.echo(f"quarantine:      {settings.quarantine_dir}")
