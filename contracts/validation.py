"""Validate a table against its contract: accepted rows typed, rejected rows kept with a reason."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors as pa_errors
import pandera.pandas as pa

from contracts.coercion import PLAIN_NUMBERS, NumberFormat, append_reasons, coerce_table, is_zero_date
from contracts.errors import ContractError
from contracts.export_tables import EXPORT_TABLES
from contracts.schemas import pandera_schema, stored_dtype
from contracts.table_spec import ForeignKey, TableContract
from contracts.units import UnitScale, counted_as_read, in_stock_units

REASON_COLUMN = "reason"


@dataclass(frozen=True)
class ValidationResult:
    """``accepted`` holds canonical dtypes; ``quarantined`` holds the raw rows plus ``reason``.

    Both keep the index of the input, so ``len(accepted) + len(quarantined) == len(input)``.
    """

    table: str
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    filled: dict[str, int] = field(default_factory=dict)  # cells given a declared default, per column


def missing_required_columns(columns: list[str], contract: TableContract) -> list[str]:
    present = set(columns)
    return [name for name in contract.required_columns if name not in present]


def validate_table(
    table: str,
    frame: pd.DataFrame,
    parents: Mapping[str, pd.DataFrame] | None = None,
    seen_keys: np.ndarray | None = None,
    date_format: str | None = None,
    numbers: NumberFormat = PLAIN_NUMBERS,
    defaults: Mapping[str, object] | None = None,
    scale: UnitScale | None = None,
) -> ValidationResult:
    """Coerce and validate ``frame`` against the contract of ``table``.

    ``parents`` maps a referenced table name to its accepted rows; foreign keys to tables not
    in ``parents`` are not checked. ``seen_keys`` holds the ``key_hashes`` of rows accepted from
    earlier chunks of the same file, so duplicates across chunks are caught too. ``date_format``
    is the export's declared format for date text (None: each value read in the form it has),
    ``numbers`` how numbers are written in text cells. ``defaults`` (column -> value as stored,
    ``default_value``) fill the column where the frame leaves it empty or does not have it. With
    ``scale`` the quantities are in each row's unit of measure and converted to stocking units.
    """
    contract = EXPORT_TABLES[table]
    defaults = defaults or {}
    missing = missing_required_columns([*frame.columns, *defaults], contract)
    if missing:
        raise ContractError(f"table {table}: missing required column(s) {', '.join(missing)}")
    typed, reasons = coerce_table(frame, contract if scale is None else counted_as_read(contract), date_format, numbers)
    if scale is not None:
        typed, unit_reasons = in_stock_units(typed, contract, scale)
        reasons = append_reasons(reasons, unit_reasons)
    filled = {}
    for column, value in defaults.items():
        empty = typed[column].isna()
        typed[column] = typed[column].where(~empty, value)
        filled[column] = int(empty.sum())
    reasons = append_reasons(reasons, _schema_reasons(typed, frame, contract))
    reasons = append_reasons(reasons, _duplicate_reasons(typed, contract, seen_keys))
    reasons = append_reasons(reasons, _foreign_key_reasons(typed, contract, parents or {}))
    rejected = reasons != ""
    accepted = _to_stored_dtypes(typed.loc[~rejected], contract)
    quarantined = frame.loc[rejected].copy()
    quarantined[REASON_COLUMN] = reasons[rejected]
    return ValidationResult(table=table, accepted=accepted, quarantined=quarantined, filled=filled)


def cell_text(value: str | int | float | bool) -> str:
    """A value declared in export.yaml as the text of an export cell (a YAML flag as true/false)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def default_value(table: str, column: str, value: str | int | float | bool) -> object:
    """``value`` as ``table.column`` stores it; ``ValueError`` with the reason a cell holding it would
    be quarantined for."""
    contract = EXPORT_TABLES[table]
    raw = pd.DataFrame({column: [cell_text(value)]}, dtype=object)
    typed, reasons = coerce_table(raw, contract)
    alone = pa.DataFrameSchema({column: pandera_schema(table).columns[column]})
    reasons = append_reasons(reasons, _schema_reasons(typed[[column]], raw, contract, alone))
    if reasons.iloc[0]:
        raise ValueError(reasons.iloc[0])
    return typed.at[0, column]


