"""Match export headers and file names to canonical names, ignoring case, spaces and underscores."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from contracts.errors import ContractError

_SEPARATORS = re.compile(r"[\s_\-\.]+")


def normalize_name(name: str) -> str:
    """'Order Lines', 'order_lines' and 'ORDER-LINES' all become 'orderlines'."""
    return _SEPARATORS.sub("", str(name).strip().lower())


def header_mapping(
    headers: Iterable[str], canonical: Iterable[str], declared: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map each export header that matches a canonical column to that column.

    ``declared`` (export header -> canonical column, from the export description) is applied
    first; the other headers match canonical names. Raises ``ValueError`` naming both headers
    when two export headers map to the same column, because silently keeping one of them would
    lose data, and naming a declared header the export does not have.
    """
    headers = list(headers)
    by_declared = {normalize_name(header): column for header, column in (declared or {}).items()}
    present = {normalize_name(header) for header in headers}
    absent = [header for header in declared or {} if normalize_name(header) not in present]
    if absent:
        raise ValueError(f"declared header(s) {', '.join(map(repr, absent))} not in the file")
    wanted = {normalize_name(name): name for name in canonical}
    mapping: dict[str, str] = {}
    for header in headers:
        target = by_declared.get(normalize_name(header)) or wanted.get(normalize_name(header))
        if target is None:
            continue
        clash = next((h for h, t in mapping.items() if t == target), None)
        if clash is not None:
            raise ValueError(f"headers {clash!r} and {header!r} both name column {target}")
        mapping[header] = target
    return mapping


def combined_headers(headers: Iterable[str], combine: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Each column ``combine`` makes of export headers -> those headers as the file writes them;
    ``ValueError`` naming a header the file does not have."""
    by_name = {normalize_name(header): header for header in headers}
    absent = [part for parts in combine.values() for part in parts if normalize_name(part) not in by_name]
    if absent:
        raise ValueError(f"combined header(s) {', '.join(map(repr, absent))} not in the file")
    return {column: [by_name[normalize_name(part)] for part in parts] for column, parts in combine.items()}


def close_headers(column: str, headers: Iterable[str]) -> list[str]:
    """Export headers that look like ``column`` (compared as normalized names), best first."""
    by_name = {normalize_name(header): header for header in headers}
    close = difflib.get_close_matches(normalize_name(column), list(by_name), n=3)
    return [by_name[name] for name in close]


def check_unique_names(file: str, names: list[str]) -> None:
    """A ContractError when a header names a column twice: which of the two is meant cannot be told."""
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ContractError(
            f"{file}: the header names {', '.join(map(repr, twice))} more than once; rename all but one in the export"
        )
