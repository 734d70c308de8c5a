"""One export file's layout, checked before any row is read: which of its headers name which
canonical columns, which are ignored, and which columns current stock may leave out.

The header is read where ``export.yaml`` says (``header_row:``) or on the first row that is not
empty; when the required columns are not there, the first rows are searched for one holding them,
so the error can name the row to declare. Every file is checked before the ingest stops, so one
error names every file's problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from contracts.errors import ContractError, MissingColumnsError
from contracts.export_description import ExportDescription
from contracts.export_files import TableExport
from contracts.export_tables import EXPORT_TABLES
from contracts.headers import close_headers, combined_headers, header_mapping, normalize_name
from contracts.inventory_history import DERIVED_WHEN_ABSENT
from contracts.readers import leading_rows, read_header
from contracts.validation import missing_required_columns
from contracts.wide_headers import Unpivot


@dataclass(frozen=True)
class FileLayout:
    """One export file's headers: those mapped to canonical columns, those ignored, those whose
    values leave a row out (``exclude:``), with these values, the canonical columns made of
    several headers (``combine:``), with these headers, the header naming each row's unit of
    measure (``units:``), and the headers whose cells become rows (``unpivot:``), the mapping then
    naming the long rows' columns taking each header and each cell."""

    mapping: dict[str, str]
    ignored: list[str]
    exclusions: dict[str, set[str]] = field(default_factory=dict)
    combined: dict[str, list[str]] = field(default_factory=dict)
    unit_header: str | None = None
    unpivot: Unpivot | None = None

    @property
    def read_headers(self) -> set[str]:
        """The headers whose values some canonical column takes."""
        unit = [self.unit_header] if self.unit_header else []
        wide = self.unpivot.headers if self.unpivot else ()
        return {*self.mapping, *(header for headers in self.combined.values() for header in headers), *unit, *wide}


def file_layout(export: TableExport, path: Path, description: ExportDescription) -> FileLayout:
    """The layout of one file of ``export``, or a ContractError naming the file and the column.

    A required column may be absent when ``description`` gives it a default or current stock
    derives it. A missing one comes with the file's unused headers that look like it, or with the
    row the header seems to be on when it is not where it was looked for.
    """
    table, label = export.table, export.label(path)
    contract = EXPORT_TABLES[table]
    declared, combine = description.headers_for(table), description.combined_for(table)
    defaulted = [*description.defaults.get(table, {}), *derivable_columns(table, description.inventory)]
    headers = read_header(path, description.csv_for(table), description.header_row_for(table), export.sheet)
    unit = description.units.get(table)
    unpivot = description.unpivot.get(table)
    taken = [*declared, *(part for parts in combine.values() for part in parts), *description.exclusions_for(table),
             *([unit] if unit else []), *contract.column_names]

    def read_as_header(row: list[str]) -> tuple[dict[str, str], dict[str, list[str]], list[str], Unpivot | None]:
        """``row``'s headers -> canonical columns, the columns made of several of them, the required
        columns it lacks and the headers whose cells become rows (ValueError: a clash or a declared
        header it does not have)."""
        wide = unpivot.in_file(row, taken) if unpivot else None
        row = [header for header in row if wide is None or header not in wide.headers]
        combined = combined_headers(row, combine)
        mapping = header_mapping(row, [c for c in contract.column_names if c not in combined], declared)
        clash = next((header for header, column in mapping.items() if wide and column in wide.long_columns), None)
        if clash is not None:
            raise ValueError(f"header {clash!r} names column {mapping[clash]}, which export.yaml's unpivot fills; "
                             "keep one")
        mapping |= wide.long_columns if wide else {}
        return mapping, combined, missing_required_columns([*mapping.values(), *combined, *defaulted], contract), wide

    def usable(row: list[str]) -> bool:
        try:
            return not read_as_header(row)[2]
        except ValueError:
            return False

    def header_hint() -> str:
        rows = leading_rows(path, description.csv_for(table), export.sheet)
        found = next((i + 1 for i, row in enumerate(rows) if usable(row)), None)
        return "" if found is None else (
            f"; the header looks to be on row {found}: declare it in export.yaml as "
            f"`header_row: {{{table}: {found}}}`"
        )

    try:
        mapping, combined, missing, wide = read_as_header(headers)
    except ValueError as error:
        raise ContractError(f"{label}: {error}{header_hint()}") from error
    if missing:
        unused = [header for header in headers if header not in mapping]
        close = {column: close_headers(column, unused) for column in missing}
        raise MissingColumnsError(label, missing, close, header_hint())
    by_name = {normalize_name(header): header for header in headers}
    exclusions = description.exclusions_for(table)
    absent = [header for header in exclusions if normalize_name(header) not in by_name]
    if absent:
        raise ContractError(f"{label}: export.yaml excludes rows by {', '.join(map(repr, absent))}, "
                            "which the file does not have")
    if unit is not None and normalize_name(unit) not in by_name:
        raise ContractError(f"{label}: export.yaml gives the unit of measure in {unit!r} (units), which the file "
                            "does not have")
    layout = FileLayout(mapping, [], {by_name[normalize_name(header)]: values for header, values in exclusions.items()},
                        combined, by_name[normalize_name(unit)] if unit is not None else None, wide)
    return replace(layout, ignored=[header for header in headers if header not in layout.read_headers])


def derivable_columns(table: str, inventory: str | None) -> tuple[str, ...]:
    """The columns ``table`` may leave out because the inventory rebuild derives them: those of
    ``DERIVED_WHEN_ABSENT`` when the export declares its inventory current stock."""
    return DERIVED_WHEN_ABSENT if table == "inventory_snapshots" and inventory == "current_stock" else ()


def derived_columns(export: TableExport, layouts: list[FileLayout], derivable: tuple[str, ...]) -> list[str]:
    """The derivable columns no file of ``export`` has; one some files have and others not is an error."""
    absent = [{name for name in derivable if name not in layout.mapping.values()} for layout in layouts]
    derived, partly = set.intersection(*absent), set.union(*absent)
    if partly - derived:
        raise ContractError(f"{export.name}: {', '.join(sorted(partly - derived))} in some files and not in others")
    return [name for name in derivable if name in derived]


def export_layouts(exports: dict[str, TableExport], description: ExportDescription) -> dict[str, list[FileLayout]]:
    """The layout of every file of ``exports``, per table; a ContractError naming each file that
    cannot be read as its table (the file's own error when there is one)."""
    layouts: dict[str, list[FileLayout]] = {}
    problems: list[ContractError] = []
    for table, export in exports.items():
        for path in export.files:
            try:
                layouts.setdefault(table, []).append(file_layout(export, path, description))
            except ContractError as error:
                problems.append(error)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ContractError(f"{len(problems)} files cannot be read as their table:\n" +
                            "\n".join(f"  - {problem}" for problem in problems))
    return shared_file_layouts(layouts, description.read_from)


def shared_file_layouts(
    layouts: dict[str, list[FileLayout]], read_from: dict[str, str]
) -> dict[str, list[FileLayout]]:
    """``layouts`` where a file holds two tables (``read_from``): the headers one table maps are not
    ignored by the other."""
    shared = dict(layouts)
    for table, host in read_from.items():
        shared[host] = [
            replace(own, ignored=[header for header in own.ignored if header not in other.read_headers])
            for own, other in zip(shared[host], layouts[table], strict=True)
        ]
        shared[table] = [replace(other, ignored=[]) for other in layouts[table]]
    return shared
