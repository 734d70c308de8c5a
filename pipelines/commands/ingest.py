"""``backorder ingest SOURCE_DIR``: validate exports into canonical tables and quarantine files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from contracts.ingest import IngestReport


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
    return "\n".join(lines)


def ingest(
    source_dir: Path = typer.Argument(..., help="Folder with one CSV or Parquet export per table."),
    config: Path | None = CONFIG_OPTION,
    chunk_rows: int = typer.Option(100_000, min=1, help="Rows read per chunk."),
    export_config: Path | None = typer.Option(
        None, help="Export description (date formats, header names); default SOURCE_DIR/export.yaml."
    ),
) -> None:
    """Validate ERP/WMS/OMS exports; write accepted rows as Parquet and rejected rows with reasons."""
    from contracts.ingest import ingest_exports

    settings = command_settings(config)
    report = ingest_exports(
        source_dir,
        settings.canonical_dir,
        settings.quarantine_dir,
        chunk_rows=chunk_rows,
        export_config=export_config,
    )
    typer.echo(format_report(report))
    typer.echo(f"accepted tables: {settings.canonical_dir}")
    typer.echo(f"quarantine:      {settings.quarantine_dir}")
