"""Chunked readers for CSV, Parquet and spreadsheet exports.

Every file is read chunk by chunk, so the frames stay the size of a chunk (spreadsheets:
``contracts.spreadsheets``). CSV files are read in the export's declared dialect (``csv:`` in
export.yaml); a header that reads as one column holding another delimiter stops the ingest and
names the setting to declare. Parquet and spreadsheet cells keep their own types. The header of a
CSV or spreadsheet file is its declared row (``header_row:``, counting from 1; the rows above are
skipped) or its first row that is not empty. A spreadsheet's table is on ``sheet`` when given (a
workbook of several tables), else as ``contracts.spreadsheets`` finds it.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from contracts.csv_dialect import DEFAULT_DIALECT, CsvDialect, separator_line
from contracts.errors import ContractError
from contracts.headers import check_unique_names
from contracts.spreadsheets import SPREADSHEET_SUFFIXES, leading_sheet_rows, sheet_chunks, sheet_header

# CSV files may be compressed (pandas infers the compression from the suffix); .tsv and .txt files
# are text exports, tab-separated unless declared otherwise (``CsvDialect.for_file``).
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Delimiters a one-column header is checked for, with the name an error gives them.
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


def is_csv(path: Path) -> bool:
    """Whether ``path`` is read as CSV text (else as typed cells)."""
    return path.name.lower().endswith(CSV_SUFFIXES)


def _file_dialect(path: Path, dialect: CsvDialect) -> CsvDialect:
    """The dialect a CSV or text file is read in (its delimiter by suffix unless declared, UTF-16 by
    its byte-order mark); ``dialect`` as it is for other files."""
    return dialect.for_file(path) if is_csv(path) else dialect


def is_spreadsheet(path: Path) -> bool:
    """Whether ``path`` is a workbook (read sheet by sheet, cells typed)."""
    return path.name.lower().endswith(SPREADSHEET_SUFFIXES)


def export_stem(path: Path) -> str | None:
    """An export file's name without its CSV, Parquet or spreadsheet suffix; None for other files."""
    name = path.name.lower()
    suffix = next((s for s in CSV_SUFFIXES + PARQUET_SUFFIXES + SPREADSHEET_SUFFIXES if name.endswith(s)), None)
    return path.name[: -len(suffix)] if suffix else None


def _not_decodable(path: Path, dialect: CsvDialect, error: UnicodeDecodeError) -> ContractError:
    other = "cp1252" if dialect.encoding.replace("-", "").lower() == "utf8" else "utf-8"
    return ContractError(
        f"{path.name}: not valid {dialect.encoding} text ({error.reason}); "
        f"declare the files' encoding in export.yaml, e.g. `csv: {{encoding: {other}}}`"
    )


def _one_column_check(path: Path, columns: list[str], dialect: CsvDialect) -> None:
    """A header read as a single column that holds another delimiter: the file is written with it."""
    if len(columns) != 1:
        return
    for delimiter, name in _OTHER_DELIMITERS.items():
        if delimiter != dialect.delimiter and delimiter in columns[0]:
            raise ContractError(
                f"{path.name}: the header reads as one column {columns[0][:60]!r}: the file looks "
                f"{name}-separated; declare it in export.yaml as `csv: {{delimiter: {delimiter!r}}}`"
            )


def _skipped(path: Path, dialect: CsvDialect, header_row: int | None) -> int | None:
    """The lines pandas skips for the header to be on ``header_row``, counted as Excel shows the
    file: below a ``sep=`` line naming the delimiter."""
    named = separator_line(path, dialect.encoding) is not None
    above = 0 if header_row is None else header_row - 1
    return above + named or None


