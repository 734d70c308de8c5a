"""Chunked readers for CSV and Parquet exports: memory stays bounded by the chunk size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from contracts.errors import ContractError

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq")


def read_header(path: Path) -> list[str]:
    """Column names of an export, without reading its rows."""
    try:
        if path.suffix.lower() == ".csv":
            header = pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8")
            columns = [str(c) for c in header.columns]
        else:
            columns = list(pq.read_schema(path).names)
    except UnicodeDecodeError as error:
        raise ContractError(f"{path.name}: not valid UTF-8 text ({error.reason})") from error
    except pd.errors.EmptyDataError as error:
        raise ContractError(f"{path.name}: the file is empty (no header row)") from error
    except Exception as error:  # pyarrow raises several types for corrupt Parquet
        raise ContractError(f"{path.name}: cannot be read ({error})") from error
    if not columns:
        raise ContractError(f"{path.name}: the file has no columns")
    return columns


def iter_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the rows of an export in chunks with a running 0-based row index.

    CSV cells stay text so that coercion can report each unparseable value; Parquet keeps its
    own types.
    """
    offset = 0
    try:
        if path.suffix.lower() == ".csv":
            reader = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                chunksize=chunk_rows,
                encoding="utf-8",
                skip_blank_lines=True,
            )
            chunks: Iterator[pd.DataFrame] = iter(reader)
        else:
            parquet = pq.ParquetFile(path)
            chunks = (batch.to_pandas() for batch in parquet.iter_batches(batch_size=chunk_rows))
        for chunk in chunks:
            chunk.index = pd.RangeIndex(offset, offset + len(chunk))
            offset += len(chunk)
            yield chunk
    except UnicodeDecodeError as error:
        raise ContractError(f"{path.name}: not valid UTF-8 text ({error.reason})") from error
    except pd.errors.ParserError as error:
        raise ContractError(f"{path.name}: malformed CSV ({error})") from error
