"""Which canonical inputs a world must have and which it may lack, declared as data.

Every table of ``contracts.tables`` is required unless it is declared here. An optional input is
a whole table or some nullable columns of a table; without it (file absent, header only, or the
columns all empty) every step still runs and the features that read it take the value declared
in ``without``. ``data_support`` says, for a set of canonical tables, what the data supports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from contracts.schemas import stored_dtype
from contracts.tables import CANONICAL_TABLES


@dataclass(frozen=True)
class OptionalInput:
    """An input the pipelines can do without.

    ``columns`` empty means the whole ``table``; otherwise those (nullable) columns of it. ``adds``
    says what the input brings, ``without`` what happens in its absence, and ``features`` names
    the SKU-location features whose values it changes.
    """

    name: str
    table: str
    adds: str
    without: str
    features: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


OPTIONAL_INPUTS: tuple[OptionalInput, ...] = (
    OptionalInput(
        name="ASN events",
        table="asn_events",
        adds="supplier-announced ETAs move the expected arrival of open PO lines",
        without="no ASN events: ETAs from promised dates and the lead-time model only",
        features=("inbound_due_lt_qty", "projected_position_lt"),
    ),
    OptionalInput(
        name="promotions",
        table="promotions",
        adds="announced promotions as known covariates of demand",
        without="no promotions: the promotion features and covariates are 0 (no promotion known) on every day",
        features=("promo_active", "promo_next_h", "promo_discount_next_h"),
    ),
    OptionalInput(
        name="inventory movements",
        table="inventory_movements",
        adds="adjustments, counts, scrap, returns and transfers in a daily history rebuilt from current stock",
        without="no inventory movements: a history rebuilt from current stock follows order lines and PO receipts only",
    ),
    OptionalInput(
        name="transfer lanes",
        table="transfer_lanes",
        adds="stock transfers between locations in the recommendations",
        without="no transfer lanes: no transfer is recommended (expedites only)",
    ),
    OptionalInput(
        name="SKU substitutes",
        table="sku_substitutes",
        adds="customer notices list substitutes with stock for late or at-risk lines",
        without="no SKU substitutes: customer notices offer no substitute",
    ),
    OptionalInput(
        name="expedite options",
        table="sku_suppliers",
        columns=("expedite_days_saved", "expedite_cost_per_unit"),
        adds="expedites of open PO lines in the recommendations",
        without="no expedite options: no expedite is recommended (transfers only)",
    ),
)

OPTIONAL_TABLES: frozenset[str] = frozenset(i.table for i in OPTIONAL_INPUTS if not i.columns)
REQUIRED_TABLES: tuple[str, ...] = tuple(name for name in CANONICAL_TABLES if name not in OPTIONAL_TABLES)


def is_present(item: OptionalInput, tables: Mapping[str, pd.DataFrame]) -> bool:
    """Whether ``tables`` hold ``item``: its table has rows (and, for columns, one is filled)."""
    frame = tables.get(item.table)
    if frame is None or frame.empty:
        return False
    return not item.columns or bool(frame[[c for c in item.columns if c in frame]].notna().any(axis=None))


def empty_table(name: str) -> pd.DataFrame:
    """A canonical table with its columns and no rows (what an absent optional table reads as)."""
    return pd.DataFrame({c.name: pd.Series(dtype=stored_dtype(c)) for c in CANONICAL_TABLES[name].columns})


def data_support(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """One sentence per optional input: what it adds when present, what is done without it."""
    return [
        f"{item.name}: {item.adds}" if is_present(item, tables) else item.without for item in OPTIONAL_INPUTS
    ]
