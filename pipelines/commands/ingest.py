"""``backorder ingest SOURCE_DIR``: validate exports into canonical tables and quarantine files."""

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
    return "\n".join(lines)


def rebuild_inventory_history(
    settings: Settings, source_dir: Path, export_config: Path | None, report: IngestReport
) -> str | None:
    """When the export's inventory_snapshots hold current stock, replace them with the daily
    history rebuilt from it; write the reconciliation and the negative-stock days; say so."""
    from contracts.export_description import load_export_description
    from contracts.inventory_history import holds_current_stock, rebuild_history
    from pipelines.tables import missing_tables, read_canonical_tables, write_canonical_tables

    if "inventory_snapshots" not in {t.table for t in report.tables}:
        return None
    declared = load_export_description(source_dir, export_config).inventory
    names = ["inventory_snapshots", "order_lines", "orders", "purchase_orders"]
    movements = [] if missing_tables(settings.canonical_dir, ["inventory_movements"]) else ["inventory_movements"]
    tables = read_canonical_tables(settings.canonical_dir, names + movements)
    if not holds_current_stock(declared, tables["inventory_snapshots"]["snapshot_date"].nunique()):
        return None
    history = rebuild_history(*(tables[name] for name in names), tables.get("inventory_movements"))
    write_canonical_tables({"inventory_snapshots": history.snapshots}, settings.canonical_dir)
    history.reconciliation.to_csv(settings.canonical_dir / "_inventory_reconciliation.csv", index=False)
    history.negative_stock.to_csv(settings.quarantine_dir / "inventory_negative_stock.csv", index=False)
    return history.summary()


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
    if rebuilt := rebuild_inventory_history(settings, source_dir, export_config, report):
        typer.echo(rebuilt)
    typer.echo(f"accepted tables: {settings.canonical_dir}")
    typer.echo(f"quarantine:      {settings.quarantine_dir}")
