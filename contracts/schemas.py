"""Pandera schemas derived from the table declarations in ``contracts.tables``."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from contracts.coercion import COERCED_DTYPE
from contracts.export_tables import EXPORT_TABLES
from contracts.table_spec import ColumnSpec, RowRule, TableContract

# Canonical (stored) dtypes: required ints and bools become plain numpy types.
_STORED_DTYPE = {
    ("int", False): "int64",
    ("int", True): "Int64",
    ("bool", False): "bool",
    ("bool", True): "boolean",
    ("float", False): "float64",
    ("float", True): "float64",
    ("date", False): "datetime64[ns]",
    ("date", True): "datetime64[ns]",
    ("datetime", False): "datetime64[ns]",
    ("datetime", True): "datetime64[ns]",
    ("string", False): object,
    ("string", True): object,
}


def stored_dtype(spec: ColumnSpec) -> object:
    return _STORED_DTYPE[(spec.kind, spec.nullable)]


def _column_checks(spec: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.ge is not None:
        checks.append(pa.Check.ge(spec.ge))
    if spec.le is not None:
        checks.append(pa.Check.le(spec.le))
    if spec.gt is not None:
        checks.append(pa.Check.gt(spec.gt))
    if spec.allowed is not None:
        checks.append(pa.Check.isin(list(spec.allowed)))
    return checks


def _row_rule_check(rule: RowRule) -> pa.Check:
    def holds(frame: pd.DataFrame) -> pd.Series:
        involved = frame[list(rule.columns)]
        result = frame.eval(rule.expression).astype("boolean").fillna(True)
        return result | involved.isna().any(axis=1)

    return pa.Check(holds, name=rule.name, error=rule.description)


@cache
def pandera_schema(table: str, check_key: bool = True) -> pa.DataFrameSchema:
    """The pandera schema of a canonical table, on the coerced (nullable) dtypes."""
    contract: TableContract = EXPORT_TABLES[table]
    columns = {
        spec.name: pa.Column(
            COERCED_DTYPE[spec.kind],
            checks=_column_checks(spec),
            nullable=spec.nullable,
            description=spec.description,
        )
        for spec in contract.columns
    }
    return pa.DataFrameSchema(
        columns,
        checks=[_row_rule_check(rule) for rule in contract.row_rules],
        unique=list(contract.key) if check_key else None,
        report_duplicates="exclude_first",
        strict=False,
        name=table,
    )
