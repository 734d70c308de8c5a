"""Stock-out alert quality: precision, recall, warning time and load on hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from alerts.quality import alert_outcomes, alert_quality, backorder_episodes, episode_warnings

D0 = pd.Timestamp("2026-01-01")


def _day(k: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=k)


def _daily(short: dict[int, float], open_: dict[int, float], days: int = 30, sku: str = "A") -> pd.DataFrame:
    """One SKU-location over ``days`` days: units backordered and open backorders by day index."""
    return pd.DataFrame({
        "sku_id": sku, "location_id": "DC1", "day": [_day(k) for k in range(days)],
        "backordered_units": [short.get(k, 0.0) for k in range(days)],
        "open_backorders": [open_.get(k, 0.0) for k in range(days)],
    })


def _alerts(days: list[int], horizon: float = 5.0, sku: str = "A") -> pd.DataFrame:
    return pd.DataFrame({"sku_id": sku, "location_id": "DC1", "day": [_day(k) for k in days],
                         "horizon_days": horizon})


def test_an_episode_starts_only_after_a_day_that_ended_without_backorders():
    # backorders on days 10, 11 (still open on 10), then clear, again on 20
    daily = _daily({10: 3, 11: 2, 20: 1}, {10: 3, 11: 5, 20: 1})
    assert [d.day for d in backorder_episodes(daily)["day"]] == [11, 21]  # 2026-01-11 and 2026-01-21


def test_an_alert_is_right_only_when_a_backorder_follows_within_its_horizon():
    daily = _daily({10: 3}, {10: 3})
    judged = alert_outcomes(_alerts([5, 4, 10, 12, 28]), daily).set_index("day")["hit"]
    assert judged[_day(5)] and not judged[_day(4)]  # 5 days ahead is in, 6 is out
    assert not judged[_day(10)]  # the same day is no warning
    assert not judged[_day(12)]
    assert _day(28) not in judged.index  # its horizon runs past the data: not judged


def test_warning_counts_from_the_first_alert_in_the_horizon():
    episodes = pd.DataFrame({"sku_id": ["A", "A"], "location_id": "DC1", "day": [_day(10), _day(25)]})
    warned = episode_warnings(_alerts([3, 6, 8, 9]), episodes)["warning_days"]
    assert warned[0] == 4.0  # day 3 is 7 days ahead, beyond the 5-day horizon; day 6 is the first
    assert pd.isna(warned[1])


def test_alert_quality_over_a_period():
    daily = pd.concat([_daily({10: 3}, {10: 3}), _daily({20: 1}, {20: 1}, sku="B")], ignore_index=True)
    alerts = pd.concat([_alerts([7, 8, 9, 15]), _alerts([1])], ignore_index=True)
    quality = alert_quality(alerts, daily, _day(5), _day(24))
    # A: 7, 8, 9 precede the day-10 backorder, 15 does not; B's day-1 alert is before the period
    assert quality.alerts_judged == 4 and quality.precision == pytest.approx(0.75)
    assert quality.episodes == 2 and quality.recall == pytest.approx(0.5)
    assert quality.median_warning_days == 3.0
    assert quality.open_alerts_per_location_day == pytest.approx(4 / 20)
    assert quality.max_open_alerts_per_location_day == 1


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="horizon_days"):
        alert_outcomes(_alerts([1]).drop(columns="horizon_days"), _daily({}, {}))