def _schema_reasons(
    typed: pd.DataFrame, raw: pd.DataFrame, contract: TableContract, schema: pa.DataFrameSchema | None = None
) -> pd.Series:
    """Per-row reasons from pandera's lazy validation (value ranges, nulls, allowed sets, rules) of
    ``schema``, by default the table's without its key.

    A null that comes from an unparseable value is already reported by coercion, so it is not
    reported again as missing.
    """
    reasons = pd.Series("", index=typed.index, dtype=object)
    # Key uniqueness is checked by _duplicate_reasons, which also sees earlier chunks.
    schema = schema or pandera_schema(contract.name, check_key=False)
    try:
        schema.validate(typed, lazy=True)
    except pa_errors.SchemaErrors as errors:
        cases = errors.failure_cases
        row_cases = cases[cases["index"].notna()]
        row_cases = row_cases[~row_cases.apply(_was_unparseable, axis=1, args=(raw,))]
        structural = cases[cases["index"].isna()]
        if len(structural):
            first = structural.iloc[0]
            raise ContractError(
                f"table {contract.name}: column {first['column']} failed {first['check']}"
            ) from errors
        messages = [_describe(case, contract) for case in row_cases.itertuples(index=False)]
        per_row = (
            pd.DataFrame({"index": row_cases["index"].to_numpy(), "message": messages})
            .drop_duplicates()
            .groupby("index", sort=False)["message"]
            .agg("; ".join)
        )
        reasons.loc[per_row.index] = per_row.to_numpy()
    return reasons


def _was_unparseable(case: pd.Series, raw: pd.DataFrame) -> bool:
    if case["check"] != "not_nullable" or case["column"] not in raw.columns:
        return False
    value = raw.at[case["index"], case["column"]]
    return not (pd.isna(value) or str(value).strip() == "" or is_zero_date(value))


_CHECK_TEXT = {
    "greater_than_or_equal_to": "must be >= {}",
    "less_than_or_equal_to": "must be <= {}",
    "greater_than": "must be > {}",
    "isin": "must be one of {}",
}


def _describe(case: tuple, contract: TableContract) -> str:
    """Readable text for one pandera failure case: the field, the rule and the value."""
    column, check = case.column, str(case.check)
    value = case.failure_case.item() if hasattr(case.failure_case, "item") else case.failure_case
    if check == "not_nullable":
        return f"missing {column}"
    match = re.match(r"(\w+)\((.*)\)$", check)
    if match and match.group(1) in _CHECK_TEXT:
        return f"{column}: {_CHECK_TEXT[match.group(1)].format(match.group(2))}, got {value!r}"
    for rule in contract.row_rules:
        if rule.name == check or rule.description == check:
            return rule.description
    return f"{column}: failed {check}"


def key_hashes(frame: pd.DataFrame, table: str) -> np.ndarray:
    """64-bit hashes of the key columns: a compact memory of keys already accepted."""
    key = list(EXPORT_TABLES[table].key)
    return pd.util.hash_pandas_object(frame[key].astype(object), index=False).to_numpy()


def parsed_key_hashes(
    raw: pd.DataFrame,
    table: str,
    date_format: str | None = None,
    numbers: NumberFormat = PLAIN_NUMBERS,
    defaults: Mapping[str, object] | None = None,
) -> np.ndarray:
    """``key_hashes`` of the rows of ``raw`` (cells as exported, canonical column names) whose key
    reads and is complete, for rows that are not validated: the keys a successive extract's
    left-out rows retire."""
    contract = EXPORT_TABLES[table]
    key = list(contract.key)
    present = raw[[column for column in key if column in raw.columns]]
    typed, reasons = coerce_table(present, contract, date_format, numbers)
    typed = typed[key].fillna({column: value for column, value in (defaults or {}).items() if column in key})
    usable = typed.notna().all(axis=1) & (reasons == "")
    return key_hashes(typed[usable].astype({column: stored_dtype(contract.column(column)) for column in key}), table)


def _duplicate_reasons(
    typed: pd.DataFrame, contract: TableContract, seen_keys: np.ndarray | None
) -> pd.Series:
    key = list(contract.key)
    keys = typed[key]
    duplicated = keys.duplicated(keep="first")
    if seen_keys is not None and len(seen_keys):
        duplicated |= pd.Index(seen_keys).get_indexer(key_hashes(typed, contract.name)) >= 0
    has_key = keys.notna().all(axis=1)
    label = f"duplicate key ({', '.join(key)})"
    return pd.Series("", index=typed.index, dtype=object).mask(duplicated & has_key, label)