def read_header(
    path: Path, dialect: CsvDialect = DEFAULT_DIALECT, header_row: int | None = None, sheet: str | None = None
) -> list[str]:
    """Column names of an export, without reading its rows."""
    dialect = _file_dialect(path, dialect)
    try:
        if is_csv(path):
            header = pd.read_csv(path, header=None, nrows=1, dtype=str, sep=dialect.delimiter,
                                 encoding=dialect.encoding, skiprows=_skipped(path, dialect, header_row),
                                 keep_default_na=False)
            columns = [name if name.strip() else f"Unnamed: {i}" for i, name in enumerate(header.iloc[0])]
            _one_column_check(path, columns, dialect)
            check_unique_names(path.name, columns)
        elif is_spreadsheet(path):
            columns = sheet_header(path, export_stem(path) or "", sheet, header_row)
        else:
            columns = list(pq.read_schema(path).names)
    except UnicodeDecodeError as error:
        raise _not_decodable(path, dialect, error) from error
    except ContractError:
        raise
    except pd.errors.EmptyDataError as error:
        raise _no_header(path, header_row) from error
    except Exception as error:  # pyarrow and calamine raise several types for a corrupt file
        raise ContractError(f"{path.name}: cannot be read ({error})") from error
    if not columns:
        raise _no_header(path, header_row)
    return columns


def _no_header(path: Path, header_row: int | None) -> ContractError:
    if header_row is None:
        return ContractError(f"{path.name}: the file is empty (no header row)")
    return ContractError(f"{path.name}: nothing on row {header_row}, where export.yaml's header_row puts the header")


def leading_rows(
    path: Path, dialect: CsvDialect = DEFAULT_DIALECT, sheet: str | None = None, count: int = 30
) -> list[list[str]]:
    """The first ``count`` rows of a CSV or spreadsheet file as text cells, blank ones included (row
    ``i`` of the list is the file's row ``i + 1``); none for Parquet. Used to find a header under a
    report's title."""
    dialect = _file_dialect(path, dialect)
    try:
        if is_csv(path):
            lines = pd.read_csv(path, header=None, names=["line"], nrows=count, dtype=str, sep="\x1f",
                                quoting=csv.QUOTE_NONE, encoding=dialect.encoding, skip_blank_lines=False,
                                skiprows=_skipped(path, dialect, None), keep_default_na=False)["line"]
            return [next(csv.reader([line], delimiter=dialect.delimiter), []) for line in lines]
        if is_spreadsheet(path):
            return leading_sheet_rows(path, export_stem(path) or "", sheet, count)
    except (UnicodeDecodeError, pd.errors.ParserError):
        return []
    return []


def iter_chunks(
    path: Path,
    chunk_rows: int,
    dialect: CsvDialect = DEFAULT_DIALECT,
    header_row: int | None = None,
    sheet: str | None = None,
    date_headers: Collection[str] = (),
) -> Iterator[pd.DataFrame]:
    """Yield the rows of an export in chunks with a running 0-based row index.

    CSV cells stay text so that coercion can report each unparseable value; Parquet and
    spreadsheets keep their own types, a spreadsheet's number cells under ``date_headers`` read
    as the serial days they count.
    """
    offset = 0
    dialect = _file_dialect(path, dialect)
    try:
        if is_csv(path):
            reader = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                chunksize=chunk_rows,
                sep=dialect.delimiter,
                encoding=dialect.encoding,
                skip_blank_lines=True,
                skiprows=_skipped(path, dialect, header_row),
            )
            chunks: Iterator[pd.DataFrame] = iter(reader)
        elif is_spreadsheet(path):
            chunks = sheet_chunks(path, export_stem(path) or "", chunk_rows, sheet, header_row, date_headers)
        else:
            parquet = pq.ParquetFile(path)
            chunks = (batch.to_pandas() for batch in parquet.iter_batches(batch_size=chunk_rows))
        for chunk in chunks:
            chunk.index = pd.RangeIndex(offset, offset + len(chunk))
            offset += len(chunk)
            yield chunk
    except UnicodeDecodeError as error:
        raise _not_decodable(path, dialect, error) from error
    except pd.errors.ParserError as error:
        raise ContractError(f"{path.name}: malformed CSV ({error})") from error
