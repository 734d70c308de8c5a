"""Quality of stock-out alerts against the backorders that followed: pure functions over frames.

An alert is one SKU-location flagged on one day (``sku_id, location_id, day, horizon_days``,
the lead time the rule looked ahead). It is right when a unit at that SKU-location is
backordered within its horizon: on a day ``b`` with ``day < b <= day + horizon_days``. A
backorder episode starts on a day with new backordered units while nothing was on backorder at
the end of the day before; it is caught when an alert was raised within the horizon before it,
and its warning time is the episode day minus the first such alert's day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from contracts.keys import DAY, SKU_LOCATION
from decisions.inputs import require_columns

ALERT_COLUMNS = {**dict.fromkeys(SKU_LOCATION, "key"), "day": "date", "horizon_days": "nonneg"}
DAILY_COLUMNS = {**dict.fromkeys(SKU_LOCATION, "key"), "day": "date", "backordered_units": "nonneg",
                 "open_backorders": "nonneg"}


@dataclass(frozen=True)
class AlertQuality:
    """The figures of one evaluation; NaN where there is nothing to measure."""

    alerts_judged: int
    precision: float
    episodes: int
    recall: float
    median_warning_days: float
    open_alerts_per_location_day: float
    max_open_alerts_per_location_day: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def backorder_episodes(daily: pd.DataFrame) -> pd.DataFrame:
    """The first day of every run of backorders per SKU-location (``sku_id, location_id, day``).

    ``daily``: one row per SKU-location and day with ``backordered_units`` (units not shipped on
    their order day) and ``open_backorders`` (units on backorder at the end of the day). A run
    starts on a day with backordered units after a day that ended with none open (or the first
    day of the SKU-location in ``daily``).
    """
    require_columns(daily, "daily", DAILY_COLUMNS)
    frame = daily.sort_values([*SKU_LOCATION, "day"]).reset_index(drop=True)
    previous_open = frame.groupby(SKU_LOCATION, sort=False)["open_backorders"].shift(1).fillna(0.0)
    starts = (frame["backordered_units"].to_numpy(float) > 0) & (previous_open.to_numpy(float) <= 0)
    return frame.loc[starts, [*SKU_LOCATION, "day"]].reset_index(drop=True)


def alert_outcomes(alerts: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """``alerts`` with ``hit``: a unit was backordered at its SKU-location within its horizon.

    Alerts whose horizon runs past the last day of ``daily`` cannot be judged and are dropped.
    """
    require_columns(alerts, "alerts", ALERT_COLUMNS)
    require_columns(daily, "daily", DAILY_COLUMNS)
    last_day = pd.Timestamp(daily["day"].max())
    judged = alerts[alerts["day"] + pd.to_timedelta(alerts["horizon_days"].to_numpy(float), unit="D") <= last_day]
    short_days = daily.loc[daily["backordered_units"] > 0, [*SKU_LOCATION, "day"]]
    nxt = pd.merge_asof(
        judged.sort_values("day").assign(day=lambda f: f["day"].astype("datetime64[ns]")),
        short_days.rename(columns={"day": "next_backorder"}).sort_values("next_backorder")
        .astype({"next_backorder": "datetime64[ns]"}),
        left_on="day", right_on="next_backorder", by=SKU_LOCATION, direction="forward", allow_exact_matches=False,
    )
    gap = ((nxt["next_backorder"] - nxt["day"]) / DAY).to_numpy(float)
    return nxt.assign(hit=np.nan_to_num(gap, nan=np.inf) <= nxt["horizon_days"].to_numpy(float))


def episode_warnings(alerts: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """``episodes`` with ``warning_days``: the episode day minus the first alert day within the
    horizon before it (NaN when no alert came in time)."""
    require_columns(alerts, "alerts", ALERT_COLUMNS)
    require_columns(episodes, "episodes", {**dict.fromkeys(SKU_LOCATION, "key"), "day": "date"})
    pairs = episodes.reset_index(drop=True).rename_axis("episode").reset_index().merge(
        alerts[[*SKU_LOCATION, "day", "horizon_days"]].rename(columns={"day": "alert_day"}), on=SKU_LOCATION
    )
    ahead = ((pairs["day"] - pairs["alert_day"]) / DAY).to_numpy(float)
    in_time = (ahead > 0) & (ahead <= pairs["horizon_days"].to_numpy(float))
    warning = pd.Series(ahead[in_time], index=pairs.loc[in_time, "episode"]).groupby(level=0).max()
    return episodes.reset_index(drop=True).assign(warning_days=warning.reindex(range(len(episodes))).to_numpy(float))


def alert_quality(alerts: pd.DataFrame, daily: pd.DataFrame, first_day: pd.Timestamp,
                  last_day: pd.Timestamp) -> AlertQuality:
    """Precision, recall, median warning and open alerts per location-day over ``first_day ..
    last_day``.

    Alerts raised in the period are judged (those whose horizon ends within ``daily``), episodes
    starting in the period are looked for in every alert of ``alerts`` (earlier ones included, so
    an episode on the first day can be warned of); open alerts are counted per location and day of
    the period, days without alerts counting as 0.
    """
    require_columns(alerts, "alerts", ALERT_COLUMNS)
    first_day, last_day = pd.Timestamp(first_day), pd.Timestamp(last_day)
    in_period = alerts[(alerts["day"] >= first_day) & (alerts["day"] <= last_day)]
    judged = alert_outcomes(in_period, daily)
    episodes = backorder_episodes(daily)
    episodes = episodes[(episodes["day"] >= first_day) & (episodes["day"] <= last_day)]
    warned = episode_warnings(alerts, episodes)["warning_days"].dropna()
    locations = daily["location_id"].nunique()
    days = (last_day - first_day) // pd.Timedelta(days=1) + 1
    per_location_day = in_period.groupby(["location_id", "day"]).size()
    return AlertQuality(
        alerts_judged=len(judged),
        precision=float(judged["hit"].mean()) if len(judged) else float("nan"),
        episodes=len(episodes),
        recall=len(warned) / len(episodes) if len(episodes) else float("nan"),
        median_warning_days=float(warned.median()) if len(warned) else float("nan"),
        open_alerts_per_location_day=len(in_period) / (locations * days) if locations else float("nan"),
        max_open_alerts_per_location_day=int(per_location_day.max()) if len(per_location_day) else 0,
    )
