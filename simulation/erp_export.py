"""A simulated world shaped as a distributor's ERP/WMS would export it, to exercise `backorder run`.

Real exports differ from the canonical tables in known ways: their own headers, day-first dates,
Y/N flags, their own codes (customer classes A/B/C for the service tiers), rows in no particular
order, today's on-hand stock instead of daily snapshots, tables a system does not have (ASN
events, promotions), and a share of bad rows. ``erp_export`` turns the
canonical tables into such an export (frames of text plus its ``export.yaml`` description) and
says how many bad rows it added per table, so a test or a benchmark can check that ingest
quarantines exactly those. Pure: writing the files is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contracts.inventory_history import DERIVED_WHEN_ABSENT
from contracts.tables import CANONICAL_TABLES

# Export header -> canonical column, as the export's own export.yaml declares it.
ERP_HEADERS: dict[str, dict[str, str]] = {
    "skus": {"Item Number": "sku_id"},
    "order_lines": {"Item Number": "sku_id", "Whse": "location_id", "Qty Ordered": "quantity"},
    "purchase_orders": {"PO Line": "po_id", "Vendor": "supplier_id", "Item Number": "sku_id"},
    "sku_substitutes": {"Item Number": "sku_id", "Alternative Item": "substitute_sku_id", "Preference": "priority"},
}
ERP_DATE_FORMAT = "%d/%m/%Y"
# The ERP's customer classes for the service tiers, as the export's export.yaml declares them.
ERP_TIER_CODES = {"A": "gold", "B": "silver", "C": "bronze"}
# The kinds of bad rows added, per table: (what is wrong, column, written value).
BAD_ROW_KINDS: dict[str, list[tuple[str, str, str]]] = {
    "orders": [("tier outside the allowed set", "customer_tier", "platinum"), ("not a flag", "allow_split", "maybe")],
    "order_lines": [
        ("negative quantity", "quantity", "-3"),
        ("impossible day", "requested_date", "31/02/2024"),
        ("unknown SKU", "sku_id", "NO-SUCH-SKU"),
        ("not a number", "quantity", "twelve"),
    ],
    "purchase_orders": [("zero quantity", "quantity", "0"), ("not a date", "promised_date", "soon")],
}
NOT_EXPORTED = ("asn_events",)  # a system without advance shipping notices
HEADER_ONLY = ("promotions",)  # a file with its header and no rows


@dataclass(frozen=True)
class ErpExport:
    """One frame of text per file (named by table), its export.yaml, and the bad rows added."""

    files: dict[str, pd.DataFrame]
    description: dict[str, object]
    bad_rows: dict[str, int]


def _as_text(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Day-first dates and Y/N flags, as an ERP writes them."""
    out = frame.copy()
    for spec in CANONICAL_TABLES[name].columns:
        if spec.name not in out:
            continue
        values = out[spec.name]
        if spec.kind in ("date", "datetime"):
            fmt = ERP_DATE_FORMAT + (" %H:%M" if spec.kind == "datetime" else "")
            out[spec.name] = pd.to_datetime(values).dt.strftime(fmt).where(values.notna(), "")
        elif spec.kind == "bool":
            out[spec.name] = values.map({True: "Y", False: "N"}).fillna("")
    if "customer_tier" in out:
        out["customer_tier"] = out["customer_tier"].map({tier: code for code, tier in ERP_TIER_CODES.items()})
    return out.astype(object)


def _with_bad_rows(
    name: str, exported: pd.DataFrame, share: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """``exported`` plus about ``share`` of its length in new rows (new keys), each with one wrong value."""
    kinds = BAD_ROW_KINDS.get(name, [])
    if not kinds or exported.empty:
        return exported, 0
    count = max(len(kinds), round(share * len(exported)))
    bad = exported.iloc[rng.integers(0, len(exported), count)].reset_index(drop=True)
    bad[CANONICAL_TABLES[name].key[-1]] = [f"BAD-{i}" for i in range(count)]
    for i in range(count):
        _, column, value = kinds[i % len(kinds)]
        bad.loc[i, column] = value
    return pd.concat([exported, bad], ignore_index=True), count


def erp_export(tables: dict[str, pd.DataFrame], bad_share: float = 0.01, seed: int = 0) -> ErpExport:
    """The canonical ``tables`` as a messy export with current stock only (see the module docstring)."""
    rng = np.random.default_rng(seed)
    files: dict[str, pd.DataFrame] = {}
    bad_rows: dict[str, int] = {}
    for name, frame in tables.items():
        if name in NOT_EXPORTED:
            continue
        if name in HEADER_ONLY:
            frame = frame.iloc[:0]
        if name == "inventory_snapshots":  # what a WMS exports: today's stock on the shelf only
            frame = frame[frame["snapshot_date"] == frame["snapshot_date"].max()]
            frame = frame.drop(columns=list(DERIVED_WHEN_ABSENT))
        exported, bad_rows[name] = _with_bad_rows(name, _as_text(name, frame), bad_share, rng)
        shuffled = exported.iloc[rng.permutation(len(exported))]
        files[name] = shuffled.rename(columns={v: k for k, v in ERP_HEADERS.get(name, {}).items()})
    description = {
        "source": "acme-erp",
        "date_format": ERP_DATE_FORMAT,
        "inventory": "current_stock",
        "columns": ERP_HEADERS,
        "values": {"orders": {"customer_tier": ERP_TIER_CODES}},
    }
    return ErpExport(files=files, description=description, bad_rows=bad_rows)
