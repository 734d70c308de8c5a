"""Whole-day quantiles around the share of lines delivered exactly on their scheduled date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training import forecast_metrics as fm
from training.lead_time.evaluate import scheduled_after_split
from training.lead_time.model import LeadTimeModel
from training.lead_time.on_time import whole_day_quantiles
from training.lead_time.scms import scms_spec
from training.recipes import SCMS_LEAD_TIME

LEVELS = (0.1, 0.5, 0.9)


def test_levels_inside_the_on_time_share_are_zero_and_the_others_whole_days_on_their_side() -> None:
    pred = np.array(
        [
            [-3.4, -0.4, 2.6],  # 30% early, 15% late: P10 early, P50 on time, P90 late
            [-0.2, 0.3, 0.4],  # the boosters hover near 0; the probabilities say where each level falls
            [-6.0, -2.2, 0.2],  # mostly late: P10 on time, the levels above the 35% on-or-before share late
            [0.3, 4.6, 9.4],  # mostly early: every level inside the 95% early share
        ]
    )
    p_early = np.array([0.30, 0.30, 0.05, 0.95])
    p_late = np.array([0.15, 0.15, 0.65, 0.02])
    out = whole_day_quantiles(pred, LEVELS, p_early, p_late)
    assert out.tolist() == [
        [-3.0, 0.0, 3.0],
        [-1.0, 0.0, 1.0],
        [0.0, 1.0, 1.0],
        [-1.0, -1.0, -1.0],
    ]


def test_scms_recipe_gives_whole_days_with_on_time_medians_and_a_lower_pinball(make_scms) -> None:
    """The generated vendor A ships by air or truck on the scheduled date about half the time:
    its median delay is exactly 0, which the boosters alone only approach."""
    lines = make_scms(3000, seed=5)
    spec = scms_spec(lines)
    cutoff = pd.Timestamp("2013-01-01")
    history, later = scheduled_after_split(lines, spec, cutoff)
    hidden = later.drop(columns="delivered_to_client_date")
    with_step = LeadTimeModel(spec, **SCMS_LEAD_TIME).fit(history, cutoff).predict(hidden)
    without = LeadTimeModel(spec, **{**SCMS_LEAD_TIME, "on_time_atom": False}).fit(history, cutoff).predict(hidden)
    quantiles = with_step[["p10", "p50", "p90"]].to_numpy()
    assert (quantiles == np.round(quantiles)).all()
    assert (np.diff(quantiles, axis=1) >= 0).all()
    on_time_vendor = ((later["vendor"] == "Vendor A") & (later["shipment_mode"] != "Ocean")).to_numpy()
    assert (with_step["p50"].to_numpy()[on_time_vendor] == 0).mean() > 0.9
    assert (without["p50"].to_numpy()[on_time_vendor] == 0).mean() < 0.5
    truth = later["delay_days"].to_numpy(dtype=float)
    loss = {
        name: fm.mean_pinball_loss(truth, pred[["p10", "p50", "p90"]], quantiles=list(LEVELS))
        for name, pred in {"with": with_step, "without": without}.items()
    }
    assert loss["with"] < loss["without"]
