"""Dates an export stores as day numbers instead of writing them: a spreadsheet's serial days
(``45355`` is 4 March 2024), as a sheet's date column saved to CSV without a date format gives
them, and JD Edwards' CYYDDD dates (``124064``: century 1, year 24, day 64 of the year).

They are declared by name as the ``date_format`` of a table, since a number cannot say which
count it is: 45355 is a serial day, and a CYYDDD date of the year 1945 too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

# Serial day 0 of the two date systems spreadsheets count dates in.
SERIAL_DAY_ZERO = {"excel": pd.Timestamp("1899-12-30"), "excel-1904": pd.Timestamp("1904-01-01")}


def serial_days(numbers: pd.Series, day_zero: pd.Timestamp) -> pd.Series:
    """Serial days counted from ``day_zero`` as date-times, to the second (a fraction is the time of
    day); NaT below day 0 or beyond the last day a date-time can hold."""
    days = numbers.where(numbers.between(0, pd.Timedelta.max.days))
    return (day_zero + pd.to_timedelta(days, unit="D")).dt.round("s")


def _jde_days(numbers: pd.Series) -> pd.Series:
    """CYYDDD numbers as dates: the year 1900 + 100 × C + YY, its day DDD; NaT when not a whole
    number or when the year has no such day."""
    whole = numbers.where(numbers.ge(1) & numbers.lt(1_000_000) & numbers.eq(numbers.round()))
    year = 1900 + whole // 1000
    day_of_year = whole % 1000
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    valid = day_of_year.ge(1) & day_of_year.le(np.where(leap, 366, 365))
    valid &= year.lt(pd.Timestamp.max.year)
    first_of_year = (year.where(valid, 1970) - 1970).to_numpy("int64").astype("datetime64[Y]").astype("datetime64[ns]")
    return (pd.Series(first_of_year, index=numbers.index) + pd.to_timedelta(day_of_year - 1, unit="D")).where(valid)


# The day numbers a date_format may name, with what each reads.
DAY_NUMBER_FORMATS: dict[str, tuple[str, Callable[[pd.Series], pd.Series]]] = {
    "excel": ("a spreadsheet's serial day from 30 December 1899 (45355 is 4 March 2024, a fraction the time)",
              lambda numbers: serial_days(numbers, SERIAL_DAY_ZERO["excel"])),
    "excel-1904": ("a serial day of a workbook in the 1904 date system, from 1 January 1904",
                   lambda numbers: serial_days(numbers, SERIAL_DAY_ZERO["excel-1904"])),
    "jde": ("a JD Edwards CYYDDD date (124064 is day 64 of 2024)", _jde_days),
}


def is_day_number_format(date_format: str | None) -> bool:
    """Whether ``date_format`` names a day number rather than a way of writing a date."""
    return date_format in DAY_NUMBER_FORMATS


def day_number_dates(values: pd.Series, date_format: str) -> pd.Series:
    """``values`` (numbers, or numbers written as text) read as the day numbers ``date_format``
    names; NaT where a value is not such a number."""
    numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
    return DAY_NUMBER_FORMATS[date_format][1](numbers).astype("datetime64[ns]")
