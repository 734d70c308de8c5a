"""Reconciled forecasts add up across the hierarchy, stay non-negative and are scored per level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.timeseries import ID, TARGET, TIME
from training.forecasting.hierarchy import (
    BASE,
    BOTTOM_UP,
    MIN_TRACE,
    NODE,
    STALLION_HIERARCHY,
    WLS_VAR,
    WORLD_HIERARCHY,
    Hierarchy,
    aggregate_levels,
    base_forecasts,
    hierarchy_backtest,
    is_coherent,
    latest_errors,
    level_errors,
    level_summary,
    reconcile,
    reconciled_windows,
    upper_forecasts,
    with_key_columns,
    with_reconciled_p50,
)

MONTHS = pd.date_range("2020-01-01", periods=30, freq="MS")


def _panel(seed: int = 0) -> pd.DataFrame:
    """3 agencies x 4 SKUs, monthly, one SKU mostly zero."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in ("a1", "a2", "a3"):
        for s in ("s1", "s2", "s3", "s4"):
            level = 0.3 if s == "s4" else rng.uniform(20, 60)
            y = rng.poisson(level, len(MONTHS)).astype(float)
            rows.append(pd.DataFrame({"agency": a, "sku": s, TIME: MONTHS, TARGET: y}))
    panel = pd.concat(rows, ignore_index=True)
    panel[ID] = panel["agency"] + "|" + panel["sku"]
    return panel


def _bottom_guess(panel: pd.DataFrame, origin: pd.Timestamp, h: int, bias: float) -> pd.DataFrame:
    """A deliberately poor bottom model: the last value shifted by ``bias`` (may go negative)."""
    last = panel[panel[TIME] <= origin].sort_values(TIME).groupby(ID).tail(1)
    dates = pd.date_range(origin, periods=h + 1, freq="MS")[1:]
    return pd.DataFrame(
        [(uid, d, y + bias) for uid, y in zip(last[ID], last[TARGET], strict=True) for d in dates],
        columns=[ID, TIME, "p50"],
    )


def test_levels_cover_agency_sku_and_total() -> None:
    levels = aggregate_levels(_panel(), STALLION_HIERARCHY)
    assert {name: len(ids) for name, ids in levels.tags.items()} == {
        "total": 1, "agency": 3, "sku": 4, "agency/sku": 12,
    }
    total = levels.frame[levels.frame[NODE] == "total"].set_index(TIME)[TARGET]
    assert total.to_numpy() == pytest.approx(_panel().groupby(TIME)[TARGET].sum().to_numpy())


def test_reconciled_forecasts_are_coherent_and_non_negative() -> None:
    panel = _panel()
    levels = aggregate_levels(panel, STALLION_HIERARCHY)
    origins = [MONTHS[17], MONTHS[20], MONTHS[23]]
    bases = {
        o: base_forecasts(_bottom_guess(panel, o, 3, -15.0), upper_forecasts(levels, o, 3, "MS", 12), levels)
        for o in origins
    }
    windows = [bases[o].merge(levels.frame, on=[NODE, TIME]).assign(origin=o) for o in origins[:2]]
    base = bases[origins[2]]
    out = reconcile(base, levels, latest_errors(windows))
    assert set(out["model"]) == {BASE, BOTTOM_UP, MIN_TRACE, WLS_VAR}
    assert not is_coherent(out, levels, BASE)
    for model in (BOTTOM_UP, MIN_TRACE, WLS_VAR):
        assert is_coherent(out, levels, model)
        assert (out.loc[out["model"] == model, "p50"] >= 0).all()
    # The bottom model's negative values are floored at zero, as demand is.
    assert (base["p50"] >= 0).all() and (base["p50"] == 0).any()


def test_mintrace_needs_earlier_errors_and_every_bottom_series() -> None:
    panel = _panel()
    levels = aggregate_levels(panel, STALLION_HIERARCHY)
    upper = upper_forecasts(levels, MONTHS[20], 3, "MS", 12)
    bottom = _bottom_guess(panel, MONTHS[20], 3, 0.0)
    with pytest.raises(ValueError, match="errors"):
        reconcile(base_forecasts(bottom, upper, levels), levels, None)
    with pytest.raises(ValueError, match="bottom series have none"):
        base_forecasts(bottom[bottom[ID] != "a1|s1"], upper, levels)
    with pytest.raises(ValueError, match="'agency'"):
        aggregate_levels(panel.assign(agency=panel["agency"].where(panel["sku"] != "s1")), STALLION_HIERARCHY)


