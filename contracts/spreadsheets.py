"""Spreadsheet exports (.xlsx, .xlsm, .xlsb, .xls, .ods) read row by row through calamine: calamine
holds the sheet's cells, and the frames built from them stay the size of a chunk.

The table is the sheet it was found on (a workbook holding several tables, one per sheet named after
it), else the workbook's only sheet, or its sheet named like the file; its header is the declared
row (counting from 1 as the spreadsheet does) or the first row that is not empty. Cells keep their types:
dates as dates, numbers as numbers (whole numbers in a column with blank cells stay whole, so an id
12345 does not become "12345.0"), empty cells as missing. A number in a date column is the serial
day a spreadsheet stores a date as (a date cell left without a date format), in the workbook's
date system.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection, Iterator
from itertools import dropwhile, islice
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from contracts.day_numbers import SERIAL_DAY_ZERO, serial_days
from contracts.errors import ContractError
from contracts.headers import check_unique_names, normalize_name

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def workbook_sheets(path: Path) -> list[str]:
    """The names of a workbook's sheets, in the workbook's order."""
    try:
        return [str(name) for name in CalamineWorkbook.from_path(str(path)).sheet_names]
    except Exception as error:  # calamine raises several types for a corrupt file
        raise ContractError(f"{path.name}: cannot be read ({error})") from error


def _sheet_rows(path: Path, stem: str, sheet: str | None) -> Iterator[list[object]]:
    """Every row of the table's sheet, from its first: ``sheet`` when given."""
    book = CalamineWorkbook.from_path(str(path))
    if sheet is not None:
        return book.get_sheet_by_name(sheet).iter_rows()
    names = [str(name) for name in book.sheet_names]
    named = [name for name in names if normalize_name(name) == normalize_name(stem)]
    if len(names) != 1 and not named:
        raise ContractError(
            f"{path.name}: {len(names)} sheets ({', '.join(map(repr, names))}) and none named like the "
            f"file; keep the table on one sheet or name its sheet {stem!r}"
        )
    return book.get_sheet_by_name(names[0] if len(names) == 1 else named[0]).iter_rows()


def _rows(path: Path, stem: str, sheet: str | None, header_row: int | None) -> Iterator[list[object]]:
    """The rows of the table's sheet from its header: row ``header_row``, else the first not empty."""
    rows = _sheet_rows(path, stem, sheet)
    if header_row is not None:
        return islice(rows, header_row - 1, None)
    return dropwhile(lambda row: all(cell == "" for cell in row), rows)


def leading_sheet_rows(path: Path, stem: str, sheet: str | None, count: int) -> list[list[str]]:
    """The first ``count`` rows of the table's sheet as text, to look for a header below a title."""
    return [[str(cell) for cell in row] for row in islice(_sheet_rows(path, stem, sheet), count)]


def _header(path: Path, first_row: list[object]) -> list[str]:
    """The column names of a first row; an empty cell is named ``Unnamed: <i>`` as pandas names one in
    a CSV header (so it is ignored and listed like any extra column); a name twice is an error."""
    names = [str(cell) if str(cell).strip() else f"Unnamed: {i}" for i, cell in enumerate(first_row)]
    check_unique_names(path.name, names)
    return names


def sheet_header(path: Path, stem: str, sheet: str | None = None, header_row: int | None = None) -> list[str]:
    """The column names of the table's sheet."""
    return _header(path, next(_rows(path, stem, sheet, header_row), []))


def _typed(cells: pd.Series) -> pd.Series:
    """One column of cells: dates as datetime64, whole numbers as Int64, empty cells missing."""
    cells = cells.mask(cells.eq(""), None)
    present = cells.dropna()
    if len(present) and pd.api.types.infer_dtype(present) in ("date", "datetime"):
        return pd.to_datetime(cells)
    cells = cells.infer_objects()
    if pd.api.types.is_float_dtype(cells) and (present.astype(float) % 1 == 0).all():
        return cells.astype("Int64")
    return cells


def _serial_day_zero(path: Path) -> pd.Timestamp:
    """The day serial day 0 stands for in the workbook at ``path``: 1 January 1904 when an .xlsx
    or .xlsm file says it counts from 1904 (Excel for Mac's former default), else 30 December 1899."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as book:
                workbook = book.read("xl/workbook.xml")
        except (zipfile.BadZipFile, KeyError):
            workbook = b""
        if re.search(rb"date1904=[\"'](1|true)[\"']", workbook):
            return SERIAL_DAY_ZERO["excel-1904"]
    return SERIAL_DAY_ZERO["excel"]


def _serial_days_as_dates(cells: pd.Series, day_zero: pd.Timestamp) -> pd.Series:
    """The number cells of a date column as the dates they count (a date in a cell without a date
    format shows as 45355), to the second; other cells as they are."""
    numbers = cells.map(lambda cell: isinstance(cell, int | float) and not isinstance(cell, bool)).astype(bool)
    if not numbers.any():
        return cells
    dates = serial_days(pd.to_numeric(cells[numbers]).astype(float), day_zero)  # NaT beyond: left a number
    out = cells.astype(object).copy()
    out[numbers] = dates.astype(object).where(dates.notna(), cells[numbers])
    return out


def sheet_chunks(
    path: Path,
    stem: str,
    chunk_rows: int,
    sheet: str | None = None,
    header_row: int | None = None,
    date_headers: Collection[str] = (),
) -> Iterator[pd.DataFrame]:
    """The rows of the table's sheet under its header, ``chunk_rows`` at a time; number cells
    under ``date_headers`` as the serial days they count."""
    rows = _rows(path, stem, sheet, header_row)
    header = _header(path, next(rows, []))
    day_zero = _serial_day_zero(path)
    while chunk := list(islice(rows, chunk_rows)):
        frame = pd.DataFrame(chunk, columns=header, dtype=object)
        for column in set(date_headers) & set(header):
            frame[column] = _serial_days_as_dates(frame[column], day_zero)
        yield pd.DataFrame({column: _typed(frame[column]) for column in header})
