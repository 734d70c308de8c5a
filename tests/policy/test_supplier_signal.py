"""A supplier whose recent deliveries run behind the lead-time model gets longer reorder lead times."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from policy.forecasts import WorldKeys
from policy.lead_times import ModelLeadTimes
from simulation import SimulationConfig
from simulation.world import generate_world
from training.lead_time.overdue import OverdueDelay

DAY = 100


class SteadyDelays:
    """A lead-time model that predicts every line 1 / 2 / 4 days late, whatever happens."""

    def predict(self, lines: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"p10": 1.0, "p50": 2.0, "p90": 4.0, "p_late": 0.5}, index=lines.index)


@pytest.fixture()
def keys() -> WorldKeys:
    return WorldKeys(generate_world(SimulationConfig(seed=3, n_skus=6, n_locations=2, n_suppliers=2, n_days=200)))


def view_with_overdue_lines(keys: WorldKeys, late_supplier: int, days_late: int) -> SimpleNamespace:
    """Day ``DAY``: four open lines per SKU-location. Those of ``late_supplier`` were due 14-20
    days ago and have no ASN yet; the others' ASNs announce them 2 days after their promised
    day, as the model predicts."""
    n_total = len(keys.sku)
    supplier = np.column_stack([np.arange(n_total) % 2, np.full(n_total, -1)])
    terms = SimpleNamespace(
        supplier=supplier,
        quoted_lead_time=np.full((n_total, 2), 10),
        moq=np.ones((n_total, 2), dtype=np.int64),
        expedite_days_saved=np.zeros((n_total, 2), dtype=np.int64),
    )
    n = np.repeat(np.arange(n_total), 4)
    late = supplier[n, 0] == late_supplier
    promised = np.where(late, DAY - days_late - np.tile([0, 2, 4, 6], n_total), DAY - np.tile([0, 1], 2 * n_total))
    return SimpleNamespace(
        day=DAY,
        terms=terms,
        on_hand=np.zeros(n_total),
        po_id=np.arange(len(n)),
        po_n=n,
        po_slot=np.zeros(len(n), dtype=np.int64),
        po_order_day=promised - 10,
        po_promised_day=promised,
        po_quantity=np.full(len(n), 10),
        po_eta=np.where(late, -1, promised + 2),
        po_expedited=np.zeros(len(n), dtype=bool),
    )


def reorder_delays(keys: WorldKeys, view: SimpleNamespace, window: int) -> np.ndarray:
    source = ModelLeadTimes(SimpleNamespace(lead_time=SteadyDelays()), keys, signal_window=window, overdue_tail=False)
    source.open_po(view)  # the policy reads its open lines every day
    delay, _ = source.new_orders(view)
    return delay


def test_a_supplier_running_two_weeks_late_gets_longer_reorder_lead_times(keys) -> None:
    view = view_with_overdue_lines(keys, late_supplier=0, days_late=14)
    delay = reorder_delays(keys, view, window=28)
    late = view.terms.supplier[:, 0] == 0
    assert (delay[late, 1] >= 2 + 10).all()  # median: the model's 2 days + most of the 14 overdue
    assert (delay[late, 2] > delay[late, 1]).all()
    np.testing.assert_allclose(delay[late, 0], 1.0)  # the best case stays the model's
    np.testing.assert_allclose(delay[~late], np.tile([1.0, 2.0, 4.0], (int((~late).sum()), 1)))


def test_without_the_signal_or_a_late_supplier_the_model_stands(keys) -> None:
    steady = np.tile([1.0, 2.0, 4.0], (len(keys.sku), 1))
    late_view = view_with_overdue_lines(keys, late_supplier=0, days_late=14)
    np.testing.assert_allclose(reorder_delays(keys, late_view, window=0), steady)
    on_time = view_with_overdue_lines(keys, late_supplier=-1, days_late=0)
    np.testing.assert_allclose(reorder_delays(keys, on_time, window=28), steady)


def test_with_an_episode_prone_history_overdue_lines_are_expected_weeks_out_and_the_signal_rises_sooner(keys) -> None:
    rng = np.random.default_rng(0)
    supplier = np.repeat(np.arange(2), 1000)
    # Lines 2 days late as a rule (+-1); one in ten in a disruption episode of 14-28 more days.
    delay = 2 + rng.integers(-1, 2, 2000) + np.where(rng.random(2000) < 0.1, rng.integers(14, 29, 2000), 0)
    models = SimpleNamespace(lead_time=SteadyDelays(), overdue=OverdueDelay().fit(supplier, delay))
    view = view_with_overdue_lines(keys, late_supplier=0, days_late=5)  # due 5-11 days ago, no ASN

    def read(tail: bool) -> tuple[np.ndarray, np.ndarray]:
        source = ModelLeadTimes(models, keys, signal_window=28, overdue_tail=tail)
        open_delay = source.open_po(view)
        return open_delay, source.new_orders(view)[0]

    (open_plain, reorder_plain), (open_tail, reorder_tail) = read(False), read(True)
    overdue = view.po_eta < 0
    elapsed = (view.day + 1 - view.po_promised_day)[overdue]
    assert (open_plain[overdue, 1] <= np.maximum(elapsed, 12)).all()  # without: the run-up, or model + signal
    assert (open_tail[overdue, 1] >= np.maximum(elapsed, open_plain[overdue, 1]) + 5).all()  # the rest of an episode
    late = view.terms.supplier[:, 0] == 0
    assert (reorder_tail[late, 1] >= reorder_plain[late, 1] + 5).all()
    np.testing.assert_allclose(reorder_tail[~late], reorder_plain[~late])  # the on-time supplier is untouched
