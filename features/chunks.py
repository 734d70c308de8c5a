"""Split the SKU-level canonical tables into groups of SKUs, to bound memory.

SKU-location features depend only on rows of their own SKU (what the Dask path relies on too), so
a long history can be processed a few thousand SKUs at a time on one machine. SKUs are grouped in
sorted order, so concatenating the groups' outputs gives the rows in the same order as one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

SKU_TABLES = (
    "inventory_snapshots",
    "lines",
    "promotions",
    "purchase_orders",
    "asn_events",
    "sku_suppliers",
    "forecasts",
    "po_etas",
)


def _positions(frame: pd.DataFrame, group_of: dict[str, int], groups: int) -> list[np.ndarray]:
    """Row positions of ``frame`` per SKU group (one argsort, no per-group scan)."""
    codes = frame["sku_id"].map(group_of).fillna(-1).to_numpy(dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(groups)]


def sku_groups(
    tables: Mapping[str, pd.DataFrame | None], skus_per_group: int
) -> Iterator[dict[str, pd.DataFrame | None]]:
    """``tables`` (keys from ``SKU_TABLES``; ``asn_events`` carrying ``sku_id``) per SKU group."""
    if skus_per_group < 1:
        raise ValueError(f"skus_per_group must be at least 1, got {skus_per_group}")
    skus = np.sort(tables["inventory_snapshots"]["sku_id"].unique())
    groups = max(1, -(-len(skus) // skus_per_group))
    group_of = dict(
        zip(skus.tolist(), (np.arange(len(skus)) // skus_per_group).tolist(), strict=True)
    )
    present = {name: frame for name, frame in tables.items() if frame is not None}
    positions = {name: _positions(frame, group_of, groups) for name, frame in present.items()}
    for g in range(groups):
        part: dict[str, pd.DataFrame | None] = dict.fromkeys(tables)
        for name, frame in present.items():
            part[name] = frame.iloc[positions[name][g]]
        yield part
