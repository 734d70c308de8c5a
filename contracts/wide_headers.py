"""Which columns of a wide export become rows (``unpivot:`` in ``export.yaml``), checked when the
description loads, and the headers it names in one file.

A planner's stock report writes one column per warehouse (``Item, Date, WH-EAST, WH-WEST``). The
declaration names those headers, or patterns of them (``WH-*``), the canonical column that takes each
header (the warehouse) and the one that takes each cell (the quantity), so the ingest reads one row
per cell (``contracts.wide_tables``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from pydantic import BaseModel, ConfigDict, field_validator

from contracts.description_checks import did_you_mean, known_column
from contracts.headers import normalize_name

# The character that makes a declared header a pattern: any text, none included.
_WILDCARD = "*"


class Unpivot(BaseModel):
    """The headers whose cells become rows (as declared, or as one file writes them), the canonical
    column taking each header and the one taking each cell."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: tuple[str, ...]
    names_to: str
    values_to: str

    @field_validator("headers", mode="before")
    @classmethod
    def _one_header_as_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @property
    def long_columns(self) -> dict[str, str]:
        """The columns of the long rows that take the headers and the cells, named after the canonical
        columns they fill (as a file layout maps headers to columns)."""
        return {self.names_to: self.names_to, self.values_to: self.values_to}

    def in_file(self, headers: list[str], taken: Collection[str]) -> Unpivot:
        """This declaration with the headers of a file (``headers``) it names, in the file's order: a
        listed header matched like any header (ignoring case, spaces, dashes and underscores), a pattern
        case aside against the headers not ``taken`` (declared for another use, or named like a
        canonical column). ValueError naming a listed header or a pattern the file does not have."""
        listed = [header for header in self.headers if _WILDCARD not in header]
        patterns = {header: _pattern(header) for header in self.headers if _WILDCARD in header}
        by_name = {normalize_name(header): header for header in headers}
        other = {normalize_name(header) for header in taken}
        free = [header for header in headers if normalize_name(header) not in other]
        matched = {declared: [header for header in free if pattern.fullmatch(str(header))]
                   for declared, pattern in patterns.items()}
        absent = [header for header in listed if normalize_name(header) not in by_name]
        absent += [declared for declared, matches in matched.items() if not matches]
        if absent:
            raise ValueError(f"unpivoted header(s) {', '.join(map(repr, absent))} not in the file")
        wide = {by_name[normalize_name(header)] for header in listed}.union(*matched.values())
        return self.model_copy(update={"headers": tuple(header for header in headers if header in wide)})


def _pattern(header: str) -> re.Pattern[str]:
    """A declared pattern as a regular expression: ``*`` any text, the rest as written, case aside."""
    return re.compile(".*".join(map(re.escape, header.split(_WILDCARD))), re.IGNORECASE)


_KEYS = tuple(Unpivot.model_fields)


def checked_unpivot(table: str, declared: object, description: Mapping[str, object]) -> None:
    """A ValueError naming ``table`` and the problem when its ``unpivot:`` declaration is not usable:
    keys missing or unknown, no headers, columns the table does not have, or a column or header the
    ``description`` (the export.yaml keys validated so far) also gives another way."""
    if not isinstance(declared, Mapping):
        raise ValueError(f"{table}: give {', '.join(_KEYS)}, e.g. {{headers: [WH-EAST, WH-WEST], "
                         "names_to: location_id, values_to: on_hand}")
    for key in declared:
        if key not in _KEYS:
            raise ValueError(f"{table}: {key!r} is not a key of unpivot{did_you_mean(str(key), _KEYS)}; the keys are "
                             f"{', '.join(_KEYS)}")
    missing = [key for key in _KEYS if key not in declared]
    if missing:
        raise ValueError(f"{table}: give {' and '.join(missing)} (headers: the export headers whose cells become "
                         "rows; names_to: the column taking each header; values_to: the column taking each cell)")
    headers = declared["headers"]
    headers = [headers] if isinstance(headers, str) else headers
    if not isinstance(headers, list) or not headers or not all(isinstance(h, str) and h.strip() for h in headers):
        raise ValueError(f"{table}: headers: list the export headers whose cells become rows, or a pattern such "
                         f"as 'WH-*', got {declared['headers']!r}")
    targets = [declared["names_to"], declared["values_to"]]
    for column in targets:
        known_column(table, str(column))
    if targets[0] == targets[1]:
        raise ValueError(f"{table}: names_to and values_to are both {targets[0]}; the headers and the cells fill "
                         "two columns")
    _check_given_once(table, headers, targets, description)


def _check_given_once(table: str, headers: list[str], targets: list[str], description: Mapping[str, object]) -> None:
    """A ValueError when a column the unpivot fills is also mapped or combined, or a listed header is
    also declared under columns, combine, exclude or units."""
    mapped = description.get("columns", {}).get(table, {})
    combined = description.get("combine", {}).get(table, {})
    for column in targets:
        header = next((header for header, target in mapped.items() if target == column), None)
        if header is not None:
            raise ValueError(f"{table}: {column}: also mapped from {header!r} under columns; keep one")
        if column in combined:
            raise ValueError(f"{table}: {column}: also made of export columns under combine; keep one")
    elsewhere = {
        "columns": list(mapped),
        "combine": [part for parts in combined.values() for part in ([parts] if isinstance(parts, str) else parts)],
        "exclude": list(description.get("exclude", {}).get(table, {})),
        "units": [description["units"][table]] if table in description.get("units", {}) else [],
    }
    for key, declared in elsewhere.items():
        twice = [header for header in headers if normalize_name(header) in {normalize_name(h) for h in declared}]
        if twice:
            raise ValueError(f"{table}: {twice[0]!r} is unpivoted and also declared under {key}; keep one")
