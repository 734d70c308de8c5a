"""``backorder ingest SOURCE_DIR``: validate exports into canonical tables and quarantine files."""

from __future__ import annotations

from pathlib import Path

import typer

from contracts.errors import ContractError
from contracts.ingest import IngestReport, ingest_exports
from settings import load_settings


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
    config: Path | None = typer.Option(None, help="Settings YAML file."),
    chunk_rows: int = typer.Option(100_000, min=1, help="Rows read per chunk."),
    export_config: Path | None = typer.Option(
        None, help="Export description (date formats, header names); default SOURCE_DIR/export.yaml."
    ),
) -> None:
    """Validate ERP/WMS/OMS exports; write accepted rows as Parquet and rejected rows with reasons."""
    settings = load_settings(config)
    try:
        report = ingest_exports(
            source_dir,
            settings.canonical_dir,
            settings.quarantine_dir,
            chunk_rows=chunk_rows,
            export_config=export_config,
        )
    except ContractError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(format_report(report))
    typer.echo(f"accepted tables: {settings.canonical_dir}")
    typer.echo(f"quarantine:      {settings.quarantine_dir}")
