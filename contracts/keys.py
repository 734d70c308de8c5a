"""Keys every package joins on, the series id built from them and the day as a time unit.

A SKU-location is the unit of stock, demand and risk; a forecast series is named by its key
values joined with ``|`` (``"SKU-1|DC-1"``). Declared here once so that features, models,
decisions, serving and reports name the same rows the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd

SKU_LOCATION = ["sku_id", "location_id"]
SERIES_SEPARATOR = "|"
DAY = np.timedelta64(1, "D")


def series_id(frame: pd.DataFrame, columns: Sequence[str] = SKU_LOCATION) -> pd.Series:
    """The series id of every row: its ``columns`` as text joined with ``|`` (text columns keep
    their dtype)."""
    parts = (_text(frame[column]) for column in columns)
    return reduce(lambda joined, part: joined + SERIES_SEPARATOR + part, parts)


def series_name(*values: object) -> str:
    """The series id of one row's key values (``series_id`` for a single row)."""
    return SERIES_SEPARATOR.join(map(str, values))


def _text(values: pd.Series) -> pd.Series:
    return values if isinstance(values.dtype, pd.StringDtype) else values.astype(str)
