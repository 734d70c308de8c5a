"""``backorder check``: what the data holds and which models it can train, before any training.

Reads the canonical tables of the data folder, or, with ``--exports``, ingests an export folder
into a scratch folder first (the data folder is untouched) and prints the ingest's summary too.
Exits 1 naming every model and its shortfall when no model can be trained.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from training.readiness import Readiness


def canonical_readiness(canonical_dir: Path) -> Readiness:
    """Readiness of the canonical tables in ``canonical_dir`` (absent tables count as empty)."""
    from contracts.optional_inputs import empty_table
    from contracts.tables import CANONICAL_TABLES
    from pipelines.tables import missing_tables, read_canonical_tables
    from training.readiness import readiness

    absent = set(missing_tables(canonical_dir, CANONICAL_TABLES))
    tables = read_canonical_tables(canonical_dir, [n for n in CANONICAL_TABLES if n not in absent])
    return readiness({name: tables[name] if name in tables else empty_table(name) for name in CANONICAL_TABLES})


def exports_readiness(source_dir: Path, export_config: Path | None = None) -> tuple[Readiness, str]:
    """Readiness of an export folder or zip archive as ingest would accept it (inventory history
    rebuilt from current stock included), ingested into a scratch folder; and that ingest's summary."""
    from contracts.archives import is_archive, unpack_exports
    from contracts.ingest import ingest_exports
    from pipelines.commands.ingest import format_report, rebuild_inventory_history

    with tempfile.TemporaryDirectory(prefix="backorder-check-") as scratch:
        canonical, quarantine = Path(scratch) / "canonical", Path(scratch) / "quarantine"
        if is_archive(source_dir):
            source_dir = unpack_exports(source_dir, Path(scratch) / "exports")
        report = ingest_exports(source_dir, canonical, quarantine, export_config=export_config)
        rebuilt = rebuild_inventory_history(canonical, quarantine, source_dir, export_config, report)
        summary = format_report(report, supports=False)  # the readiness says it, from the same tables
        return canonical_readiness(canonical), summary + (f"\n{rebuilt}" if rebuilt else "")


def describe_readiness(ready: Readiness) -> list[str]:
    """Lines for the command line: tables, then models, then what the data supports."""
    lines = [f"{'table':<22}{'rows':>10}  span"]
    for t in ready.tables:
        span = f"{t.first_day} .. {t.last_day}" if t.first_day else "-"
        lines.append(f"{t.table:<22}{t.rows:>10,}  {span}")
    lines.append("models:")
    for m in ready.models:
        needs = f"needs {m.needs.history_days} days of {m.needs.history}, {m.needs.positives} {m.needs.positive}"
        if m.needs.suppliers_with_receipts:
            needs += f", {m.needs.suppliers_with_receipts} suppliers with receipts"
        lines.append(f"  {m.describe()}")
        lines.append(f"    {needs}")
    lines.append("what the data supports:")
    lines += [f"  {sentence}" for sentence in ready.supports]
    return lines


def check(
    exports: Path | None = typer.Option(
        None, help="Check an export folder or zip archive (ingested into a scratch folder) instead of the data folder."
    ),
    export_config: Path | None = typer.Option(None, help="Export description; default EXPORTS/export.yaml."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Rows and time span per table, and per model whether the data can train it and what it needs
    (with ``--exports``, after what the ingest would accept, quarantine and leave aside)."""
    if exports:
        ready, summary = exports_readiness(exports, export_config)
        typer.echo("ingest (into a scratch folder; `backorder ingest` keeps the quarantine files):")
        typer.echo(summary + "\n")
    else:
        ready = canonical_readiness(command_settings(config).canonical_dir)
    for line in describe_readiness(ready):
        typer.echo(line)
    if not ready.trainable:
        shortfalls = "; ".join(f"{m.model}: {', '.join(m.shortfall)}" for m in ready.models)
        typer.echo(f"error: the data can train no model ({shortfalls})", err=True)
        raise typer.Exit(code=1)
