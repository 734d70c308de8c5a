"""Which files of an export folder hold which canonical table.

A table is one file named after it (``order_lines.csv``, ``Order Lines.parquet``,
``ORDER-LINES.csv.gz``), a folder named after it holding its rows in several files, read in
name order (``order_lines/2024-01.csv``, ``order_lines/part-00000.parquet``), or a sheet named
after it in a workbook that is not (``erp.xlsx`` with sheets ``SKUs`` and ``Order Lines``).
Anything else is listed as skipped, never silently read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from contracts.errors import ContractError
from contracts.export_tables import EXPORT_TABLES
from contracts.export_yaml import EXPORT_DESCRIPTION_FILE
from contracts.headers import normalize_name
from contracts.readers import export_stem, is_spreadsheet
from contracts.spreadsheets import workbook_sheets

# Names of files that hold no rows: hidden files, a job's markers (_SUCCESS) and the lock file a
# spreadsheet program keeps beside an open workbook (~$erp.xlsx).
_NOT_DATA_PREFIXES = (".", "_", "~$")


@dataclass(frozen=True)
class TableExport:
    """The file, the folder of part files or the workbook's sheet one table is exported as."""

    table: str
    name: str  # as the export folder shows it: "order_lines.csv", "order_lines/" or "erp.xlsx[Order Lines]"
    files: tuple[Path, ...]
    sheet: str | None = None  # the sheet of a workbook holding several tables

    def label(self, path: Path) -> str:
        """How reports and quarantine rows name one of the files: relative to the export folder."""
        return f"{self.name}{path.name}" if self.name.endswith("/") else self.name


def _folder_parts(folder: Path) -> tuple[list[Path], list[str]]:
    """The export files of a table's folder, in name order, and the names of its other entries."""
    parts, other = [], []
    for path in sorted(folder.iterdir()):
        if path.is_file() and export_stem(path) is not None and not path.name.startswith(_NOT_DATA_PREFIXES):
            parts.append(path)
        else:
            other.append(f"{folder.name}/{path.name}")
    return parts, other


def _workbook_tables(path: Path, by_name: dict[str, str]) -> tuple[list[TableExport], list[str]]:
    """The tables on the sheets of a workbook not named after a table, and its other sheets."""
    exports, other = [], []
    for sheet in workbook_sheets(path):
        table = by_name.get(normalize_name(sheet))
        if table is None:
            other.append(f"{path.name}[{sheet}]")
        else:
            exports.append(TableExport(table, f"{path.name}[{sheet}]", (path,), sheet))
    return exports, other


def _entry_exports(path: Path, by_name: dict[str, str]) -> tuple[list[TableExport], list[str]]:
    """The tables one entry of the export folder holds, and what of it is skipped."""
    if path.is_dir():
        table = by_name.get(normalize_name(path.name))
        parts, other = _folder_parts(path) if table is not None else ([], [])
        if not parts:
            return [], [*other, f"{path.name}/"]
        return [TableExport(table, f"{path.name}/", tuple(parts))], other
    stem = export_stem(path) if not path.name.startswith(_NOT_DATA_PREFIXES) else None
    table = by_name.get(normalize_name(stem)) if stem is not None else None
    if table is not None:
        return [TableExport(table, path.name, (path,))], []
    exports, other = _workbook_tables(path, by_name) if stem is not None and is_spreadsheet(path) else ([], [])
    return (exports, other) if exports else ([], [path.name])  # no sheet named after a table: skipped whole


def discover_exports(source_dir: Path) -> tuple[dict[str, TableExport], list[str]]:
    """Map canonical table names to their export by normalized file, folder or sheet name; list
    the entries that hold no table."""
    if not source_dir.is_dir():
        raise ContractError(f"source directory {source_dir} does not exist")
    by_name = {normalize_name(name): name for name in EXPORT_TABLES}
    found: dict[str, TableExport] = {}
    skipped: list[str] = []
    for path in sorted(source_dir.iterdir()):
        if path.name == EXPORT_DESCRIPTION_FILE:
            continue
        exports, other = _entry_exports(path, by_name)
        skipped += other
        for export in exports:
            if export.table in found:
                raise ContractError(
                    f"both {found[export.table].name} and {export.name} hold table {export.table}"
                )
            found[export.table] = export
    if not found:
        raise ContractError(f"no export in {source_dir} matches a canonical table")
    return found, skipped


def with_tables_read_from(exports: dict[str, TableExport], read_from: dict[str, str]) -> dict[str, TableExport]:
    """``exports`` plus each table of ``read_from`` (table -> the table whose files hold its rows),
    read from the other's files; a ContractError when the other is not exported or the table is."""
    tables = dict(exports)
    for table, host in read_from.items():
        if table in exports:
            raise ContractError(
                f"{exports[table].name} holds table {table}, which export.yaml reads from {host} (read_from)"
            )
        if host not in exports:
            raise ContractError(f"export.yaml reads table {table} from {host} (read_from), and no file holds {host}")
        tables[table] = replace(exports[host], table=table)
    return tables
