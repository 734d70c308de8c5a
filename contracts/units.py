"""Quantities exported in other units of measure (cases, pallets) converted to each item's stocking
units at ingest.

``export.yaml`` ``units:`` names, per table, the column holding each row's unit; the export's
``sku_units`` table says how many stocking units one of them holds for the row's item (a goods
receipt's or an ASN's is its PO line's), and ``unit_factors:`` the units whose factor is the same
for every item (``EA: 1``, ``DZ: 12``). A row in a unit its item has no conversion for is
quarantined, as is one whose quantity converts to a fraction of a stocking unit; an empty unit
cell means stocking units already.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.coercion import append_reasons, as_excel_shows
from contracts.errors import ContractError
from contracts.export_tables import SKU_UNITS, item_key
from contracts.table_spec import TableContract


@dataclass(frozen=True)
class UnitScale:
    """Per row: the unit as written (trimmed; missing where the cell is empty), the stocking units one
    of it holds (NaN where its item has no conversion) and the reason of those rows."""

    unit: pd.Series
    factor: pd.Series
    reasons: pd.Series


def check_unit_exports(exported: Collection[str], units: Mapping[str, str], factors: Mapping[str, float]) -> None:
    """A ContractError when export.yaml gives units of measure (``units``: table -> header) and no
    ``exported`` table holds their conversions, nor does it give any unit's ``factors``."""
    if units and SKU_UNITS.name not in exported and not factors:
        raise ContractError(
            f"export.yaml gives the unit of measure of {', '.join(units)} (units), and no file holds "
            f"{SKU_UNITS.name}, the stocking units in one of each item's units (nor does it give unit_factors)"
        )


def unit_conversions(path: Path) -> pd.Series:
    """The accepted conversions written at ``path``: stocking units per (item, unit as compared; the
    first of units written in two cases)."""
    table = pd.read_parquet(path)
    index = pd.MultiIndex.from_arrays([table["sku_id"], _compared(table["unit"])])
    conversions = pd.Series(table["stock_units"].to_numpy(), index=index)
    return conversions[~conversions.index.duplicated()]


def no_conversions() -> pd.Series:
    """The conversions of an export without ``sku_units``: none."""
    return pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []]))


def _compared(units: pd.Series) -> pd.Series:
    """Units as compared: trimmed, case ignored (`cs` is `CS`)."""
    return _trimmed(units).str.casefold()


def _trimmed(cells: pd.Series) -> pd.Series:
    """Cells as trimmed text as Excel shows it, empty ones missing; each distinct value is read once."""
    codes, values = pd.factorize(cells)
    text = as_excel_shows(pd.Series(values, dtype="string").str.strip()).replace("", pd.NA)
    return pd.Series(pd.array(text.to_numpy(), dtype="string").take(codes, allow_fill=True), index=cells.index)


def row_items(
    rows: pd.DataFrame, table: str, parents: Mapping[str, pd.DataFrame], default: str | None = None
) -> pd.Series:
    """The item of each row of ``table`` (cells as exported): its ``sku_id`` cell, else ``default``; or,
    for a row that does not name its item, its parent's in ``parents`` (a receipt's PO line), missing
    where the parent is unknown."""
    fk = item_key(table)
    if fk is None:
        return rows.get("sku_id", pd.Series(default, index=rows.index, dtype=object))
    parent = parents.get(fk.ref_table, pd.DataFrame(columns=[*fk.ref_columns, "sku_id"]))
    items = pd.Series(parent["sku_id"].to_numpy(), index=pd.MultiIndex.from_frame(parent[list(fk.ref_columns)]))
    wanted = pd.MultiIndex.from_frame(rows[list(fk.columns)].apply(_trimmed).astype(object))
    return pd.Series(items[~items.index.duplicated()].reindex(wanted).to_numpy(), index=rows.index, dtype=object)


def unit_scale(skus: pd.Series, units: pd.Series, conversions: pd.Series, factors: Mapping[str, float]) -> UnitScale:
    """The scale of each row from its item (``skus``, cells as exported) and its unit cell: the item's
    conversion, else the unit's factor for every item (``factors``), 1 for an empty cell."""
    unit, sku = _trimmed(units), _trimmed(skus)
    compared = unit.str.casefold()
    looked_up = conversions.reindex(pd.MultiIndex.from_arrays([sku, compared])).to_numpy(dtype=float)
    for_all = compared.map({written.strip().casefold(): factor for written, factor in factors.items()})
    looked_up = np.where(np.isnan(looked_up), for_all.to_numpy(dtype=float, na_value=np.nan), looked_up)
    ones = (unit.isna() | sku.isna()).to_numpy()  # a row without its item is quarantined for that
    factor = pd.Series(np.where(ones, 1.0, looked_up), index=units.index)
    unknown = factor.isna()
    reasons = pd.Series("", index=units.index, dtype=object)
    message = "unit " + unit[unknown].map(repr) + " of " + sku[unknown] + f" not in {SKU_UNITS.name}"
    reasons[unknown] = message.astype(object)
    return UnitScale(unit, factor, reasons)


def counted_as_read(contract: TableContract) -> TableContract:
    """``contract`` with its stocking-unit columns read as numbers, so a fraction of a case is read
    before it is converted."""
    return replace(contract, columns=tuple(replace(c, kind="float") if c.stock_units else c for c in contract.columns))


def in_stock_units(typed: pd.DataFrame, contract: TableContract, scale: UnitScale) -> tuple[pd.DataFrame, pd.Series]:
    """The stocking-unit columns of ``typed`` (read as numbers) times each row's scale, as whole
    numbers; the reasons of rows in an unknown unit or converting to a fraction of a stocking unit."""
    reasons = scale.reasons.copy()
    converted = typed.copy()
    for spec in (c for c in contract.columns if c.stock_units and c.name in typed):
        values = typed[spec.name].astype("float64") * scale.factor
        fraction = (values - values.round()).abs().gt(1e-9) & values.notna()
        message = pd.Series("", index=typed.index, dtype=object)
        message[fraction] = (f"{spec.name}: " + _number_text(typed.loc[fraction, spec.name]) + " "
                             + scale.unit[fraction].fillna("") + " is " + _number_text(values[fraction])
                             + " stocking units, not a whole number").astype(object)
        reasons = append_reasons(reasons, message)
        converted[spec.name] = values.round().mask(fraction).astype("Int64")
    return converted, reasons


def _number_text(values: pd.Series) -> pd.Series:
    return values.astype("float64").map("{:g}".format, na_action="ignore").astype("string")
