"""Ingest ERP/WMS/OMS exports into canonical Parquet tables plus per-table quarantine files.

Invariant: for every table, accepted + quarantined + replaced + repeated + excluded = rows read,
``replaced`` counting the rows a later file of the table's folder replaced (``parts: updates`` in
``export.yaml``), ``repeated`` the rows of a table read from another's files (``read_from:``, an
order's columns on each of its lines) that repeat an earlier one, ``excluded`` the rows left out
by ``exclude:`` (cancelled lines). A table summed onto a canonical one (a PO line's goods receipts,
``contracts.summed_tables``) is validated and quarantined like the others, then only its totals
are kept; so is an item's unit-of-measure conversions (``contracts.units``), used to count
quantities in stocking units. A wide file (one column per warehouse) is read as one row per
non-empty cell of those columns (``contracts.wide_tables``): its rows read are those. A
structurally unusable file (missing required column, undecodable, empty, dates whose day/month
order cannot be told) stops the whole ingest before anything is written, and output files only
replace the previous ones once every table has been processed. The export's description
(``export.yaml``) names its source, headers and the row they are on, the ids made of several
columns, date formats, CSV dialect and how a table's files relate. A table is one file or a folder of part files
(``contracts.export_files``), each file's headers checked before any row is read
(``contracts.file_layout``); an optional table (``contracts.optional_inputs``) may be a header-only
file.

The canonical folder holds one world (``contracts.world_manifest``): ingesting another source into
it is refused unless ``replace``, which leaves only the new export's tables. The report ends with
what the data supports: one sentence per optional input.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.coercion import PLAIN_NUMBERS, date_and_time, joined_text, recode
from contracts.date_order import DateOrderCheck
from contracts.day_numbers import is_day_number_format
from contracts.errors import ContractError
from contracts.export_description import ExportDescription
from contracts.export_files import TableExport, discover_exports, with_tables_read_from
from contracts.export_tables import EXPORT_ORDER, EXPORT_TABLES, SKU_UNITS, SUMMED_TABLES, parent_columns
from contracts.export_yaml import EXPORT_DESCRIPTION_FILE, load_export_description
from contracts.file_layout import FileLayout, derivable_columns, derived_columns, export_layouts
from contracts.fingerprint import file_digest
from contracts.optional_inputs import OPTIONAL_INPUTS, OPTIONAL_TABLES, data_support
from contracts.readers import is_csv, iter_chunks
from contracts.row_filters import drop_rows, replaced_rows, without_excluded, without_repeats
from contracts.schemas import stored_dtype
from contracts.summed_tables import check_summed_exports, published_files, sum_onto
from contracts.table_spec import TableContract
from contracts.tables import CANONICAL_TABLES
from contracts.units import check_unit_exports, no_conversions, row_items, unit_conversions, unit_scale
from contracts.validation import REASON_COLUMN, key_hashes, parsed_key_hashes, validate_table
from contracts.wide_tables import long_rows
from contracts.world_manifest import check_same_world, exports_source, read_manifest, write_manifest

REPORT_FILE = "_ingest_report.json"
_ARROW_TYPE = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.timestamp("ns"),
    "datetime": pa.timestamp("ns"),
}


@dataclass
class TableReport:
    table: str
    source_file: str
    rows_read: int = 0  # of a table written wide (unpivot:), the long rows: one per non-empty unpivoted cell
    accepted: int = 0
    quarantined: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    foreign_keys_not_checked: list[str] = field(default_factory=list)
    defaults_filled: dict[str, int] = field(default_factory=dict)  # column -> cells given export.yaml's default
    values_recoded: dict[str, int] = field(default_factory=dict)  # column -> cells export.yaml's values replaced
    derived_columns: list[str] = field(default_factory=list)  # current stock left out: from the open documents
    first_quarantined: str = ""  # "<file> row <n>: <reason>" of the first row quarantined, to start from
    replaced: int = 0  # rows a later file's row with the same key replaced (parts: updates)
    repeated: int = 0  # rows repeating an earlier one, read once (a table read from another's rows)
    excluded: dict[str, int] = field(default_factory=dict)  # export header -> rows export.yaml's exclude left out
    summed_onto: dict[str, int] = field(default_factory=dict)  # a summed table: canonical table -> rows given totals
    units_converted: dict[str, int] = field(default_factory=dict)  # unit of measure -> rows in it (units:)
    unpivoted_rows: int = 0  # a table written wide: the source rows, each giving a row per non-empty cell
    empty_cells_skipped: int = 0  # a table written wide: the empty unpivoted cells, which give no row


@dataclass
class IngestReport:
    """Per table counts, the files not used, the world's source, and what the data supports."""

    tables: list[TableReport]
    skipped_files: list[str]
    source: str = ""
    supports: list[str] = field(default_factory=list)
    replaced_world: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _arrow_schema(contract: TableContract) -> pa.Schema:
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPE[c.kind], nullable=c.nullable) for c in contract.columns]
    )


