"""Daily grids per series and window aggregates over them, computed with cumulative sums.

Every time-windowed feature in this package is a sum over a window of days. Laying each series
(a SKU-location, a supplier, a SKU-supplier lane) out on a dense daily grid, sorted and contiguous,
turns those sums into differences of one cumulative sum, and turns "open during [a, b)" into two
entries of a difference array: no per-row Python, no per-group ``rolling``. Window values only
ever look backwards (days ``t-w+1 .. t``) unless a function says it looks forward (labels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def to_day(values: pd.Series | np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of datetime values; NaT becomes a huge sentinel."""
    days = np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]")
    out = days.astype(np.int64)
    out[np.isnat(days)] = np.iinfo(np.int64).max // 4
    return out


def from_day(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


@dataclass(frozen=True)
class Grid:
    """One row per (series, day) from each series' first to last day, sorted by series then day.

    ``series`` holds one row per series with its keys, ``first``/``length`` (days), ``offset``
    (its first row in the grid) and ``born`` (the day its history starts: ``first``, or earlier
    when the grid covers only the recent part of a longer history, see ``make_grid``).
    ``code``/``day`` give each grid row's series number and day.
    """

    keys: tuple[str, ...]
    series: pd.DataFrame
    code: np.ndarray
    day: np.ndarray

    @property
    def size(self) -> int:
        return len(self.day)

    @property
    def start(self) -> np.ndarray:
        """Row index of the first row of each grid row's series."""
        return self.series["offset"].to_numpy()[self.code]

    def frame(self) -> pd.DataFrame:
        """Keys and ``date`` of every grid row."""
        out = {k: self.series[k].to_numpy()[self.code] for k in self.keys}
        out["date"] = from_day(self.day)
        return pd.DataFrame(out)

    def series_of(self, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``keys``: whether its series is in the grid, and its series number (0 if not)."""
        lookup = self.series[list(self.keys)].assign(_code=np.arange(len(self.series)))
        code = keys[list(self.keys)].merge(lookup, how="left", on=list(self.keys))["_code"]
        code = code.to_numpy(dtype="float64")
        known = ~np.isnan(code)
        return known, np.where(known, code, 0).astype(np.int64)

    def locate(self, keys: pd.DataFrame, day: np.ndarray, clip: bool = False) -> np.ndarray:
        """Grid row of each (keys, day); -1 where the series is unknown or the day off its range.

        With ``clip`` days before a series' start map to its first row and days after its end to
        one past its last row (the next series' first row), which is what difference arrays need.
        """
        known, c = self.series_of(keys)
        first = self.series["first"].to_numpy()[c]
        length = self.series["length"].to_numpy()[c]
        rel = np.asarray(day, dtype=np.int64) - first
        if clip:
            rel = np.clip(rel, 0, length)
            return np.where(known, self.series["offset"].to_numpy()[c] + rel, -1)
        inside = known & (rel >= 0) & (rel < length)
        return np.where(inside, self.series["offset"].to_numpy()[c] + rel, -1)


def make_grid(
    series: pd.DataFrame, keys: tuple[str, ...], first: str, last: str, since: pd.Timestamp | None = None
) -> Grid:
    """A grid over ``series`` rows (one per series) spanning days ``first``..``last`` inclusive.

    With ``since`` the grid starts no earlier than that day (series ending before it are left
    out) while ``born`` keeps each series' real first day, so "is the window full" stays right.
    """
    table = series[list(keys)].copy()
    table["born"] = to_day(series[first])
    table["first"] = table["born"].to_numpy()
    if since is not None:
        table["first"] = np.maximum(table["first"].to_numpy(), to_day(np.array([since]))[0])
        table = table[table["first"].to_numpy() <= to_day(series[last])]
        series = series.loc[table.index]
    table["length"] = (to_day(series[last]) - table["first"].to_numpy() + 1).clip(min=0)
    table = table.sort_values(list(keys), kind="stable").reset_index(drop=True)
    lengths = table["length"].to_numpy()
    table["offset"] = (np.cumsum(lengths) - lengths).astype(np.int64)
    code = np.repeat(np.arange(len(table)), lengths)
    within = np.arange(len(code)) - table["offset"].to_numpy()[code]
    day = table["first"].to_numpy()[code] + within
    return Grid(keys=keys, series=table, code=code, day=day)


def scatter_sum(grid: Grid, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per grid row, the sum of ``values`` whose row is ``rows`` (rows of -1 are ignored)."""
    out = np.zeros(grid.size, dtype="float64")
    ok = rows >= 0
    np.add.at(out, rows[ok], np.asarray(values, dtype="float64")[ok])
    return out


def window_sum(grid: Grid, values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of ``values`` over the last ``window`` days (t-window+1..t) of each row's series.

    Returns the sums and whether the full window lies within the series' history (from ``born``).
    """
    cs = np.concatenate([[0.0], np.cumsum(values, dtype="float64")])
    idx = np.arange(grid.size)
    lo = np.maximum(idx + 1 - window, grid.start)
    born = grid.series["born"].to_numpy()[grid.code]
    return cs[idx + 1] - cs[lo], (grid.day - born + 1) >= window


def forward_sum(grid: Grid, values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of ``values`` over the next ``window`` days (t+1..t+window), strictly after t.

    Returns the sums and whether the whole window lies within the series' recorded range.
    """
    cs = np.concatenate([[0.0], np.cumsum(values, dtype="float64")])
    idx = np.arange(grid.size)
    end = grid.start + grid.series["length"].to_numpy()[grid.code]  # one past the series' last row
    hi = np.minimum(idx + 1 + window, end)
    return cs[hi] - cs[idx + 1], idx + window < end


def interval_sum(
    grid: Grid, keys: pd.DataFrame, begin: np.ndarray, end: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Per grid row, the summed ``weight`` of the intervals [begin, end) covering its day."""
    lo = grid.locate(keys, begin, clip=True)
    hi = grid.locate(keys, end, clip=True)
    ok = (lo >= 0) & (hi > lo)
    diff = np.zeros(grid.size + 1, dtype="float64")
    w = np.asarray(weight, dtype="float64")[ok]
    np.add.at(diff, lo[ok], w)
    np.add.at(diff, hi[ok], -w)
    return np.cumsum(diff[:-1])


def last_true_age(grid: Grid, flag: np.ndarray, before: np.ndarray | None = None) -> np.ndarray:
    """Days since the last row of the same series where ``flag`` holds (NaN if none yet).

    ``before`` (per series, a day number or NaN) is the last such day before the grid's first day:
    the state a grid over the recent days only carries from the older history.
    """
    idx = np.arange(grid.size)
    last = np.maximum.accumulate(np.where(flag, idx, -1))
    age = (idx - last).astype("float64")
    none_yet = last < grid.start
    carried = np.full(grid.size, np.nan) if before is None else grid.day - before[grid.code]
    age[none_yet] = carried[none_yet]
    return age
