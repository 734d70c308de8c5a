"""Render the data-contract documentation from the table declarations (single source of truth)."""

from __future__ import annotations

from contracts.export_tables import EXPORT_TABLES, SUMMED_TABLES
from contracts.table_spec import ColumnSpec, ForeignKey, SummedTable, TableContract
from contracts.tables import CANONICAL_TABLES

_HEADER = """# Data contracts

<!-- Generated from contracts/tables.py by `backorder contracts-doc`; do not edit by hand.
     tests/contracts/test_contract_docs.py fails when this file and the schemas disagree. -->

Every export handed to `backorder ingest` and every table the simulator writes follows these
contracts. Header names are matched ignoring case, spaces, dashes and underscores (`SKU ID`,
`sku_id` and `Sku-Id` are the same column); extra columns are ignored and reported. Nullable
columns may be left out of an export entirely.

Types: `string` text; `int` whole number; `float` number; `bool` one of
true/false, yes/no, y/n, t/f, 1/0 (any case); `date` a calendar day (ISO `2024-03-01` preferred;
one written with a time and offset keeps the day written: `2024-03-01T00:00:00+01:00` is 1 March;
one without its day, month or year, `2024-03`, is not read; one of zeros, `00.00.0000`, is no date);
`datetime` a timestamp in UTC (ISO `2024-03-01T08:15:00`; a time zone or UTC offset, `+01:00` or
`Z`, is converted to UTC, also when the offset changes from row to row with daylight saving; a
value without one is taken as UTC).

A row that breaks a rule below is not dropped: it goes to `quarantine/<table>.csv` with the
reason, its source file and its row number, and accepted + quarantined = rows read (plus the rows
a later extract replaced, for a table whose files are declared successive extracts, the rows
repeating an earlier one, for a table read from the rows of another, and the rows the export's
description leaves out).
"""


# How a column's values may be written as a spreadsheet shows them (``ColumnSpec.shown_as``).
_SHOWN_AS = {"money": "money (`$1,234.50`, `12,50 €`)", "fraction": "a fraction (`12.5%`)"}


def _rules(spec: ColumnSpec) -> str:
    parts = []
    if spec.gt is not None:
        parts.append(f"> {spec.gt:g}")
    if spec.ge is not None:
        parts.append(f">= {spec.ge:g}")
    if spec.le is not None:
        parts.append(f"<= {spec.le:g}")
    if spec.allowed is not None:
        parts.append("one of " + ", ".join(f"`{v}`" for v in spec.allowed))
    if spec.stock_units:
        parts.append("in stocking units (`units:` converts others)")
    if spec.shown_as is not None:
        parts.append(f"may be written as a spreadsheet shows {_SHOWN_AS[spec.shown_as]}")
    return "; ".join(parts)


def render_table(contract: TableContract) -> str:
    lines = [
        f"## `{contract.name}`",
        "",
        contract.description,
        "",
        f"Key: ({', '.join(f'`{c}`' for c in contract.key)}), unique; later duplicates are quarantined.",
        "",
        "| column | type | required | rule | description |",
        "|---|---|---|---|---|",
    ]
    for spec in contract.columns:
        required = "no" if spec.nullable else "yes"
        lines.append(
            f"| `{spec.name}` | {spec.kind} | {required} | {_rules(spec)} | {spec.description} |"
        )
    if contract.foreign_keys:
        lines += ["", "Foreign keys (an unknown value is quarantined):", ""]
        lines += [_foreign_key(fk) for fk in contract.foreign_keys]
    if contract.row_rules:
        lines += ["", "Row rules:", ""]
        lines += [f"- {rule.description}" for rule in contract.row_rules]
    return "\n".join(lines)


def _foreign_key(fk: ForeignKey) -> str:
    line = f"- `{', '.join(fk.columns)}` → `{fk.ref_table}.{', '.join(fk.ref_columns)}`"
    dates = "; ".join(f"`{column}` not before its `{ref}`" for column, ref in fk.not_before)
    return f"{line}; {dates}" if dates else line


_AGGREGATION = {"sum": "the sum", "max": "the latest"}


def render_summed_table(summed: SummedTable) -> str:
    """A summed table's contract and what it gives the table it is summed onto."""
    totals = ", ".join(f"`{column}` {_AGGREGATION[how]}" for column, how in summed.totals.items())
    by = ", ".join(f"`{column}`" for column in summed.by)
    return (f"{render_table(summed.contract)}\n\nSummed onto the `{summed.onto}` row with the same {by}: "
            f"{totals}. The `{summed.onto}` files then leave those columns out. The rows accepted are kept "
            f"as `{summed.rows_file}` for the inventory rebuild.")


_READ_AT_INGEST = """# Tables read at ingest

An export may also hold these: their rows are checked and quarantined as above, then used by the
ingest (summed onto a canonical table, or converting quantities to stocking units). They are not
canonical tables: the features and models read what they gave."""


def render_contract_docs() -> str:
    body = "\n\n".join(render_table(t) for t in CANONICAL_TABLES.values())
    read_at_ingest = "\n\n".join(
        render_summed_table(SUMMED_TABLES[name]) if name in SUMMED_TABLES else render_table(contract)
        for name, contract in EXPORT_TABLES.items() if name not in CANONICAL_TABLES
    )
    return f"{_HEADER}\n{body}\n\n{_READ_AT_INGEST}\n\n{read_at_ingest}\n"
