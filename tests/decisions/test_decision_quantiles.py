"""The split normal behind every decision reproduces the forecasters' quantiles and its tails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisions import quantiles


def test_quantiles_are_reproduced_exactly_at_p10_p50_p90():
    got = quantiles.quantile(np.array([0.1, 0.5, 0.9]), 10.0, 20.0, 50.0)
    np.testing.assert_allclose(got, [10.0, 20.0, 50.0])
    np.testing.assert_allclose(
        quantiles.cdf(np.array([10.0, 20.0, 50.0]), 10.0, 20.0, 50.0), [0.1, 0.5, 0.9]
    )


def test_expected_shortfall_matches_monte_carlo_of_a_skewed_distribution():
    rng = np.random.default_rng(0)
    m, s_lo, s_hi = 20.0, 5.0, 15.0
    z = rng.standard_normal(400_000)
    draws = m + np.where(z < 0, s_lo, s_hi) * z
    p10, p50, p90 = np.quantile(draws, [0.1, 0.5, 0.9])
    for y in (5.0, 20.0, 40.0):
        mc = np.maximum(draws - y, 0).mean()
        assert quantiles.expected_shortfall(y, p10, p50, p90) == pytest.approx(mc, rel=0.02)
    assert quantiles.mean(p10, p50, p90) == pytest.approx(draws.mean(), rel=0.01)
    assert quantiles.std(p10, p50, p90) == pytest.approx(draws.std(), rel=0.01)


def test_a_point_forecast_gives_a_deterministic_shortfall():
    assert quantiles.expected_shortfall(7.0, 10.0, 10.0, 10.0) == pytest.approx(3.0)
    assert quantiles.expected_shortfall(12.0, 10.0, 10.0, 10.0) == pytest.approx(0.0)
    assert quantiles.survival(9.0, 10.0, 10.0, 10.0) == 1.0


def test_quantiles_from_samples_per_po():
    samples = pd.DataFrame(
        {"po_id": ["a"] * 101 + ["b"] * 101, "delay": np.r_[np.arange(101.0), np.arange(101.0) * 2]}
    )
    q = quantiles.quantiles_from_samples(samples, "po_id", "delay").set_index("po_id")
    assert q.loc["a"].tolist() == [10.0, 50.0, 90.0]
    assert q.loc["b"].tolist() == [20.0, 100.0, 180.0]
