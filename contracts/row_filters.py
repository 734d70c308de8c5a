"""Rows of a table's files set aside around validation: those ``exclude:`` leaves out, those
repeating an earlier row (a table read from another's rows) and those a later extract replaced
(``parts: updates``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def without_excluded(chunk: pd.DataFrame, exclusions: dict[str, set[str]], counts: dict[str, int]) -> pd.DataFrame:
    """The rows of ``chunk`` whose exclusion headers hold none of their values (cell text, trimmed);
    the rows left out are added to ``counts`` under the first header that excludes them."""
    keep = pd.Series(True, index=chunk.index)
    for header, values in exclusions.items():
        hit = keep & chunk[header].astype("string").str.strip().isin(values).fillna(False)
        counts[header] = counts.get(header, 0) + int(hit.sum())
        keep &= ~hit
    return chunk[keep]


def without_repeats(raw: pd.DataFrame, seen_rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``raw`` not repeating an earlier one (in it or hashed in ``seen_rows``), and the
    hashes of every row read so far."""
    hashes = pd.util.hash_pandas_object(raw, index=False).to_numpy()
    repeat = pd.Series(hashes).duplicated().to_numpy() | np.isin(hashes, seen_rows)
    return raw[~repeat], np.concatenate([seen_rows, hashes[~repeat]])


def replaced_rows(keys: list[np.ndarray], written: list[np.ndarray]) -> np.ndarray:
    """Per row written, in order: whether a later row has its key, written or left out (and so
    replaces or retires it). ``keys`` are of the rows in the order read, ``written`` says which
    of them were written."""
    if not keys:
        return np.zeros(0, dtype=bool)
    later = pd.Index(np.concatenate(keys)).duplicated(keep="last")
    return later[np.concatenate(written)]


def drop_rows(path: Path, drop: np.ndarray) -> None:
    """Rewrite the Parquet file at ``path`` without the rows where ``drop`` is true, batch by batch."""
    rewritten = path.with_name(f"{path.stem}.rewrite.parquet")
    start = 0
    with pq.ParquetFile(path) as source, pq.ParquetWriter(rewritten, source.schema_arrow) as writer:
        for batch in source.iter_batches():
            writer.write_batch(batch.filter(pa.array(~drop[start : start + batch.num_rows])))
            start += batch.num_rows
    os.replace(rewritten, path)