def _parent_keys(
    table: str, accepted_keys: dict[str, pd.DataFrame], canonical_dir: Path | None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Accepted rows of referenced tables, from this run or else from earlier canonical output
    (none when ``canonical_dir`` is None: the earlier world is being replaced)."""
    parents: dict[str, pd.DataFrame] = {}
    not_checked: list[str] = []
    for fk in EXPORT_TABLES[table].foreign_keys:
        if fk.ref_table in accepted_keys:
            parents[fk.ref_table] = accepted_keys[fk.ref_table]
            continue
        existing = canonical_dir / f"{fk.ref_table}.parquet" if canonical_dir is not None else None
        if existing is not None and existing.exists():
            parents[fk.ref_table] = pd.read_parquet(existing, columns=parent_columns(fk, table))
        else:
            not_checked.append(f"{','.join(fk.columns)} -> {fk.ref_table}")
    return parents, not_checked


def _referenced_columns(table: str) -> list[str]:
    """Columns of ``table`` that other tables point at, compare their dates with or take their item
    from (kept in memory for their rows)."""
    columns: list[str] = []
    for other in EXPORT_TABLES.values():
        for fk in other.foreign_keys:
            if fk.ref_table == table:
                columns += [c for c in parent_columns(fk, other.name) if c not in columns]
    return columns


def _ingest_table(
    export: TableExport,
    layouts: list[FileLayout],
    parents: dict[str, pd.DataFrame],
    staging: Path,
    chunk_rows: int,
    description: ExportDescription,
    derived: list[str],
    conversions: pd.Series,
) -> tuple[TableReport, pd.DataFrame]:
    """Validate every row of one table's file(s) (``layouts``, one per file) as ``description``
    says they are written, writing the accepted rows and the quarantine to ``staging``; the report
    and the referenced key columns.

    A key is unique across the files, or, when they are successive updates, within each file: the
    last file's row with a key is the one kept. A table read from another's files reads a row that
    repeats an earlier one once. Quantities in a unit of measure are converted by ``conversions``."""
    table = export.table
    contract = EXPORT_TABLES[table]
    date_format, dialect = description.date_format_for(table), description.csv_for(table)
    defaults, codes = description.defaults_for(table), description.values_for(table)
    updates = description.parts_for(table) == "updates"
    repeats = table in description.read_from
    mapped = set().union(*({*layout.mapping.values(), *layout.combined} for layout in layouts))
    date_columns = [c.name for c in contract.columns if c.kind in ("date", "datetime") and c.name in mapped]
    date_order = DateOrderCheck(export.name, table, date_columns if date_format is None else [])
    report = TableReport(table=table, source_file=export.name, derived_columns=derived)
    report.ignored_columns = sorted(set().union(*(layout.ignored for layout in layouts)))
    keep = _referenced_columns(table)
    kept_keys: list[pd.DataFrame] = []
    seen_keys = np.empty(0, dtype=np.uint64)  # of the rows accepted so far: the duplicates to quarantine
    written_keys: list[np.ndarray] = []  # with updates: of every row written or left out, in order
    written_rows: list[np.ndarray] = []  # with updates: which of those were written
    seen_rows = np.empty(0, dtype=np.uint64)  # with repeats: of every row read
    canonical_path = staging / "canonical" / f"{table}.parquet"
    quarantine_path = staging / "quarantine" / f"{table}.csv"
    with pq.ParquetWriter(canonical_path, _arrow_schema(contract)) as writer:
        wrote_quarantine_header = False
        for path, layout in zip(export.files, layouts, strict=True):
            if updates:
                seen_keys = np.empty(0, dtype=np.uint64)
            numbers = dialect.numbers if is_csv(path) else PLAIN_NUMBERS
            date_headers = [header for header, column in layout.mapping.items() if column in date_columns]
            date_headers += [header for column in date_columns for header in layout.combined.get(column, [])]
            date_headers = [] if is_day_number_format(date_format) else date_headers  # day numbers: as declared
            for chunk in iter_chunks(path, chunk_rows, dialect, description.header_row_for(table), export.sheet,
                                     date_headers):
                read = long_rows(chunk, layout.unpivot)
                chunk = read.rows
                report.unpivoted_rows += read.unpivoted
                report.empty_cells_skipped += read.empty_cells
                report.rows_read += len(chunk)
                kept = without_excluded(chunk, layout.exclusions, report.excluded)
                if updates and len(kept) < len(chunk):  # a later extract's left-out row retires the earlier one
                    left_out, _ = _canonical_cells(chunk.drop(kept.index), layout, codes, contract, date_format)
                    written_keys.append(parsed_key_hashes(left_out, table, date_format, numbers, defaults))
                    written_rows.append(np.zeros(len(written_keys[-1]), dtype=bool))
                chunk = kept
                raw, recoded = _canonical_cells(chunk, layout, codes, contract, date_format)
                raw = raw.assign(**dict.fromkeys(derived, 0))  # placeholders: the rebuild derives them
                if repeats:
                    raw, seen_rows = without_repeats(raw, seen_rows)
                    report.repeated += len(chunk) - len(raw)
                _add_counts(report.values_recoded, recoded)
                date_order.observe(raw)
                scale = None if layout.unit_header is None else unit_scale(
                    row_items(raw, table, parents, defaults.get("sku_id")),
                    chunk.loc[raw.index, layout.unit_header], conversions, description.unit_factors)
                if scale is not None:
                    _add_counts(report.units_converted, scale.unit.value_counts().to_dict())
                result = validate_table(table, raw, parents=parents, seen_keys=seen_keys, date_format=date_format,
                                        numbers=numbers, defaults=defaults, scale=scale)
                _add_counts(report.defaults_filled, result.filled)
                report.accepted += len(result.accepted)
                report.quarantined += len(result.quarantined)
                writer.write_table(
                    pa.Table.from_pandas(result.accepted, schema=_arrow_schema(contract), preserve_index=False)
                )
                hashes = key_hashes(result.accepted, table)
                seen_keys = np.concatenate([seen_keys, hashes])
                if updates:
                    written_keys.append(hashes)
                    written_rows.append(np.ones(len(hashes), dtype=bool))
                if keep:
                    kept_keys.append(result.accepted[keep])
                bad = chunk.loc[result.quarantined.index]
                bad.insert(0, REASON_COLUMN, result.quarantined[REASON_COLUMN])
                bad.insert(0, "source_row", read.source_rows[bad.index])
                bad.insert(0, "source_file", export.label(path))
                if len(bad) and not report.first_quarantined:
                    file, row, reason = bad.iloc[0][["source_file", "source_row", REASON_COLUMN]]
                    report.first_quarantined = f"{file} row {row}: {reason}"
                bad.to_csv(quarantine_path, mode="a", header=not wrote_quarantine_header, index=False)
                wrote_quarantine_header = True
    if not (report.rows_read or report.unpivoted_rows) and table not in OPTIONAL_TABLES and table not in SUMMED_TABLES:
        held = "the file has a header" if len(export.files) == 1 else "the files have headers"
        raise ContractError(f"{export.name}: {held} but no rows")
    date_order.verdict()
    replaced = replaced_rows(written_keys, written_rows) if updates else np.zeros(report.accepted, dtype=bool)
    if replaced.any():
        drop_rows(canonical_path, replaced)
        report.replaced = int(replaced.sum())
        report.accepted -= report.replaced
    if not keep:
        return report, pd.DataFrame()
    dtypes = {c: stored_dtype(contract.column(c)) for c in keep}
    kept = pd.concat(kept_keys, ignore_index=True) if kept_keys else pd.DataFrame(columns=keep)
    return report, kept[~replaced].reset_index(drop=True).astype(dtypes)


def _canonical_cells(
    rows: pd.DataFrame, layout: FileLayout, codes: dict[str, dict[str, str]], contract: TableContract,
    date_format: str | None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The mapped cells of export ``rows`` under canonical names, with the columns made of several
    cells (a date-time of its date and time, dates in ``date_format``), and the cells recoded per
    column."""
    cells = rows[list(layout.mapping)].rename(columns=layout.mapping)
    for column, headers in layout.combined.items():
        date_time = contract.column(column).kind == "datetime"
        cells[column] = date_and_time(rows[headers], date_format) if date_time else joined_text(rows[headers])
    return recode(cells, codes)


def _add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    for column, cells in counts.items():
        total[column] = total.get(column, 0) + cells


def _inputs_digest(exports: dict[str, TableExport], source_dir: Path, export_config: Path | None) -> str:
    """Digest of the export files and their description: equal digests, equal ingest output."""
    description = export_config or source_dir / EXPORT_DESCRIPTION_FILE
    files = [path for export in exports.values() for path in export.files]
    files += [description] if description.is_file() else []
    names = (f"{table}={export.label(path)}" for table, export in exports.items() for path in export.files)
    return file_digest(files, *sorted(names))


def world_source(source_dir: Path, declared: str | None) -> str:
    """The world an export folder belongs to: its declared ``source``, else the folder itself."""
    return f"source:{declared}" if declared else exports_source(source_dir)


def export_identity(source_dir: Path, export_config: Path | None = None) -> tuple[str, str]:
    """The world an export folder belongs to and the digest of its files, as its ingest records them
    in the manifest: equal to the manifest's, the ingest would write what the folder holds."""
    description = load_export_description(source_dir, export_config)
    exports, _ = discover_exports(source_dir)
    return world_source(source_dir, description.source), _inputs_digest(exports, source_dir, export_config)


def _support(canonical_dir: Path) -> list[str]:
    """``data_support`` of the published tables, reading only the columns it looks at."""
    tables = {}
    for item in OPTIONAL_INPUTS:
        path = canonical_dir / f"{item.table}.parquet"
        if path.exists():
            columns = list(item.columns) or list(CANONICAL_TABLES[item.table].key)
            tables[item.table] = pd.concat(
                [tables.get(item.table, pd.DataFrame()), pd.read_parquet(path, columns=columns)], axis=1
            )
    return data_support(tables)


def ingest_exports(
    source_dir: Path,
    canonical_dir: Path,
    quarantine_dir: Path,
    chunk_rows: int = 100_000,
    export_config: Path | None = None,
    replace: bool = False,
    source: str | None = None,
) -> IngestReport:
    """Validate every export in ``source_dir`` and publish accepted and quarantined rows.

    The export is described by ``export_config`` if given, else by ``source_dir/export.yaml``
    if present. Writes ``canonical_dir/<table>.parquet``, ``quarantine_dir/<table>.csv``
    (columns ``source_file, source_row, reason`` then the export's own columns, ``source_row``
    counting data rows from 1), ``canonical_dir/_ingest_report.json`` and the world's manifest.

    The world's source is ``source``, else the description's ``source``, else the export folder.
    A ``canonical_dir`` holding another source's world raises ``OtherWorld`` unless ``replace``:
    then foreign keys are checked against this export only, and every file of the earlier world
    is removed once the new one is published.
    """
    description = load_export_description(source_dir, export_config)
    found, skipped = discover_exports(source_dir)
    exports = with_tables_read_from(found, description.read_from)
    layouts = export_layouts(exports, description)
    check_summed_exports(exports, layouts, description)
    check_unit_exports(exports, description.units, description.unit_factors)
    derived = {table: derived_columns(exports[table], files, derivable_columns(table, description.inventory))
               for table, files in layouts.items()}
    world = source or world_source(source_dir, description.source)
    if not replace:
        check_same_world(canonical_dir, world)
    held = read_manifest(canonical_dir) if replace else None
    replaced = held.source if held is not None and held.source != world else None
    canonical_dir.mkdir(parents=True, exist_ok=True)
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=canonical_dir.parent))
    try:
        (staging / "canonical").mkdir()
        (staging / "quarantine").mkdir()
        accepted_keys: dict[str, pd.DataFrame] = {}
        reports: list[TableReport] = []
        conversions = no_conversions()
        for table in (t for t in EXPORT_ORDER if t in exports):
            parents, not_checked = _parent_keys(table, accepted_keys, None if replace else canonical_dir)
            report, keys = _ingest_table(
                exports[table],
                layouts[table],
                parents,
                staging,
                chunk_rows,
                description,
                derived[table],
                conversions,
            )
            report.foreign_keys_not_checked = not_checked
            if table in SUMMED_TABLES:
                report.summed_onto = {SUMMED_TABLES[table].onto: sum_onto(table, staging / "canonical")}
            if table == SKU_UNITS.name:
                conversions = unit_conversions(staging / "canonical" / f"{table}.parquet")
            reports.append(report)
            accepted_keys[table] = keys
        result = IngestReport(tables=reports, skipped_files=skipped, source=world, replaced_world=replaced)
        kept, stale = published_files(exports)
        for name in stale:
            (canonical_dir / name).unlink(missing_ok=True)
        for kind, target in (("canonical", canonical_dir), ("quarantine", quarantine_dir)):
            produced = sorted(p for p in (staging / kind).iterdir()
                              if kind == "quarantine" or p.stem in CANONICAL_TABLES or p.name in kept)
            if replace:
                keep = {path.name for path in produced}
                for old in (p for p in target.iterdir() if p.is_file() and p.name not in keep):
                    old.unlink()
            for path in produced:
                os.replace(path, target / path.name)
        write_manifest(canonical_dir, world, "ingest", _inputs_digest(found, source_dir, export_config))
        result.supports = _support(canonical_dir)
        (canonical_dir / REPORT_FILE).write_text(result.to_json() + "\n")
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
