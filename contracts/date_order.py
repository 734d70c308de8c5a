"""Tell whether an undeclared date column is written day-first or month-first, or refuse it.

Without a declared ``date_format`` a value such as ``04/03/2024`` reads as 4 March or as
April 3. A column that holds such values next to values valid only one way (``13/03/2024``)
would be read half one way and half the other, so the file is refused with the setting that
reads it right. Evidence is gathered over every chunk of a file before the verdict; ISO dates
(``2024-03-04``) and columns of one consistent order are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from contracts.errors import AmbiguousDatesError

# day or month, separator, month or day, the same separator, year; an optional time follows.
_NUMERIC_DATE = r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?$"
# A cheap first look that lets ISO and other non-numeric-order values skip the full pattern.
_NUMERIC_START = r"^\s*\d{1,2}[/.\-]"
_DAY_FIRST, _MONTH_FIRST, _BOTH_WAYS = "day_first", "month_first", "both_ways"


@dataclass
class _ColumnEvidence:
    """Per reading (day-first, month-first, both ways): the first value, its format, the count."""

    examples: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)

    def add(self, reading: str, values: pd.Series, formats: pd.Series | None) -> None:
        if values.empty:
            return
        self.examples.setdefault(reading, str(values.iloc[0]))
        if formats is not None:
            self.formats.setdefault(reading, str(formats.iloc[0]))
        self.counts[reading] = self.counts.get(reading, 0) + len(values)


def _is_calendar_day(day: pd.Series, month: pd.Series, year: pd.Series) -> pd.Series:
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(parts, errors="coerce").notna()


class DateOrderCheck:
    """Collects the day/month evidence of a file's undeclared date columns, chunk by chunk."""

    def __init__(self, file: str, table: str, columns: Iterable[str]) -> None:
        self.file = file
        self.table = table
        self._evidence = {column: _ColumnEvidence() for column in columns}

    def observe(self, chunk: pd.DataFrame) -> None:
        """Classify the numeric dates of one chunk (canonical column names) by their readings."""
        for column, evidence in self._evidence.items():
            values = chunk[column]
            if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
                continue  # typed dates (Parquet) carry no order to guess
            text = values.astype("string[pyarrow]")
            candidates = text[text.str.match(_NUMERIC_START).fillna(False)]
            if candidates.empty:
                continue
            parts = candidates.astype(object).str.extract(_NUMERIC_DATE).dropna()
            if parts.empty:
                continue
            first, second = parts[0].astype(int), parts[2].astype(int)
            year = parts[3].astype(int)
            year = year.where(year >= 100, year + 2000)
            day_first = _is_calendar_day(first, second, year)
            month_first = _is_calendar_day(second, first, year)
            shown = values.loc[parts.index].astype(str).str.strip()
            separator, year_code = parts[1], parts[3].str.len().map({4: "%Y", 2: "%y"})
            readings = {
                _DAY_FIRST: (day_first & ~month_first, "%d" + separator + "%m" + separator + year_code),
                _MONTH_FIRST: (month_first & ~day_first, "%m" + separator + "%d" + separator + year_code),
                _BOTH_WAYS: (day_first & month_first & (first != second), None),
            }
            for reading, (mask, formats) in readings.items():
                evidence.add(reading, shown[mask], None if formats is None else formats[mask])

    def verdict(self) -> None:
        """Raise ``AmbiguousDatesError`` for the first column whose order cannot be told."""
        for column, evidence in self._evidence.items():
            counts = evidence.counts
            one_way = [r for r in (_DAY_FIRST, _MONTH_FIRST) if counts.get(r)]
            if not one_way or (len(one_way) == 1 and not counts.get(_BOTH_WAYS)):
                continue
            majority = max(one_way, key=lambda reading: counts[reading])
            minority = next((r for r in one_way if r != majority), _BOTH_WAYS)
            raise AmbiguousDatesError(
                file=self.file,
                table=self.table,
                column=column,
                example=evidence.examples[minority],
                evidence=evidence.examples[majority],
                date_format=evidence.formats[majority],
            )
