"""What a table declaration is made of: columns with their types and ranges, foreign keys, row
rules and the table contract that holds them (the tables themselves are in ``contracts.tables``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["string", "int", "float", "bool", "date", "datetime"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table.

    ``ge``/``le`` bound numeric values, ``allowed`` restricts strings to a set. Dates are
    calendar days (stored as midnight timestamps); datetimes keep the time of day. A
    ``stock_units`` column counts the item's stocking units (an export in other units of measure
    is converted at ingest). ``shown_as`` says how a spreadsheet saving values as it shows them may
    write the column's: ``money`` with a currency symbol or code (``$1,234.50``, ``12,50 €``), a
    ``fraction`` as a percentage (``12.5%``).
    """

    name: str
    kind: ColumnKind
    description: str
    nullable: bool = False
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    allowed: tuple[str, ...] | None = None
    stock_units: bool = False
    shown_as: Literal["money", "fraction"] | None = None


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table must exist as ``ref_columns`` of table ``ref_table``; each pair of
    ``not_before`` (a date of this row, a date of the row it points at) must not go back in time."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    not_before: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, as a pandas ``DataFrame.eval`` expression that must hold.

    Rows where any referenced column is null pass (nullability is checked per column).
    """

    name: str
    expression: str
    columns: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class TableContract:
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_rules: tuple[RowRule, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns an export must contain (nullable columns may be absent and are filled with nulls)."""
        return [c.name for c in self.columns if not c.nullable]

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"table {self.name} has no column {name}")


@dataclass(frozen=True)
class SummedTable:
    """A table an export may hold whose rows are summed onto the rows of canonical table ``onto``
    that share its ``by`` columns, at ingest: ``totals`` maps each of its columns to the
    aggregation (``sum``, ``max``) that gives the column of that name on the canonical row. It is
    not a canonical table."""

    contract: TableContract
    onto: str
    by: tuple[str, ...]
    totals: dict[str, Literal["sum", "max"]]

    @property
    def rows_file(self) -> str:
        """The file beside the canonical tables that keeps its rows (for the inventory rebuild)."""
        return f"_{self.contract.name}.parquet"