def test_world_hierarchy_nests_location_in_sku_in_category() -> None:
    # The world's demand frame names a SKU-location "SKU|LOCATION" and carries its category.
    panel = _panel()
    panel = panel.assign(**{ID: panel["sku"] + "|" + panel["agency"]}).drop(columns=["agency", "sku"])
    panel["category"] = np.where(panel[ID].str.startswith(("s1", "s2")), "c1", "c2")
    levels = aggregate_levels(with_key_columns(panel), WORLD_HIERARCHY)
    assert [len(levels.tags[n]) for n in ("total", "category", "category/sku_id")] == [1, 2, 4]
    assert len(levels.tags["category/sku_id/location_id"]) == 12
    with pytest.raises(ValueError, match="grouping of the bottom"):
        Hierarchy(((), ("region",), ("sku",)))
    with pytest.raises(ValueError, match="unique_id"):
        with_key_columns(panel.assign(**{ID: "no-separator"}))


def test_backtest_scores_every_level_against_the_base() -> None:
    panel = _panel(seed=1)
    # A series launched after the first origins joins the hierarchy once it has history.
    panel = panel[(panel[ID] != "a3|s3") | (panel[TIME] >= MONTHS[19])]
    origins = [MONTHS[i] for i in (17, 20, 23, 26)]
    scores = hierarchy_backtest(
        panel, STALLION_HIERARCHY, {o: _bottom_guess(panel, o, 3, 5.0) for o in origins},
        h=3, freq="MS", season_length=12,
    )
    assert sorted(scores["origin"].unique()) == origins[1:]
    summary = level_summary(scores)
    assert set(summary["level"]) == {"total", "agency", "sku", "agency/sku"}
    base = summary[summary["model"] == BASE]
    assert (base["diff_mean"] == 0).all() and (base["windows"] == 3).all()
    bottom_rows = scores[(scores["level"] == "agency/sku") & (scores["model"] == BASE)]
    assert bottom_rows["n"].tolist() == [12 * 3] * 3
    # Bottom-up reproduces the bottom model's own bottom level exactly.
    bottom = summary[summary["level"] == "agency/sku"].set_index("model")["mae_mean"]
    assert bottom[BOTTOM_UP] == pytest.approx(bottom[BASE])


def test_mintrace_can_learn_from_the_latest_windows_only() -> None:
    panel = _panel(seed=2)
    origins = [MONTHS[i] for i in (14, 17, 20, 23)]
    # The bottom model errs by 30 on the first window, by 5 after: older errors mislead.
    guesses = {o: _bottom_guess(panel, o, 3, 30.0 if o == origins[0] else 5.0) for o in origins}

    def last_window(error_windows: int | None) -> pd.DataFrame:
        *_, (origin, _, reconciled) = reconciled_windows(
            panel, STALLION_HIERARCHY, guesses, 3, "MS", 12, error_windows=error_windows
        )
        assert origin == origins[-1]
        return reconciled.set_index([NODE, TIME, "model"])["p50"]

    every, latest = last_window(None), last_window(1)
    levels = aggregate_levels(panel, STALLION_HIERARCHY)
    upper = {o: upper_forecasts(levels, o, 3, "MS", 12) for o in origins[2:]}
    base = {o: base_forecasts(guesses[o], upper[o], levels) for o in origins[2:]}
    window = base[origins[2]].merge(levels.frame, on=[NODE, TIME]).assign(origin=origins[2])
    expected = reconcile(base[origins[3]], levels, latest_errors([window])).set_index([NODE, TIME, "model"])["p50"]
    assert latest.to_numpy() == pytest.approx(expected.loc[latest.index].to_numpy())
    assert not np.allclose(every.loc[latest.index].to_numpy(), latest.to_numpy())
    with pytest.raises(ValueError, match="min_error_windows"):
        next(reconciled_windows(panel, STALLION_HIERARCHY, guesses, 3, "MS", 12, min_error_windows=0))


def test_intervals_move_with_the_reconciled_median() -> None:
    panel = _panel()
    levels = aggregate_levels(panel, STALLION_HIERARCHY)
    day = MONTHS[21]
    forecast = pd.DataFrame(
        {ID: ["a1|s1", "a1|s2", "a2|s1", "new|s9"], TIME: day,
         "p10": [10.0, 4.0, 20.0, 1.0], "p50": [20.0, 6.0, 30.0, 2.0], "p90": [35.0, 9.0, 45.0, 3.0]}
    )
    nodes = forecast[ID].iloc[:3].map(levels.bottom_node)
    reconciled = pd.DataFrame({NODE: nodes, TIME: day, "model": WLS_VAR, "p50": [26.0, 1.0, 30.0]})
    out = with_reconciled_p50(forecast, reconciled, levels, WLS_VAR).set_index(ID)
    # Up by 6: the whole interval moves. Down by 5: P10 stops at zero. Unchanged, and a series the
    # hierarchy does not hold: as forecast.
    assert out.loc["a1|s1", ["p10", "p50", "p90"]].tolist() == [16.0, 26.0, 41.0]
    assert out.loc["a1|s2", ["p10", "p50", "p90"]].tolist() == [0.0, 1.0, 4.0]
    assert out.loc["a2|s1", ["p10", "p50", "p90"]].tolist() == [20.0, 30.0, 45.0]
    assert out.loc["new|s9", ["p10", "p50", "p90"]].tolist() == [1.0, 2.0, 3.0]


