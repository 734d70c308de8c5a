"""How much prediction log a drift verdict rests on, and whether that is enough to give one.

A day of log is one day's request mix: the orders of one morning, a few customers, one promotion.
Compared with a training reference that spans months, almost every feature looks shifted. Drift
is therefore only judged once the window holds enough distinct logged days and enough lines;
before that the verdict is "not enough data yet" and nothing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

NOT_ENOUGH_DATA = "not enough data yet"


@dataclass(frozen=True)
class MinimumWindow:
    """Distinct logged days and logged lines a window needs before drift is judged."""

    days: int = 7
    rows: int = 500


@dataclass(frozen=True)
class Evidence:
    """The days and lines a window holds, against the minimum a drift verdict needs."""

    days_seen: int
    rows_seen: int
    days_needed: int
    rows_needed: int

    @property
    def enough(self) -> bool:
        return self.days_seen >= self.days_needed and self.rows_seen >= self.rows_needed

    def describe(self) -> str:
        """``3 of 7 days, 420 of 500 lines logged``: what is there and what is needed."""
        return (
            f"{self.days_seen} of {self.days_needed} days, "
            f"{self.rows_seen} of {self.rows_needed} lines logged"
        )

    def summary(self) -> dict[str, int]:
        return {
            "days_seen": self.days_seen,
            "days_needed": self.days_needed,
            "rows_seen": self.rows_seen,
            "rows_needed": self.rows_needed,
        }


def logged_evidence(window: pd.DataFrame, minimum: MinimumWindow) -> Evidence:
    """Distinct calendar days (UTC) with logged lines, and the lines, of a prediction-log window."""
    if "logged_at" not in window.columns:
        raise ValueError("prediction-log window: no 'logged_at' column to count logged days")
    logged_at = pd.to_datetime(window["logged_at"], utc=True)
    return Evidence(
        days_seen=int(logged_at.dt.floor("D").nunique()),
        rows_seen=int(len(window)),
        days_needed=minimum.days,
        rows_needed=minimum.rows,
    )
