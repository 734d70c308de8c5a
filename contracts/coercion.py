"""Turn raw export columns (strings or loosely typed values) into canonical types.

Parsing failures are reported per row, with the column and the offending value, instead of
failing the whole file: the row goes to quarantine and everything else is kept. Dates follow the
export's declared ``date_format`` when there is one; a date-time may add a time to it. Numbers
written as text follow the export's declared decimal mark, digit-group separator and way of
writing negatives, and a number written any other way is not guessed at (``1,5`` under a decimal
point is not a number, ``5-`` is not minus five unless declared).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from contracts.day_numbers import DAY_NUMBER_FORMATS, day_number_dates, is_day_number_format
from contracts.table_spec import ColumnSpec, TableContract

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
# Coerced columns are nullable, so that a missing value is reported per row rather than per column.
COERCED_DTYPE = {
    "string": object,
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
}
# Times a date-time may carry after its declared date format.
_TIME_FORMATS = (" %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S")
# A time of day followed by its UTC offset ("T00:00:00+01:00", "08:15Z"): the offset is dropped from
# a calendar day, which is the day as written, not the day in UTC.
_TIME_AND_OFFSET = r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"
# What a date written without a declared format must hold to be read: an ISO day, eight digits
# (20240304), or three parts (day, month and year: 4 March 2024, 04-MAR-24), a time after them aside.
# dateutil completes a partial date ('2024' as 1 January, '2024-03' as 1 March) instead of refusing it.
_ISO_DAY = r"\d{4}-\d{2}-\d{2}"
_TRAILING_TIME = r"[ T]+\d{1,2}:\d{2}.*$"
_DATE_PART = r"\d+|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
# A date of zeros (00000000, 00.00.0000, 0000-00-00 00:00:00): how SAP and some databases write "no date".
_ZERO_DATE = r"0[0\s./:T-]*"
# A number where a date should be: a day number (45355, 124064) read only when date_format names its count.
_DAY_NUMBER = r"\d{5,6}(?:\.\d+)?"
_DAY_NUMBER_HINT = f" (a day number? name its count as date_format: {', '.join(DAY_NUMBER_FORMATS)})"
# Digit-group separators written in several forms by one locale: a space also as a no-break or narrow
# no-break space (French), an apostrophe also as a typographic one (Swiss).
_SEPARATOR_VARIANTS = (r"\s", r"['\u2019\u02bc]")
# A currency as money shown in a spreadsheet writes it, before or after the amount: a symbol or a code.
_CURRENCY = r"[$€£¥₹]|\b[A-Z]{3}\b"
# A text cell written as the formula that shows it: ="00123" (a quote inside doubled).
_FORMULA_TEXT = r'^="((?:[^"]|"")*)"$'
# How an export may write minus five besides -5: a trailing sign (5-), as some ERPs print lists, or
# an accountant's parentheses ((5)).
Negatives = Literal["leading", "trailing", "parentheses"]
_NEGATIVE_EXAMPLE = {"leading": "-5", "trailing": "5-", "parentheses": "(5)"}


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written as text: the decimal mark, the digit-group separator, if any, and
    negatives (a leading minus is always read)."""

    decimal: str = "."
    thousands: str | None = None
    negatives: Negatives = "leading"

    def __str__(self) -> str:
        grouping = f" and thousands {self.thousands!r}" if self.thousands is not None else ""
        signs = f" and negatives {_NEGATIVE_EXAMPLE[self.negatives]!r}" if self.negatives != "leading" else ""
        return f"decimal {self.decimal!r}{grouping}{signs}"

    def to_numeric(self, text: pd.Series) -> pd.Series:
        """``text`` as numbers; a value not written in this format becomes NaN."""
        if self == PLAIN_NUMBERS or not pd.api.types.is_string_dtype(text):
            return pd.to_numeric(text, errors="coerce")
        text = text.astype("string").str.strip()
        if self.negatives != "leading":
            signed = text.str.endswith("-") if self.negatives == "trailing" else text.str.fullmatch(r"\(.*\)")
            signed = signed.fillna(False)
            inner = text.str[:-1] if self.negatives == "trailing" else text.str[1:-1]
            text = text.where(~signed, "-" + inner.str.strip())
        misplaced = pd.Series(False, index=text.index)
        variants = next((chars for chars in _SEPARATOR_VARIANTS if re.fullmatch(chars, self.thousands or "")), None)
        if variants is not None:
            text = text.str.replace(variants, self.thousands, regex=True)
        if self.thousands is not None:
            grouped = text.str.contains(self.thousands, regex=False).fillna(False)
            digits = rf"[+-]?\d{{1,3}}(?:{re.escape(self.thousands)}\d{{3}})+(?:{re.escape(self.decimal)}\d*)?"
            misplaced |= grouped & ~text.str.fullmatch(digits).fillna(False)
            text = text.str.replace(self.thousands, "", regex=False)
        if self.decimal != ".":
            misplaced |= text.str.contains(".", regex=False).fillna(False)
            text = text.str.replace(self.decimal, ".", regex=False)
        return pd.to_numeric(text.mask(misplaced), errors="coerce")


