"""`backorder demo`'s promote step when challengers lose to their baselines: only a model the
service cannot run without is served past the gate; a lead-time or demand model that loses is not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipelines.commands import demo, promote
from pipelines.commands.train import MODEL_OF
from training.promotion import Override, PromotionDecision


@pytest.fixture
def every_challenger_loses(monkeypatch):
    """The gate refuses every first challenger; a forced promotion goes through and is recorded."""
    forced: list[str] = []

    def gate(settings, model, force_reason=None, forced_by=None):
        decision = PromotionDecision(model, "metric", "1", None, 0.5, None, False, "loses to a baseline")
        if force_reason is None:
            return decision
        forced.append(model)
        return replace(decision, promoted=True, override=Override(force_reason, forced_by, "now", "not promoted"))

    monkeypatch.setattr(promote, "promote_model", gate)
    return forced


def test_a_losing_lead_time_or_demand_model_stays_a_challenger_and_the_others_are_forced(every_challenger_loses):
    said: list[str] = []
    decisions = {d.model_name: d for d in demo._promote(None, said.append)}

    assert set(decisions) == set(MODEL_OF.values())
    assert every_challenger_loses == [m for m in MODEL_OF.values() if m not in ("lead_time", "demand")]
    for model in ("lead_time", "demand"):
        assert not decisions[model].promoted and decisions[model].override is None
    assert all(decisions[m].override is not None for m in every_challenger_loses)
    assert any("lead_time does not pass the gate; the service uses the supplier delay quantiles" in s for s in said)
    assert any("demand does not pass the gate; the service uses the recent demand (28-day mean)" in s for s in said)