def _world_days(days: pd.DatetimeIndex) -> pd.DataFrame:
    """The world's demand frame in miniature: 3 SKUs in 2 categories at 2 locations, daily."""
    rng = np.random.default_rng(3)
    rows = []
    for sku, category in (("k1", "c1"), ("k2", "c1"), ("k3", "c2")):
        for location in ("L1", "L2"):
            y = rng.poisson(rng.uniform(0.5, 6.0), len(days)).astype(float)
            rows.append(pd.DataFrame({ID: f"{sku}|{location}", TIME: days, TARGET: y, "category": category}))
    return pd.concat(rows, ignore_index=True)


def _world_guess(frame: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """Each series' mean to date for the next 7 days, 8 units too low for SKU k1 (so below zero)."""
    mean = frame[frame[TIME] <= origin].groupby(ID)[TARGET].mean()
    mean = mean - 8.0 * mean.index.str.startswith("k1")
    dates = pd.date_range(origin, periods=8, freq="D")[1:]
    return pd.DataFrame(
        [(uid, d, y) for uid, y in mean.items() for d in dates], columns=[ID, TIME, "p50"]
    )


def test_world_forecasts_add_up_from_location_to_total_and_stay_non_negative() -> None:
    days = pd.date_range("2025-01-01", periods=70, freq="D")
    frame = with_key_columns(_world_days(days))
    levels = aggregate_levels(frame, WORLD_HIERARCHY)
    # 1 total + 2 categories + 3 SKUs + 6 SKU-locations, each a sum of the 6 bottom series.
    assert levels.S.set_index("unique_id").shape == (12, 6)
    origins = [days[41], days[48], days[55]]
    bases = {
        o: base_forecasts(_world_guess(frame, o), upper_forecasts(levels, o, 7, "D", 7), levels)
        for o in origins
    }
    windows = [bases[o].merge(levels.frame, on=[NODE, TIME]).assign(origin=o) for o in origins[:2]]
    out = reconcile(bases[origins[2]], levels, latest_errors(windows))
    keys = ["category", "sku_id", "location_id"]
    bottom_keys = frame.groupby(ID)[keys].first()
    bottom_keys.index = bottom_keys.index.map(levels.bottom_node)

    def largest_gap(model: str) -> float:
        """How far any parent's forecast is from the sum of its SKU-locations', day by day."""
        rows = out[out["model"] == model]
        p50 = rows.set_index([NODE, TIME])["p50"]
        bottom = rows.merge(bottom_keys, left_on=NODE, right_index=True)
        gaps = []
        for parent in ([], ["category"], ["category", "sku_id"]):
            sums = bottom.groupby([*parent, TIME])["p50"].sum()
            for key, total in zip(sums.index.to_flat_index(), sums, strict=True):
                *names, day = key if parent else (key,)
                gaps.append(abs(p50[("/".join(["total", *names]), day)] - total))
        return max(gaps)

    assert largest_gap(BASE) > 1.0
    for model in (BOTTOM_UP, MIN_TRACE, WLS_VAR):
        assert largest_gap(model) < 1e-6
        assert (out.loc[out["model"] == model, "p50"] >= 0).all()


def test_level_errors_score_each_day_and_each_series_window_total() -> None:
    days = pd.date_range("2025-01-01", periods=2, freq="D")
    frame = with_key_columns(_world_days(days))
    levels = aggregate_levels(frame, WORLD_HIERARCHY)
    truth = levels.frame.set_index([NODE, TIME])[TARGET]
    # One day 2 over, the next 2 under: wrong each day, right over the window.
    shift = np.where(truth.index.get_level_values(TIME) == days[0], 2.0, -2.0)
    forecast = (truth + shift).rename("p50").reset_index().assign(model=BASE)
    forecast["level"] = forecast[NODE].map(levels.level)
    errors = level_errors(forecast, levels).set_index("level")
    bottom = errors.loc["category/sku_id/location_id"]
    assert bottom["mae"] == pytest.approx(2.0) and bottom["n"] == 12
    actual = frame[TARGET].sum()
    assert bottom["wape"] == pytest.approx(2.0 * 12 / actual)
    assert errors["wape_window"].tolist() == pytest.approx([0.0] * 4)