PLAIN_NUMBERS = NumberFormat()  # referenced in to_numeric: the format that needs no rewriting


def blank_to_na(values: pd.Series) -> pd.Series:
    """Empty strings and whitespace-only cells mean 'no value'."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        # Arrow-backed strings strip in C instead of one Python call per cell.
        stripped = values.astype("string[pyarrow]").str.strip()
        return stripped.mask(stripped == "")
    return values


def _parse_declared(text: pd.Series, spec: ColumnSpec, date_format: str) -> pd.Series:
    """Dates read strictly in the declared format; anything else becomes NaT."""
    parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    if spec.kind == "datetime":
        for time_format in _TIME_FORMATS:
            missing = parsed.isna() & text.notna()
            if not missing.any():
                break
            parsed = parsed.where(
                ~missing,
                pd.to_datetime(text.where(missing), format=date_format + time_format, errors="coerce"),
            )
    return parsed


def as_excel_shows(values: pd.Series) -> pd.Series:
    """Text cells written as the Excel formula that shows them (``="00123"``, as exports meant for
    Excel keep an id's leading zeros) as the text shown, ``=""`` as no value; other cells as they are."""
    if not pd.api.types.is_string_dtype(values):
        return values
    formula = values.str.startswith('="').fillna(False)
    if not formula.any():
        return values
    shown = values[formula].str.extract(_FORMULA_TEXT, expand=False).str.replace('""', '"', regex=False)
    written = shown.notna().reindex(values.index, fill_value=False)
    return values.mask(written, shown.mask(shown == ""))  # ="" shows nothing: no value


def _coerce_column(
    raw: pd.Series, spec: ColumnSpec, date_format: str | None = None, numbers: NumberFormat = PLAIN_NUMBERS
) -> tuple[pd.Series, pd.Series]:
    """Return the typed column and a boolean mask of values that could not be parsed."""
    if spec.kind in ("date", "datetime") and raw.dtype == object and _holds_typed_dates(raw):
        return _mixed_dates(raw, spec, date_format)
    values = as_excel_shows(blank_to_na(raw))
    if spec.kind in ("date", "datetime"):
        values = _without_zero_dates(values)
    present = values.notna()
    if spec.kind == "string":
        typed = values.astype("string")
        return typed.astype(object).where(typed.notna(), None), pd.Series(False, index=raw.index)
    if spec.kind in ("int", "float"):
        numeric = numbers.to_numeric(values).astype("Float64")
        unread = present & numeric.isna()
        if spec.shown_as is not None and unread.any():
            numeric[unread] = _as_shown(values[unread], spec.shown_as, numbers)
        numeric = numeric.mask(numeric.isin([np.inf, -np.inf]))  # "inf" parses, but no quantity or cost is infinite
        bad = present & numeric.isna()
        if spec.kind == "int":
            fractional = numeric.notna() & (numeric != numeric.round())
            bad |= fractional.fillna(False)
            numeric = numeric.mask(fractional.fillna(False))
            return numeric.round().astype("Int64"), bad
        return numeric.astype("float64"), bad
    if spec.kind == "bool":
        if pd.api.types.is_bool_dtype(values):
            return values.astype("boolean"), pd.Series(False, index=raw.index)
        text = values.astype("string").str.lower()
        typed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        typed = typed.mask(text.isin(_TRUE).fillna(False), True)
        typed = typed.mask(text.isin(_FALSE).fillna(False), False)
        return typed, present & typed.isna()
    # date / datetime
    # Canonical date-times are naive UTC: a value with a time zone or UTC offset is converted (offsets
    # may differ row to row, across a daylight-saving change), one without is taken as UTC already.
    # A calendar day keeps the day it is written with, whatever its offset.
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
        if values.dt.tz is not None:
            parsed = (values.dt.tz_convert("UTC") if spec.kind == "datetime" else values).dt.tz_localize(None)
    elif is_day_number_format(date_format):
        parsed = day_number_dates(values, date_format)
    elif date_format is not None:
        parsed = _parse_declared(values.astype("string"), spec, date_format)
    else:
        text = values.astype("string")
        timed = text.str.len().gt(10).fillna(False) if spec.kind == "date" else None  # longer than 2024-03-04
        if timed is not None and timed.any():
            text = text.where(~timed, text[timed].str.replace(_TIME_AND_OFFSET, r"\1", regex=True))
        parsed = _without_partial_dates(_dateutil_dates(text).dt.tz_localize(None), text)
    parsed = parsed.astype("datetime64[ns]")
    if spec.kind == "date":
        parsed = parsed.dt.normalize()
    return parsed, present & parsed.isna()


def _as_shown(values: pd.Series, shown_as: str, numbers: NumberFormat) -> pd.Series:
    """Numbers written as a spreadsheet shows them: money without its currency symbol or code, a
    percentage as the fraction it is; NaN where that is not a number either."""
    text = values.astype("string").str.strip()
    if shown_as == "money":
        return numbers.to_numeric(text.str.replace(_CURRENCY, "", regex=True).str.strip()).astype("Float64")
    percent = text.str.endswith("%").fillna(False)
    return (numbers.to_numeric(text.str.rstrip("%").str.strip()).astype("Float64") / 100).where(percent)


def is_zero_date(value: object) -> bool:
    """Whether a cell is a date written as zeros (no date)."""
    return isinstance(value, str) and re.fullmatch(_ZERO_DATE, value.strip()) is not None


def _without_zero_dates(values: pd.Series) -> pd.Series:
    """``values`` with the dates written as zeros missing: an empty date, as SAP writes one (and
    JD Edwards, as the number 0)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.mask(values.eq(0))
    if not pd.api.types.is_string_dtype(values):
        return values
    zeros = values.str.startswith("0").fillna(False)
    if zeros.any():
        zeros[zeros] = values[zeros].str.fullmatch(_ZERO_DATE).fillna(False)
    return values.mask(zeros)


def _without_partial_dates(parsed: pd.Series, text: pd.Series) -> pd.Series:
    """``parsed`` without the dates whose ``text`` does not name a day, a month and a year. Only
    the first of a month (the day dateutil fills in) and texts shorter than a full date are looked at."""
    suspect = parsed.notna() & (parsed.dt.day.eq(1) | text.str.len().lt(8).fillna(False))
    candidates = text[suspect]
    candidates = candidates[~candidates.str.match(_ISO_DAY).astype(bool)]
    if candidates.empty:
        return parsed
    day = candidates.str.replace(_TRAILING_TIME, "", regex=True)
    partial = ~(day.str.count(_DATE_PART).ge(3) | day.str.fullmatch(r"\d{8}")).astype(bool)
    return parsed.mask(parsed.index.isin(partial.index[partial]))


def _dateutil_dates(text: pd.Series) -> pd.Series:
    """Each text read in the form it has (dateutil), in UTC; NaT where it reads as no date."""
    return pd.to_datetime(text, errors="coerce", format="mixed", utc=True)


def _completed_by_dateutil(refused: pd.Series) -> pd.Series:
    """Which refused date texts dateutil would have read, completing what they leave out."""
    text = refused.astype("string")
    return _dateutil_dates(text).notna() & text.notna()


def _holds_typed_dates(raw: pd.Series) -> bool:
    """Whether a column of cells holds date objects (a Parquet date column; a spreadsheet column
    with date cells and dates typed as text)."""
    return pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty") and raw.map(_is_date).any()


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)


def _mixed_dates(raw: pd.Series, spec: ColumnSpec, date_format: str | None) -> tuple[pd.Series, pd.Series]:
    """A column of date objects and text: the dates as they are, the text as any text column."""
    cells = raw.map(_is_date).astype(bool)
    text, bad = _coerce_column(raw.where(~cells), spec, date_format)
    typed = pd.to_datetime(raw.where(cells)).astype("datetime64[ns]")
    typed = typed.dt.normalize() if spec.kind == "date" else typed
    return typed.where(cells, text), bad & ~cells


def coerce_table(
    raw: pd.DataFrame, contract: TableContract, date_format: str | None = None, numbers: NumberFormat = PLAIN_NUMBERS
) -> tuple[pd.DataFrame, pd.Series]:
    """Coerce every contract column of ``raw``; return the typed frame and per-row reasons.

    Reasons are empty strings for rows that parsed cleanly. Columns absent from ``raw`` must be
    nullable (the caller checks required columns first) and are filled with nulls. Date and
    date-time text is read in ``date_format`` when given, else each value in the form it has;
    numbers written as text in ``numbers``.
    """
    typed: dict[str, pd.Series] = {}
    reasons = pd.Series("", index=raw.index, dtype=object)
    for spec in contract.columns:
        if spec.name not in raw.columns:
            typed[spec.name] = _null_column(spec, raw.index)
            continue
        column, bad = _coerce_column(raw[spec.name], spec, date_format, numbers)
        typed[spec.name] = column
        if bad.any():
            label = _KIND_LABEL[spec.kind]
            if date_format is not None and spec.kind in ("date", "datetime"):
                label = f"does not match date_format {date_format!r}:"
            if numbers != PLAIN_NUMBERS and spec.kind in ("int", "float"):
                label = f"{label} with {numbers}:"
            shown = raw[spec.name].astype("string").str.slice(0, 40).map(repr, na_action="ignore")
            message = f"{spec.name}: {label} " + shown
            if date_format is None and spec.kind in ("date", "datetime"):
                partial = _completed_by_dateutil(raw[spec.name].where(bad))
                message = message.mask(partial, f"{spec.name}: not a full date (day, month and year): " + shown)
                numbered = raw[spec.name].astype("string").str.strip().str.fullmatch(_DAY_NUMBER).fillna(False)
                message = message.mask(bad & numbered & ~partial, message + _DAY_NUMBER_HINT)
            reasons = append_reasons(reasons, message.where(bad, ""))
    return pd.DataFrame(typed, index=raw.index), reasons


_KIND_LABEL = {
    "int": "not a whole number",
    "float": "not a number",
    "bool": "not a yes/no value",
    "date": "unparseable date",
    "datetime": "unparseable date-time",
    "string": "not text",
}


def _null_column(spec: ColumnSpec, index: pd.Index) -> pd.Series:
    dtype = COERCED_DTYPE[spec.kind]
    return pd.Series(pd.NA if dtype not in ("float64",) else np.nan, index=index, dtype=dtype)


def recode(raw: pd.DataFrame, codes: dict[str, dict[str, str]]) -> tuple[pd.DataFrame, dict[str, int]]:
    """``raw`` with each value that ``codes`` declares (column -> {as written: as meant}, matched
    on the trimmed text) replaced by what it stands for, other values as written; and the number
    of cells replaced per column."""
    out, replaced = raw.copy(), {}
    for column, mapping in codes.items():
        if column not in out.columns:
            continue
        text = as_excel_shows(out[column].astype("string").str.strip())
        declared = text.isin(list(mapping)).fillna(False)
        out[column] = out[column].astype(object).where(~declared, text.map(mapping))
        replaced[column] = int(declared.sum())
    return out, replaced


def joined_text(cells: pd.DataFrame, separator: str = "-") -> pd.Series:
    """Each row's cells as text joined by ``separator`` (a PO number and line: ``4500017-10``); a
    whole number written as one (a line number in a float column is ``10``, not ``10.0``); missing
    when any cell is empty."""
    joined: pd.Series | None = None
    for _, values in cells.items():
        text = as_excel_shows(values.astype("string").str.strip())
        if pd.api.types.is_float_dtype(values):
            whole = values.notna() & (values % 1 == 0)
            text = text.mask(whole, values[whole].astype("Int64").astype("string"))
        text = text.mask(text == "")
        joined = text if joined is None else joined + separator + text
    return joined.astype(object).where(joined.notna(), None)


def date_and_time(cells: pd.DataFrame, date_format: str | None) -> pd.Series:
    """A date cell and a time-of-day cell (in that order) as the text of one date-time
    (``04.03.2024 13:05``), read then as the column's dates are: a typed date written in
    ``date_format`` (else as an ISO day), a typed time (a time of day, a spreadsheet's fraction of a
    day, a timestamp on its day zero) as ``HH:MM:SS``, text as written; missing when either is empty."""
    day, time = cells.iloc[:, 0], cells.iloc[:, 1]
    if pd.api.types.is_datetime64_any_dtype(day):
        day = day.dt.strftime(date_format or "%Y-%m-%d")
    elif pd.api.types.infer_dtype(day, skipna=True) not in ("string", "empty"):
        day = day.map(lambda value: value.strftime(date_format or "%Y-%m-%d") if _is_date(value) else value)
    if pd.api.types.is_datetime64_any_dtype(time):
        time = time.dt.strftime("%H:%M:%S")
    elif pd.api.types.infer_dtype(time, skipna=True) not in ("string", "empty"):
        time = time.map(_time_of_day_text)
    return joined_text(pd.DataFrame({"day": day, "time": time}, index=cells.index), " ")


def _time_of_day_text(value: object) -> object:
    """A typed time-of-day cell as ``HH:MM:SS``; anything else as it is."""
    if isinstance(value, dt.time | dt.datetime):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float | int | np.floating | np.integer) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = min(round(float(value) * 86_400), 86_399)  # the last instant of a day stays in it
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return value


def append_reasons(reasons: pd.Series, new: pd.Series) -> pd.Series:
    """Join non-empty reasons with '; ' (vectorized)."""
    new = new.fillna("").astype(object)
    both = (reasons != "") & (new != "")
    joined = reasons + np.where(both, "; ", "") + new
    return joined.astype(object)
