"""Spreadsheet exports (.xlsx, .xlsm, .xlsb, .xls, .ods) read row by row through calamine: calamine
holds the sheet's cells, and the frames built from them stay the size of a chunk.

The table is the workbook's only sheet, or its sheet named like the file. Cells keep their types:
dates as dates, numbers as numbers (whole numbers in a column with blank cells stay whole, so an id
12345 does not become "12345.0"), empty cells as missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from contracts.errors import ContractError
from contracts.headers import normalize_name

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _rows(path: Path, stem: str) -> Iterator[list[object]]:
    """The rows of the table's sheet, header first."""
    book = CalamineWorkbook.from_path(str(path))
    names = [str(name) for name in book.sheet_names]
    named = [name for name in names if normalize_name(name) == normalize_name(stem)]
    if len(names) != 1 and not named:
        raise ContractError(
            f"{path.name}: {len(names)} sheets ({', '.join(map(repr, names))}) and none named like the "
            f"file; keep the table on one sheet or name its sheet {stem!r}"
        )
    return book.get_sheet_by_name(names[0] if len(names) == 1 else named[0]).iter_rows()


def _header(path: Path, first_row: list[object]) -> list[str]:
    """The column names of a first row; an empty cell is named ``Unnamed: <i>`` as pandas names one in
    a CSV header (so it is ignored and listed like any extra column); a name twice is an error."""
    names = [str(cell) if str(cell).strip() else f"Unnamed: {i}" for i, cell in enumerate(first_row)]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ContractError(f"{path.name}: the header names {', '.join(map(repr, twice))} more than once")
    return names


def sheet_header(path: Path, stem: str) -> list[str]:
    """The column names of the table's sheet (its first row)."""
    return _header(path, next(_rows(path, stem), []))


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


def sheet_chunks(path: Path, stem: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of the table's sheet under its header, ``chunk_rows`` at a time."""
    rows = _rows(path, stem)
    header = _header(path, next(rows, []))
    while chunk := list(islice(rows, chunk_rows)):
        frame = pd.DataFrame(chunk, columns=header, dtype=object)
        yield pd.DataFrame({column: _typed(frame[column]) for column in header})
