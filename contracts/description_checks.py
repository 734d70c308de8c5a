"""Checks of what ``export.yaml`` names and gives: tables and columns (with the close name when one
is misspelt), cell values as a column would read them, and date formats."""

from __future__ import annotations

import difflib
from datetime import date, datetime

from contracts.day_numbers import DAY_NUMBER_FORMATS, is_day_number_format
from contracts.export_tables import EXPORT_TABLES
from contracts.table_spec import TableContract
from contracts.validation import default_value

Cell = str | int | float | bool
# A day that tells day, month and year apart, to check that a format reads back what it writes.
_PROBE_DAY = date(2024, 12, 31)


def known_table(table: str) -> str:
    if table not in EXPORT_TABLES:
        raise ValueError(f"unknown table {table!r}{did_you_mean(table, EXPORT_TABLES)}")
    return table


def known_column(table: str, column: str) -> TableContract:
    """The contract of ``table``, once it is known to have ``column``."""
    known_table(table)
    contract = EXPORT_TABLES[table]
    if column not in contract.column_names:
        close = did_you_mean(column, contract.column_names)
        raise ValueError(f"{table}: table {table} has no column {column!r}{close}")
    return contract


def checked_cell(table: str, column: str, value: Cell) -> None:
    """A ValueError naming the table when a cell of ``table.column`` holding ``value`` would be quarantined."""
    try:
        default_value(table, column, value)
    except ValueError as error:
        raise ValueError(f"{table}: {error}") from None


def did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def checked_format(date_format: str) -> str:
    """A day number's name, or a strftime format that writes and reads back a full calendar day
    (day, month and year)."""
    if is_day_number_format(date_format):
        return date_format
    try:
        read_back = datetime.strptime(_PROBE_DAY.strftime(date_format), date_format).date()
    except ValueError as error:
        raise ValueError(f"{date_format!r} is not a usable date format ({error})") from error
    if read_back != _PROBE_DAY:
        raise ValueError(f"{date_format!r} must name the day, the month and the year (e.g. %d/%m/%Y), or be "
                         f"a day number: {', '.join(DAY_NUMBER_FORMATS)}")
    return date_format
