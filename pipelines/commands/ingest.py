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
    from contracts.ingest import IngestReport, TableReport
    from settings import Settings


def _per_column(counts: dict[str, int]) -> str:
    return ", ".join(f"{column} {count:,}" for column, count in counts.items())


def _table_notes(t: TableReport) -> list[str]:
    """The lines under a table's counts: rows set aside, where to start reading the quarantine, and
    what export.yaml changed; only those with something to say."""
    notes = {
        "unpivoted by export.yaml (a row per cell)": (
            f"{t.unpivoted_rows:,} rows into the {t.rows_read:,} read; empty cells skipped: {t.empty_cells_skipped:,}"
            if t.unpivoted_rows else ""),
        "rows left out by export.yaml exclude": _per_column(t.excluded),
        "rows repeating an earlier one, read once": f"{t.repeated:,}" if t.repeated else "",
        "replaced by a later file's row with the same key": f"{t.replaced:,}" if t.replaced else "",
        "summed onto": "; ".join(f"{table} ({rows:,} rows)" for table, rows in t.summed_onto.items()),
        "rows per unit of measure, converted to stocking units": _per_column(t.units_converted),
        "first quarantined": t.first_quarantined,
        "ignored columns": ", ".join(t.ignored_columns),
        "not in the current stock, from the open documents": ", ".join(t.derived_columns),
        "recoded by export.yaml values (cells)": _per_column(t.values_recoded),
        "filled from export.yaml defaults (cells)": _per_column(t.defaults_filled),
        "not checked (parent missing)": "; ".join(t.foreign_keys_not_checked),
    }
    return [f"{'':<22}{label}: {text}" for label, text in notes.items() if text]


def format_report(report: IngestReport, supports: bool = True) -> str:
    """The ingest summary: per table the counts and notes, the skipped files, and (with
    ``supports``) what the data supports."""
    lines = [f"{'table':<22}{'read':>10}{'accepted':>10}{'quarantined':>13}  source"]
    for t in report.tables:
        lines.append(f"{t.table:<22}{t.rows_read:>10}{t.accepted:>10}{t.quarantined:>13}  {t.source_file}")
        lines += _table_notes(t)
    if report.skipped_files:
        lines.append(f"skipped files (no matching table): {', '.join(report.skipped_files)}")
    if supports:
        lines.append("what the data supports:")
        lines += [f"  {sentence}" for sentence in report.supports]
    return "\n".join(lines)


def rebuild_inventory_history(
    canonical_dir: Path, quarantine_dir: Path, source_dir: Path, export_config: Path | None, report: IngestReport
) -> str | None:
    """When the export's inventory_snapshots hold current stock, replace them with the daily
    history rebuilt from it; write the reconciliation and the negative-stock days, bring the
    world's manifest up to date; say so."""
    from contracts.export_yaml import load_export_description
    from contracts.inventory_history import holds_current_stock, rebuild_history
    from contracts.summed_tables import po_deliveries
    from contracts.world_manifest import read_manifest, write_manifest
    from pipelines.tables import missing_tables, read_canonical_tables, write_canonical_tables

    snapshots = next((t for t in report.tables if t.table == "inventory_snapshots"), None)
    if snapshots is None:
        return None
    declared = load_export_description(source_dir, export_config).inventory
    names = ["inventory_snapshots", "order_lines", "orders", "purchase_orders"]
    movements = [] if missing_tables(canonical_dir, ["inventory_movements"]) else ["inventory_movements"]
    tables = read_canonical_tables(canonical_dir, names + movements)
    if not holds_current_stock(declared, tables["inventory_snapshots"]["snapshot_date"].nunique()):
        return None
    history = rebuild_history(
        *(tables[name] for name in names), tables.get("inventory_movements"), derived=snapshots.derived_columns,
        deliveries=po_deliveries(canonical_dir),
    )
    write_canonical_tables({"inventory_snapshots": history.snapshots}, canonical_dir)
    history.reconciliation.to_csv(canonical_dir / "_inventory_reconciliation.csv", index=False)
    history.negative_stock.to_csv(quarantine_dir / "inventory_negative_stock.csv", index=False)
    if (manifest := read_manifest(canonical_dir)) is not None:
        write_manifest(canonical_dir, manifest.source, manifest.written_by, manifest.inputs_digest)
    return history.summary()


def export_folder(settings: Settings, exports: Path) -> Path:
    """The export folder ``exports`` is, or the one a zip archive of exports unpacks to under the
    data folder: an archive of the same name unpacks to the same folder, so it is the same world."""
    from contracts.archives import is_archive, unpack_exports

    return unpack_exports(exports, settings.unpacked_exports_dir / exports.stem) if is_archive(exports) else exports


def ingest_world(
    settings: Settings,
    source_dir: Path,
    export_config: Path | None = None,
    replace: bool = False,
    chunk_rows: int = 100_000,
) -> tuple[IngestReport, str | None, list[str]]:
    """Ingest ``source_dir`` into the settings' data folder, rebuilding the inventory history when
    the export holds current stock; with ``replace``, retire the models of the world it replaces.
    Returns the report, the rebuild's summary (None without one) and the models whose champion
    was retired."""
    from contracts.ingest import ingest_exports

    report = ingest_exports(
        source_dir,
        settings.canonical_dir,
        settings.quarantine_dir,
        chunk_rows=chunk_rows,
        export_config=export_config,
        replace=replace,
    )
    rebuilt = rebuild_inventory_history(
        settings.canonical_dir, settings.quarantine_dir, source_dir, export_config, report
    )
    if report.replaced_world is None:
        return report, rebuilt, []
    import mlflow

    from training.promotion import retire_models

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    reason = f"world replaced: {report.replaced_world} -> {report.source}"
    return report, rebuilt, retire_models(reason)


def ingest(
    source_dir: Path = typer.Argument(
        ..., help="Folder with one CSV, Parquet or spreadsheet export per table, or a zip archive of them."
    ),
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
    if (folder := export_folder(settings, source_dir)) != source_dir:
        typer.echo(f"unpacked {source_dir.name} into {folder}")
        source_dir = folder
    report, rebuilt, retired = ingest_world(settings, source_dir, export_config, replace, chunk_rows)
    typer.echo(format_report(report))
    if rebuilt:
        typer.echo(rebuilt)
    if report.replaced_world is not None:
        typer.echo(f"replaced the world of {report.replaced_world}; retired champions: {', '.join(retired) or 'none'}")
    typer.echo(f"accepted tables: {settings.canonical_dir}")
    typer.echo(f"quarantine:      {settings.quarantine_dir}")
