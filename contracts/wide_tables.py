"""The rows of a wide export (one column per warehouse) read as the long rows of its table.

Each source row gives one row per unpivoted column (``unpivot:`` in ``export.yaml``, the headers a
file has in ``contracts.wide_headers``): its other cells, the header and the cell. An empty cell
gives no row, since the report had no figure there; a 0 is a row. The long rows keep the order of
the file, source row by source row, and each keeps the number of its source row for the quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contracts.coercion import blank_to_na
from contracts.wide_headers import Unpivot


@dataclass(frozen=True)
class LongRows:
    """The rows of one chunk as validated, the number of each one's source row (counting data rows
    from 1, indexed like ``rows``), and, when unpivoted, the source rows read and the empty cells
    that gave no row (both 0 otherwise)."""

    rows: pd.DataFrame
    source_rows: pd.Series
    unpivoted: int = 0
    empty_cells: int = 0


def long_rows(chunk: pd.DataFrame, unpivot: Unpivot | None) -> LongRows:
    """``chunk`` (indexed by data row from 0) as rows of its table: one per non-empty cell under the
    ``unpivot`` headers, the header in its ``names_to`` column and the cell in its ``values_to``
    column; ``chunk`` itself when the table is not written wide."""
    if unpivot is None:
        return LongRows(chunk, pd.Series(chunk.index + 1, index=chunk.index))
    headers = list(unpivot.headers)
    melted = chunk.melt(id_vars=[c for c in chunk.columns if c not in headers], value_vars=headers,
                        var_name=unpivot.names_to, value_name=unpivot.values_to, ignore_index=False)
    melted = melted.sort_index(kind="stable")  # melt stacks column by column: back to the file's order
    empty = blank_to_na(melted[unpivot.values_to]).isna()
    kept = melted[~empty.to_numpy()]
    rows = kept.reset_index(drop=True)
    return LongRows(rows, pd.Series(kept.index + 1, index=rows.index), len(chunk), int(empty.sum()))