def _rows_in(rows: pd.DataFrame, known: pd.DataFrame) -> pd.Series:
    """Whether each row of ``rows`` appears in ``known`` (same number of columns, by position)."""
    if rows.shape[1] == 1:
        return rows.iloc[:, 0].isin(known.iloc[:, 0]).to_numpy()
    left = pd.MultiIndex.from_frame(rows.astype(object))
    right = pd.MultiIndex.from_frame(known.astype(object).set_axis(rows.columns, axis=1))
    return left.isin(right)


def _foreign_key_reasons(
    typed: pd.DataFrame, contract: TableContract, parents: Mapping[str, pd.DataFrame]
) -> pd.Series:
    reasons = pd.Series("", index=typed.index, dtype=object)
    for fk in contract.foreign_keys:
        parent = parents.get(fk.ref_table)
        if parent is None:
            continue
        present = typed[list(fk.columns)].notna().all(axis=1)
        unknown = present & ~_rows_in(typed[list(fk.columns)], parent[list(fk.ref_columns)])
        if unknown.any():
            shown = typed[fk.columns[0]].astype(str)
            message = f"unknown {fk.columns[0]} " + shown.map(repr) + f" (not in {fk.ref_table})"
            reasons = append_reasons(reasons, message.where(unknown, ""))
        reasons = append_reasons(reasons, _back_in_time_reasons(typed, present & ~unknown, fk, parent))
    return reasons


def _back_in_time_reasons(typed: pd.DataFrame, known: pd.Series, fk: ForeignKey, parent: pd.DataFrame) -> pd.Series:
    """Per row of ``typed``: each of ``fk.not_before``'s dates that falls before the date of the
    ``parent`` row it points at (rows where ``known``: they point at one)."""
    reasons = pd.Series("", index=typed.index, dtype=object)
    if not fk.not_before or not known.any():
        return reasons
    refs = parent[[*fk.ref_columns, *(ref for _, ref in fk.not_before)]].drop_duplicates(list(fk.ref_columns))
    looked_up = (
        typed.loc[known, list(fk.columns)].astype(object)
        .merge(refs.astype({c: object for c in fk.ref_columns}), how="left",
               left_on=list(fk.columns), right_on=list(fk.ref_columns))
        .set_index(typed.index[known])
    )
    for column, ref in fk.not_before:
        earlier = (typed.loc[known, column] < looked_up[ref]).reindex(typed.index, fill_value=False)
        message = f"{column} must not be before its {fk.ref_table} row's {ref}"
        reasons = append_reasons(reasons, pd.Series(message, index=typed.index).where(earlier, ""))
    return reasons
    typed = typed[known]
    dates = [ref for _, ref in fk.not_before]
    looked_up = typed[list(fk.columns)].merge(
        parent[[*fk.ref_columns, *dates]].drop_duplicates(list(fk.ref_columns)),
        how="left", left_on=list(fk.columns), right_on=list(fk.ref_columns),
    ).set_index(typed.index)
    for column, ref in fk.not_before:
        earlier = (typed[column] < looked_up[ref]).fillna(False)
        reasons[earlier[earlier].index] = append_reasons(
            reasons[earlier[earlier].index], pd.Series(f"{column} must not be before its {fk.ref_table} row's {ref}",
                                                        index=earlier[earlier].index))
    return reasons


def _to_stored_dtypes(frame: pd.DataFrame, contract: TableContract) -> pd.DataFrame:
    return frame.astype({spec.name: stored_dtype(spec) for spec in contract.columns})[
        contract.column_names
    ]


def enforce_contract(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate rows produced by our own code (e.g. the simulator): any rejection is a bug.

    Returns the frame in canonical dtypes and column order.
    """
    result = validate_table(table, frame)
    if len(result.quarantined):
        sample = result.quarantined[REASON_COLUMN].head(3).tolist()
        raise ContractError(
            f"table {table}: {len(result.quarantined)} row(s) break the contract, e.g. {sample}"
        )
    return result.accepted
