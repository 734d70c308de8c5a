"""A line still open past its usual delay is expected to take longer the heavier the history's tail."""

from __future__ import annotations

import numpy as np
import pytest

from training.lead_time.overdue import OverdueDelay


def history(episode_share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four suppliers with different usual delays (0, 2, 5, 10 days, +-1); ``episode_share`` of
    the lines fall in a disruption episode that adds 14-28 days."""
    rng = np.random.default_rng(seed)
    supplier = np.repeat(np.arange(4), 1000)
    delay = np.array([0, 2, 5, 10])[supplier] + rng.integers(-1, 2, len(supplier))
    episode = rng.random(len(supplier)) < episode_share
    return supplier, delay + np.where(episode, rng.integers(14, 29, len(supplier)), 0)


def test_lines_overdue_in_a_history_with_disruptions_are_expected_to_run_on_for_weeks() -> None:
    heavy = OverdueDelay().fit(*history(episode_share=0.1))
    light = OverdueDelay().fit(*history(episode_share=0.0))
    three_days_past = heavy.remaining(np.array([3.0]))[0]
    # Past its supplier's usual delay +1, a line is in an episode: 14-28 days minus the 3 run up.
    assert 10 <= three_days_past[1] <= 25
    assert three_days_past[2] >= 20
    # Without episodes nothing ran that far: the last supported row (the +1 day of noise) stands.
    assert light.remaining(np.array([3.0]))[0][1] <= 1
    # At its usual delay, half the lines still open arrive within the day's noise.
    assert heavy.remaining(np.array([0.0]))[0][1] <= 1


def test_the_usual_delay_is_each_suppliers_own() -> None:
    supplier, delay = history(episode_share=0.0)
    model = OverdueDelay().fit(supplier, delay)
    shifted = OverdueDelay().fit(supplier, delay + 30 * (supplier == 3))  # one supplier always a month late
    np.testing.assert_allclose(model.table_, shifted.table_)


def test_quantiles_are_ordered_non_negative_and_clipped_to_the_table() -> None:
    model = OverdueDelay(max_days=40).fit(*history(episode_share=0.05))
    out = model.remaining(np.array([-5.0, 0.0, 7.5, 40.0, 400.0]))
    assert out.shape == (5, 3)
    assert (np.diff(out, axis=1) >= 0).all() and (out >= 0).all()
    np.testing.assert_allclose(out[0], out[1])  # not past the median: the table's first row
    np.testing.assert_allclose(out[3], out[4])


def test_too_short_a_history_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="delay: 5 received lines"):
        OverdueDelay().fit(np.zeros(5), np.arange(5.0))
