"""The substitutes of an order's lines with their stock now, for its customer notice.

``sku_substitutes`` (optional canonical table) is read once at start-up; the stock is the supply
source's free stock per SKU-location (on hand not reserved): the live state's when the service
runs one, else the start-up stock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from decisions import SupplySource

FILE_NAME = "sku_substitutes.parquet"
COLUMNS = ["sku_id", "substitute_sku_id", "priority"]


def load_substitutes(canonical_dir: Path) -> pd.DataFrame | None:
    """The canonical ``sku_substitutes``; None when the data has none (the table is optional)."""
    path = canonical_dir / FILE_NAME
    if not path.exists():
        return None
    table = pd.read_parquet(path, columns=COLUMNS)
    return None if table.empty else table


def substitute_offers(substitutes: pd.DataFrame, supply: SupplySource, lines: pd.DataFrame) -> pd.DataFrame:
    """line_id, substitute_sku_id, priority, available: each substitute of a line's SKU with at
    least one unit available at the line's location (``lines``: line_id, sku_id, location_id)."""
    pairs = lines[["line_id", "sku_id", "location_id"]].merge(substitutes, on="sku_id")
    empty = pd.DataFrame({"line_id": [], "substitute_sku_id": [], "priority": [], "available": []})
    if pairs.empty:
        return empty
    rows = supply.supply(list(dict.fromkeys(pairs["substitute_sku_id"])))
    free = pd.Series(np.floor(rows.free), index=pd.MultiIndex.from_arrays([rows.stock_sku, rows.stock_location]))
    free = free[~free.index.duplicated()]
    keys = pd.MultiIndex.from_arrays([pairs["substitute_sku_id"], pairs["location_id"]])
    pairs["available"] = free.reindex(keys).fillna(0).astype(int).to_numpy()
    return pairs.loc[pairs["available"] >= 1, ["line_id", "substitute_sku_id", "priority", "available"]]
