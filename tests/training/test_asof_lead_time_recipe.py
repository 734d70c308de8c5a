"""The as-of ETAs come from the lead-time recipe that training chooses on the same data, so the
ETA features the classifiers learn from match the model that serves them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import training.world_asof as world_asof
from pipelines.asof_outputs import write_asof_outputs
from settings import load_settings
from simulation import SimulationConfig
from simulation.run import simulate
from training.recipes import LEAD_TIME, AsOfJob, DemandJob
from training.world_asof import asof_lead_time_recipe, asof_po_etas
from training.world_datasets import received_po_lines
from training.world_models import train_lead_time

QUANTILES = ["p10", "p50", "p90"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(SimulationConfig(seed=3, n_skus=30, n_locations=2, n_days=400)).tables


def _whole_days(rows: pd.DataFrame) -> bool:
    values = rows[QUANTILES].to_numpy()
    return bool(np.all(values == np.round(values)))


def test_the_etas_use_the_recipe_training_chose_and_start_over_when_it_changes(tables, monkeypatch):
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    chosen = train_lead_time(LEAD_TIME, lines).record.params["recipe"]
    assert asof_lead_time_recipe(tables, lines) == chosen == "scms"  # this world's cut-offs keep the first

    first = asof_po_etas(tables, AsOfJob())
    assert (first.recipe, first.mode) == ("scms", "full")
    assert _whole_days(first.rows)  # the SCMS recipe's quantiles are whole days
    again = asof_po_etas(tables, AsOfJob(), first)
    assert (again.mode, again.added) == ("incremental", {"po_lines": 0, "refits": 0})

    # Had the data chosen the world's recipe, every ETA would be computed again with it.
    monkeypatch.setattr(world_asof, "asof_lead_time_recipe", lambda tables, lines: "world")
    redone = asof_po_etas(tables, AsOfJob(), first)
    assert (redone.recipe, redone.mode) == ("world", "full")
    assert len(redone.rows) == len(first.rows) and not _whole_days(redone.rows)


def test_tables_below_the_lead_time_minimum_get_the_first_recipe_without_a_choice(tables, monkeypatch):
    def no_choice(job, lines):
        raise AssertionError("no recipe is chosen on data that cannot train the lead-time model")

    monkeypatch.setattr(world_asof, "lead_time_recipe", no_choice)
    short = {**tables, "purchase_orders": tables["purchase_orders"].head(40)}
    lines = received_po_lines(short["purchase_orders"], short["skus"])
    assert asof_lead_time_recipe(short, lines) == "scms"


def test_the_asof_stamp_names_a_recipe_change_as_the_reason_to_start_over(tables, tmp_path, monkeypatch):
    settings = load_settings(data_dir=tmp_path)
    settings.canonical_dir.mkdir(parents=True)

    def load(tables: dict[str, pd.DataFrame]) -> None:
        for name, frame in tables.items():
            frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)

    orders = tables["purchase_orders"]
    load({**tables, "purchase_orders": orders[orders["order_date"] < orders["order_date"].max()]})
    job = AsOfJob(demand=DemandJob(history_days=35, num_boost_round=20), demand_refit_days=91)
    first = write_asof_outputs(settings, job)
    assert first["state"]["po_etas"]["recipe"] == "scms"
    # The last day's POs arrive (the tables only grew) and the data now chooses the world's recipe.
    monkeypatch.setattr(world_asof, "asof_lead_time_recipe", lambda tables, lines: "world")
    load(tables)
    second = write_asof_outputs(settings, job)
    assert second["mode"]["po_etas"] == "full" and second["full_because"]["po_etas"] == "lead-time recipe scms -> world"
    assert second["state"]["po_etas"]["recipe"] == "world"


def test_a_previous_output_of_another_recipe_is_not_extended(tables):
    first = asof_po_etas(tables, AsOfJob())
    other = asof_po_etas(tables, AsOfJob(), replace(first, recipe="world"))
    assert other.mode == "full" and other.recipe == "scms"
    pd.testing.assert_frame_equal(other.rows, first.rows)
